"""IAM judge throughput: podid's `podid.iam.evaluate` vs the reference evaluator, same run.

Measures decisions per second on one core for
  * the shared corpus, tests/data/iam-cases/cases.json (every case, round after round), and
  * the seeds' S3 reader policy (ListBucket with an s3:prefix condition + GetObject on a prefix;
    four requests: allowed and denied prefix for each action),
through podid (policies compiled once by `parse_policy`, requests built once) and through
`@cloud-copilot/iam-simulate` (installed by this script into bench/.node/ with npm), both its
full `runSimulation()` API and its core `authorize()` on pre-loaded policies (the like-for-like
"parse once, evaluate many" path). Prints both, the ratios and how many corpus decisions agree.
Targets (reported, not asserted): >= 10x the reference, >= 100,000 decisions/s on the seeds' policy.

Usage: .venv/bin/python bench/iam_bench.py [--seconds 2] [--no-reference]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "data" / "iam-cases" / "cases.json"
NODE_PREFIX = ROOT / "bench" / ".node"
NODE_SCRIPT = ROOT / "bench" / "iam_reference.cjs"
RESULTS = ROOT / "bench" / "results"
REFERENCE_PACKAGE = "@cloud-copilot/iam-simulate"
REFERENCE_VERSION = "0.1.173"
MAX_ROUNDS = 1_000_000

PRINCIPAL = "arn:aws:sts::111122223333:assumed-role/app/pod-1"
SEEDS_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ListPrefix",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::BUCKET",
            "Condition": {"StringLike": {"s3:prefix": "PREFIX/*"}},
        },
        {
            "Sid": "ReadPrefix",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::BUCKET/PREFIX/*",
        },
    ],
}


def seeds_cases() -> list[dict[str, Any]]:
    """The seeds' policy as four cases in the shared case-file format."""

    def case(cid: str, action: str, resource: str, ctx: dict[str, str], expected: str) -> dict[str, Any]:
        return {
            "id": cid,
            "request": {"principal": PRINCIPAL, "action": action, "resource": resource, "context": ctx},
            "policies": {"identity": [SEEDS_POLICY]},
            "expected": expected,
        }

    return [
        case("seeds-list-ok", "s3:ListBucket", "arn:aws:s3:::BUCKET", {"s3:prefix": "PREFIX/a/"}, "allowed"),
        case("seeds-get-ok", "s3:GetObject", "arn:aws:s3:::BUCKET/PREFIX/a.txt", {}, "allowed"),
        case("seeds-get-other", "s3:GetObject", "arn:aws:s3:::BUCKET/OTHER/a.txt", {}, "implicit_deny"),
        case(
            "seeds-list-other",
            "s3:ListBucket",
            "arn:aws:s3:::BUCKET",
            {"s3:prefix": "OTHER/"},
            "implicit_deny",
        ),
    ]


def measure_podid(cases: Sequence[dict[str, Any]], seconds: float) -> dict[str, Any]:
    """Compile once, then evaluate every case round after round (bounded by time and rounds)."""
    from podid.cli.iam_cases import build_case
    from podid.iam import evaluate

    built = [build_case(c, f"case[{i}]") for i, c in enumerate(cases)]
    pairs = [(b.request, b.policies) for b in built]
    decisions = {b.id: evaluate(b.request, b.policies).outcome for b in built}
    n = rounds = 0
    start = time.perf_counter()
    elapsed = 0.0
    while rounds < MAX_ROUNDS and elapsed < seconds:
        for request, policies in pairs:
            evaluate(request, policies)
        n += len(pairs)
        rounds += 1
        elapsed = time.perf_counter() - start
    return {"decisions": decisions, "count": n, "seconds": elapsed, "per_second": n / elapsed}


def measure_podid_cold(cases: Sequence[dict[str, Any]], seconds: float) -> dict[str, Any]:
    """The cold path: every decision brings its policies as JSON and parses (validates, compiles)
    them before evaluating, as `podid iam eval-cases` does and as the reference's runSimulation()
    does on every call."""
    from podid.cli.iam_cases import build_case
    from podid.iam import evaluate

    n = rounds = 0
    start = time.perf_counter()
    elapsed = 0.0
    while rounds < MAX_ROUNDS and elapsed < seconds:
        for i, c in enumerate(cases):
            built = build_case(c, f"case[{i}]")
            evaluate(built.request, built.policies)
        n += len(cases)
        rounds += 1
        elapsed = time.perf_counter() - start
    return {"count": n, "seconds": elapsed, "per_second": n / elapsed}


def install_reference() -> str | None:
    """npm-install the reference evaluator into bench/.node/ (once); None or the reason it failed."""
    marker = NODE_PREFIX / "node_modules" / "@cloud-copilot" / "iam-simulate" / "package.json"
    if marker.exists() and json.loads(marker.read_text()).get("version") == REFERENCE_VERSION:
        return None
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node/npm not found on PATH"
    NODE_PREFIX.mkdir(parents=True, exist_ok=True)
    (NODE_PREFIX / ".gitignore").write_text("*\n")
    cmd = [
        "npm", "install", "--prefix", str(NODE_PREFIX), "--no-audit", "--no-fund", "--loglevel=error",
        f"{REFERENCE_PACKAGE}@{REFERENCE_VERSION}",
    ]  # fmt: skip
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"npm install failed: {e}"
    if proc.returncode != 0:
        return f"npm install failed: {proc.stderr.strip()[-500:]}"
    return None


def measure_reference(cases: Sequence[dict[str, Any]], seconds: float) -> dict[str, Any]:
    """Run bench/iam_reference.cjs on `cases`; its JSON report (see that file)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"cases": list(cases), "seconds": seconds, "max_rounds": MAX_ROUNDS}, f)
        job = f.name
    try:
        proc = subprocess.run(
            ["node", str(NODE_SCRIPT), job, str(NODE_PREFIX)],
            capture_output=True,
            text=True,
            timeout=120 + 4 * seconds,
        )
    finally:
        os.unlink(job)
    if proc.returncode != 0:
        raise RuntimeError(f"reference evaluator failed: {proc.stderr.strip()[-800:]}")
    out: dict[str, Any] = json.loads(proc.stdout)
    for run in ("simulate", "core"):
        out[run]["per_second"] = out[run]["decisions"] / out[run]["seconds"]
    return out


def _fmt(rate: float) -> str:
    return f"{rate:>12,.0f}/s"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="podid IAM judge throughput vs the reference evaluator")
    ap.add_argument("--seconds", type=float, default=2.0, help="time budget per measurement")
    ap.add_argument("--no-reference", action="store_true", help="skip the node reference evaluator")
    args = ap.parse_args(argv)

    corpus: list[dict[str, Any]] = json.loads(CASES.read_text())["cases"]
    seeds = seeds_cases()
    report: dict[str, Any] = {"cpu": os.cpu_count(), "python": sys.version.split()[0]}

    print(f"IAM judge benchmark (one core; {args.seconds:g}s per measurement)")
    podid_corpus = measure_podid(corpus, args.seconds)
    podid_seeds = measure_podid(seeds, args.seconds)
    podid_cold = measure_podid_cold(corpus, args.seconds)
    expected_ok = sum(podid_corpus["decisions"][c["id"]] == c["expected"] for c in corpus)
    seeds_ok = sum(podid_seeds["decisions"][c["id"]] == c["expected"] for c in seeds)
    print(f"  podid   corpus ({len(corpus)} cases)        {_fmt(podid_corpus['per_second'])}")
    print(f"  podid   seeds' S3 reader policy       {_fmt(podid_seeds['per_second'])}   target >= 100,000/s")
    print(f"  podid   corpus, cold (parse + judge)  {_fmt(podid_cold['per_second'])}")
    print(
        f"  podid   agrees with expected: corpus {expected_ok}/{len(corpus)}, seeds {seeds_ok}/{len(seeds)}"
    )
    report["podid"] = {
        "corpus_per_second": podid_corpus["per_second"],
        "seeds_per_second": podid_seeds["per_second"],
        "corpus_matches_expected": expected_ok,
        "corpus_cold_per_second": podid_cold["per_second"],
    }

    reason = "skipped (--no-reference)" if args.no_reference else install_reference()
    if reason is None:
        try:
            ref_corpus = measure_reference(corpus, args.seconds)
            ref_seeds = measure_reference(seeds, args.seconds)
        except (RuntimeError, ValueError, subprocess.TimeoutExpired) as e:
            reason = str(e)
    if reason is not None:
        print(f"  reference: unavailable: {reason}")
    else:
        ver = ref_corpus["version"]
        agree = sum(podid_corpus["decisions"][cid] == d for cid, d in ref_corpus["decisions"].items())
        for label, ref, mine in (("corpus", ref_corpus, podid_corpus), ("seeds ", ref_seeds, podid_seeds)):
            core, full = ref["core"]["per_second"], ref["simulate"]["per_second"]
            print(
                f"  ref     {label} core authorize()      {_fmt(core)}   podid/ref = "
                f"{mine['per_second'] / core:6.1f}x   target >= 10x"
            )
            print(
                f"  ref     {label} runSimulation()       {_fmt(full)}   podid/ref = "
                f"{mine['per_second'] / full:6.1f}x"
            )
        cold_ref = ref_corpus["simulate"]["per_second"]
        print(
            f"  ref     corpus, cold runSimulation()  {_fmt(cold_ref)}   podid cold/ref = "
            f"{podid_cold['per_second'] / cold_ref:6.1f}x   target >= 5x"
        )
        print(
            f"  agreement podid vs {REFERENCE_PACKAGE} {ver}: {agree}/{len(corpus)} corpus decisions"
            + (
                f" ({len(ref_corpus['errors'])} cases rejected by the reference)"
                if ref_corpus["errors"]
                else ""
            )
        )
        disagree = [cid for cid, d in ref_corpus["decisions"].items() if podid_corpus["decisions"][cid] != d]
        if disagree:
            print(f"  disagreements: {', '.join(disagree[:20])}")
        report["reference"] = {
            "package": f"{REFERENCE_PACKAGE}@{ver}",
            "corpus_core_per_second": ref_corpus["core"]["per_second"],
            "corpus_simulate_per_second": ref_corpus["simulate"]["per_second"],
            "seeds_core_per_second": ref_seeds["core"]["per_second"],
            "seeds_simulate_per_second": ref_seeds["simulate"]["per_second"],
            "agreement": agree,
            "errors": ref_corpus["errors"],
        }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "iam_bench.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
