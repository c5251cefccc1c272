"""The access matrix as ONE self-contained HTML file: inline CSS and JS, the report embedded as
JSON, no network access. Filters: ServiceAccount, service, decision, free-text search."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any

_CSS = """
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em} .meta{color:#555}
#filters{display:flex;gap:.8em;flex-wrap:wrap;margin:1em 0}
#filters label{display:flex;flex-direction:column;font-size:.85em;color:#444}
table{border-collapse:collapse;width:100%} th,td{border:1px solid #ddd;padding:4px 6px;vertical-align:top}
th{background:#f3f3f3;text-align:left;position:sticky;top:0}
tr.allowed td.decision{color:#137333;font-weight:600}
tr.explicit_deny td.decision{color:#b3261e;font-weight:600}
tr.implicit_deny td.decision{color:#777}
td.actions{font-family:monospace;font-size:.85em;max-width:40em}
td.deciding{font-family:monospace;font-size:.8em}
.added{color:#137333}.removed{color:#b3261e}.changed{color:#8a6d00}
"""

_JS = """
(function(){
  const report = JSON.parse(document.getElementById('report-data').textContent);
  const body = document.getElementById('rows');
  const sel = id => document.getElementById(id);
  function options(id, values){
    const s = sel(id);
    [...new Set(values)].sort().forEach(v => { const o = document.createElement('option');
      o.value = v; o.textContent = v; s.appendChild(o); });
  }
  options('f-sa', report.rows.map(r => r.serviceAccount));
  options('f-service', report.rows.map(r => r.service));
  options('f-decision', report.rows.map(r => r.decision));
  report.rows.forEach(r => {
    const tr = document.createElement('tr');
    tr.className = 'row ' + r.decision;
    tr.dataset.sa = r.serviceAccount; tr.dataset.service = r.service; tr.dataset.decision = r.decision;
    const cells = [r.serviceAccount, r.service, r.resource, r.accessLevel,
      r.decision + (r.conditional ? ' (conditional)' : ''), r.actions.join(' '), r.deciding.join('\\n')];
    const classes = ['sa', 'service', 'resource', 'level', 'decision', 'actions', 'deciding'];
    cells.forEach((text, i) => { const td = document.createElement('td'); td.className = classes[i];
      td.textContent = text; if (i === 6) td.style.whiteSpace = 'pre'; tr.appendChild(td); });
    tr.dataset.text = cells.join(' ').toLowerCase();
    body.appendChild(tr);
  });
  function apply(){
    const sa = sel('f-sa').value, svc = sel('f-service').value, dec = sel('f-decision').value;
    const q = sel('f-text').value.trim().toLowerCase();
    let shown = 0;
    body.querySelectorAll('tr.row').forEach(tr => {
      const ok = (!sa || tr.dataset.sa === sa) && (!svc || tr.dataset.service === svc) &&
        (!dec || tr.dataset.decision === dec) && (!q || tr.dataset.text.includes(q));
      tr.hidden = !ok; if (ok) shown++;
    });
    sel('count').textContent = shown + ' of ' + report.rows.length + ' rows';
  }
  ['f-sa', 'f-service', 'f-decision'].forEach(id => sel(id).addEventListener('change', apply));
  sel('f-text').addEventListener('input', apply);
  apply();
  document.body.dataset.ready = 'true';
})();
"""


def _changes(report: Mapping[str, Any]) -> str:
    changes = report.get("changes")
    if changes is None:
        return ""
    items = "".join(
        f"<tr class='change {html.escape(c['kind'])}'><td>{html.escape(c['kind'])}</td>"
        f"<td>{html.escape(c['identity'])}</td><td>{html.escape(c['action'])}</td>"
        f"<td>{html.escape(c['resource'])}</td><td>{html.escape(str(c['before']))}</td>"
        f"<td>{html.escape(str(c['after']))}</td></tr>" for c in changes)
    return ("<h2>Changes against the previous report</h2><table id='changes'><thead><tr><th>change</th>"
            "<th>service account</th><th>action</th><th>resource</th><th>before</th><th>after</th></tr>"
            f"</thead><tbody>{items}</tbody></table>")


def render(report: Mapping[str, Any]) -> str:
    """The HTML document for `report` (a dict built by podid.matrix.report.build)."""
    embedded = {k: v for k, v in report.items() if k != "cells"}   # the rows are what the page shows
    data = json.dumps(embedded, separators=(",", ":")).replace("</", "<\\/")
    title = f"Access matrix of cluster {report['cluster']}"
    s = report["summary"]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>{html.escape(title)}</title><style>{_CSS}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p class="meta">account {html.escape(report['account'])}, region {html.escape(report['region'])},
generated {html.escape(report['generated'])}: {s['cells']} cells, {s['allowed']} allowed.</p>
{_changes(report)}
<div id="filters">
<label>ServiceAccount<select id="f-sa"><option value="">all</option></select></label>
<label>Service<select id="f-service"><option value="">all</option></select></label>
<label>Decision<select id="f-decision"><option value="">all</option></select></label>
<label>Search<input id="f-text" type="search" placeholder="action, ARN, statement"></label>
<span id="count"></span>
</div>
<table id="matrix"><thead><tr><th>ServiceAccount</th><th>service</th><th>resource</th><th>access level</th>
<th>decision</th><th>actions</th><th>deciding statement</th></tr></thead><tbody id="rows"></tbody></table>
<script type="application/json" id="report-data">{data}</script>
<script>{_JS}</script>
</body></html>
"""
