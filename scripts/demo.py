"""`make demo`: runs the most complete part of the seeds' lab that works so far, with real clients.

Part 1 — the judge: the seeds' S3 reader policy (one bucket, one readable prefix) simulated for
the lab's checks (allowed prefix, blocked prefix, other bucket, object reads), and the seeds'
review rules (lint) over the lab's policies and a deliberately over-broad one.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAB = ROOT / "examples" / "lab"
PODID = str(Path(sys.executable).parent / "podid")
BUCKET = "podid-lab-bucket"
ROLE_SESSION = "arn:aws:sts::111122223333:assumed-role/lab-s3-reader/s3-reader-test"


def banner(text: str) -> None:
    print(f"\n\033[1m== {text}\033[0m", flush=True)


def run(args: list[str], *, expect_ok: bool = True) -> int:
    print("$ podid " + " ".join(args[1:]), flush=True)
    rc = subprocess.call(args)
    if expect_ok and rc != 0:
        raise SystemExit(f"demo step failed (exit {rc}): {' '.join(args)}")
    return rc


def simulate(action: str, resource: str, *context: str) -> None:
    args = [PODID, "iam", "simulate", "--policy", str(LAB / "s3-reader-policy.json"),
            "--principal", ROLE_SESSION, "--action", action, "--resource", resource]
    for item in context:
        args += ["--context", item]
    run(args)


def part_judge() -> None:
    banner("Part 1: the seeds' S3 reader policy, judged like AWS")
    simulate("s3:ListBucket", f"arn:aws:s3:::{BUCKET}", "s3:prefix=allowed/")
    simulate("s3:ListBucket", f"arn:aws:s3:::{BUCKET}", "s3:prefix=blocked/")
    simulate("s3:GetObject", f"arn:aws:s3:::{BUCKET}/allowed/report.txt")
    simulate("s3:GetObject", f"arn:aws:s3:::{BUCKET}/blocked/secret.txt")
    simulate("s3:ListBucket", "arn:aws:s3:::another-teams-bucket", "s3:prefix=allowed/")
    banner("Review rules (lint): the lab's policies pass, an over-broad policy does not")
    run([PODID, "iam", "lint", str(LAB / "s3-reader-policy.json"), str(LAB / "pod-identity-trust.json")])
    rc = run([PODID, "iam", "lint", str(LAB / "overbroad-policy.json")], expect_ok=False)
    if rc == 0:
        raise SystemExit("lint accepted s3:* on * — the demo expected findings")
    print(f"(lint exit code {rc}: findings block the pipeline, as intended)")


def main() -> int:
    part_judge()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
