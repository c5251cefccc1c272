"""The HTML report in headless chromium (Chrome DevTools Protocol): one self-contained file that
renders every row and whose filters hide and show rows."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.matrix.conftest import World

from support.chromium import open_page, require_chromium

VISIBLE = "[...document.querySelectorAll('#rows tr.row')].filter(tr => !tr.hidden)"


def test_html_renders_and_filters(world: World, tmp_path: Path) -> None:
    require_chromium()
    page_file = tmp_path / "matrix.html"
    world.matrix("--format", "html", "-o", str(page_file))
    report = world.report()
    text = page_file.read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)  # no network resource
    with open_page(page_file) as page:
        page.wait_for("document.body.dataset.ready === 'true'")
        assert page.evaluate("document.querySelectorAll('#rows tr.row').length") == len(report["rows"])
        assert page.evaluate(f"{VISIBLE}.length") == len(report["rows"])
        first = page.evaluate(
            "[...document.querySelectorAll('#rows tr.row')[0].cells].map(td => td.textContent)"
        )
        row = report["rows"][0]
        assert first[:4] == [row["serviceAccount"], row["service"], row["resource"], row["accessLevel"]]
        reader = page.evaluate(
            "[...document.querySelectorAll('#rows tr.row.allowed')]"
            ".filter(tr => tr.cells[2].textContent.endsWith('/allowed/*'))"
            ".map(tr => [...tr.cells].map(td => td.textContent))"
        )
        assert reader == [
            [
                "lab/s3-reader",
                "s3",
                "arn:aws:s3:::podid-lab-bucket/allowed/*",
                "Read",
                "allowed",
                "s3:GetObject",
                "identity:reader:Statement[1]",
            ]
        ]

        page.evaluate(
            "(() => { const s = document.getElementById('f-sa'); s.value = 'app/writer';"
            " s.dispatchEvent(new Event('change')); })()"
        )
        writer_rows = [r for r in report["rows"] if r["serviceAccount"] == "app/writer"]
        assert 0 < len(writer_rows) < len(report["rows"])
        assert page.evaluate(f"{VISIBLE}.length") == len(writer_rows)
        assert set(page.evaluate(f"{VISIBLE}.map(tr => tr.dataset.sa)")) == {"app/writer"}
        assert page.evaluate("document.getElementById('count').textContent") == (
            f"{len(writer_rows)} of {len(report['rows'])} rows"
        )

        page.evaluate(
            "(() => { const s = document.getElementById('f-decision'); s.value = 'explicit_deny';"
            " s.dispatchEvent(new Event('change')); })()"
        )
        shown = page.evaluate(f"{VISIBLE}.map(tr => tr.cells[5].textContent)")
        assert shown == ["sqs:PurgeQueue"]

        page.evaluate(
            "(() => { for (const id of ['f-sa', 'f-decision']) { const s = document.getElementById(id);"
            " s.value = ''; s.dispatchEvent(new Event('change')); } })()"
        )
        page.evaluate(
            "(() => { const t = document.getElementById('f-text'); t.value = 'allowed/*';"
            " t.dispatchEvent(new Event('input')); })()"
        )
        labels = page.evaluate(f"{VISIBLE}.map(tr => tr.cells[2].textContent)")
        assert labels and all("allowed/" in label for label in labels)
        page.evaluate(
            "(() => { const t = document.getElementById('f-text'); t.value = '';"
            " t.dispatchEvent(new Event('input')); })()"
        )
        assert page.evaluate(f"{VISIBLE}.length") == len(report["rows"])


def test_html_shows_changes(world: World, tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    world.matrix("--format", "json", "-o", str(old), "--service", "sqs")
    data = json.loads(old.read_text())
    for c in data["cells"]:  # pretend SendMessage was denied before
        if c["action"] == "sqs:SendMessage" and c["serviceAccount"] == "app/writer" and c["resource"] != "*":
            c["decision"] = "implicit_deny"
    old.write_text(json.dumps(data))
    page_file = tmp_path / "diff.html"
    world.matrix("--format", "html", "-o", str(page_file), "--service", "sqs", "--against", str(old))
    with open_page(page_file) as page:
        page.wait_for("document.body.dataset.ready === 'true'")
        changes = page.evaluate(
            "[...document.querySelectorAll('#changes tr.change')].map(tr => tr.textContent)"
        )
        assert len(changes) == 1 and "added" in changes[0] and "sqs:SendMessage" in changes[0]
