"""A verify `Report` as users read it: a Rich table per workload ending ``N/M checks passed``, JSON,
or JUnit XML (one testsuite per workload, one testcase per check) for CI."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from rich.console import Console
from rich.table import Table

from podid.verify.model import Report

_STYLE = {"pass": "[green]PASS[/]", "fail": "[red]FAIL[/]", "skip": "[yellow]SKIP[/]"}


def summary_line(report: Report) -> str:
    passed, failed, skipped = report.counts()
    total = passed + failed + skipped
    extra = f" ({skipped} skipped)" if skipped else ""
    return f"{passed}/{total} checks passed{extra}"


def print_table(report: Report, console: Console, *, verbose: bool = False) -> None:
    for w in report.workloads:
        t = w.target
        table = Table(title=f"{t.cluster} {t.name} ({t.mode})", title_justify="left", show_lines=True)
        table.add_column("#", justify="right")
        table.add_column("Check")
        table.add_column("Result")
        table.add_column("Details", overflow="fold")
        for i, c in enumerate(w.checks, 1):
            details = c.summary
            if c.hint:
                details += f"\n[bold]fix:[/] {c.hint}"
            if verbose or c.status == "fail":
                details += "".join(f"\n[dim]{e}[/]" for e in c.evidence[:6])
            table.add_row(str(i), c.title, _STYLE[c.status], details)
        console.print(table)
        for f in w.lint:
            console.print(f"  lint {f.severity} {f.code} in {f.policy} {f.location}: {f.message}",
                          markup=False, highlight=False)
    console.print(summary_line(report), markup=False, highlight=False)


def to_json(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2)


def to_junit(report: Report) -> str:
    suites = ET.Element("testsuites", name="podid verify")
    total = {"tests": 0, "failures": 0, "skipped": 0}
    for w in report.workloads:
        t = w.target
        fails = sum(c.status == "fail" for c in w.checks)
        skips = sum(c.status == "skip" for c in w.checks)
        suite = ET.SubElement(suites, "testsuite", name=f"{t.cluster}/{t.name}", tests=str(len(w.checks)),
                              failures=str(fails), errors="0", skipped=str(skips))
        for c in w.checks:
            case = ET.SubElement(suite, "testcase", classname=f"podid.verify.{t.cluster}.{t.namespace}."
                                 f"{t.service_account}", name=f"{c.id}: {c.title}")
            if c.status == "fail":
                failure = ET.SubElement(case, "failure", message=c.summary, type=c.id)
                failure.text = "\n".join([*c.evidence, *([f"fix: {c.hint}"] if c.hint else [])])
            elif c.status == "skip":
                ET.SubElement(case, "skipped", message=c.summary)
            elif c.evidence:
                ET.SubElement(case, "system-out").text = "\n".join(c.evidence)
        total["tests"] += len(w.checks)
        total["failures"] += fails
        total["skipped"] += skips
    for key, value in total.items():
        suites.set(key, str(value))
    suites.set("errors", "0")
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)
