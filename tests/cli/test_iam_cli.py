"""`podid iam ...` through the installed entry point (.venv/bin/podid), as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PODID = Path(sys.executable).parent / "podid"
CASES = Path(__file__).resolve().parents[1] / "data" / "iam-cases" / "cases.json"
SEEDS = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "List",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::lab-bucket",
            "Condition": {"StringLike": {"s3:prefix": "reports/*"}},
        },
        {
            "Sid": "Read",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::lab-bucket/reports/*",
        },
    ],
}


def podid(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PODID), "iam", *args], capture_output=True, text=True, input=stdin, timeout=120
    )


def write(tmp_path: Path, name: str, data: Any) -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2))
    return str(path)


@pytest.mark.parametrize(("command", "options"), [
    ("eval-cases", ["--check"]), ("simulate", ["--policy", "--action", "--resource", "--context"]),
    ("validate", ["--kind"]), ("lint", ["--kind", "--fail-on", "WildcardAction"]),
])
def test_every_command_documents_its_options(command: str, options: list[str]) -> None:
    proc = podid(command, "--help")
    assert proc.returncode == 0, proc.stderr
    assert f"podid iam {command}" in proc.stdout
    missing = [o for o in options if o not in proc.stdout]
    assert not missing, proc.stdout


def test_eval_cases_matches_expected_decisions() -> None:
    proc = podid("eval-cases", str(CASES))
    assert proc.returncode == 0, proc.stderr
    got = [json.loads(line) for line in proc.stdout.splitlines()]
    expected = json.loads(CASES.read_text())["cases"]
    assert [g["id"] for g in got] == [c["id"] for c in expected]
    assert all(set(g) == {"id", "decision"} for g in got)
    mismatches = [
        (c["id"], g["decision"], c["expected"])
        for g, c in zip(got, expected, strict=True)
        if g["decision"] != c["expected"]
    ]
    assert mismatches == []


def test_eval_cases_check_flag() -> None:
    proc = podid("eval-cases", "--check", str(CASES))
    assert proc.returncode == 0, proc.stderr
    assert "cases match" in proc.stderr


def test_eval_cases_from_stdin() -> None:
    one = {"cases": [json.loads(CASES.read_text())["cases"][0]]}
    proc = podid("eval-cases", "-", stdin=json.dumps(one))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["id"] == one["cases"][0]["id"]


@pytest.mark.parametrize(
    ("content", "needles"),
    [
        ("{not json", ["not valid JSON"]),
        ({"nope": []}, ['"cases" list']),
        ({"cases": [{"id": "c-01", "request": {"action": "s3:GetObject"}}]}, ["c-01", "request.principal"]),
        (
            {
                "cases": [
                    {
                        "id": "c-02",
                        "request": {"principal": "p", "action": "s3:GetObject", "context": {"k": 1}},
                    }
                ]
            },
            ["c-02", "request.context.k"],
        ),
        (
            {
                "cases": [
                    {
                        "id": "c-03",
                        "request": {"principal": "p", "action": "s3:GetObject"},
                        "policies": {
                            "identity": [
                                {
                                    "Statement": [
                                        {
                                            "Effect": "Allow",
                                            "Action": "s3:GetObject",
                                            "Resource": "*",
                                            "Condition": {"Bogus": {}},
                                        }
                                    ]
                                }
                            ]
                        },
                    }
                ]
            },
            ["c-03", "policies.identity[0]", "Statement[0].Condition.Bogus"],
        ),
    ],
)
def test_eval_cases_malformed_file(tmp_path: Path, content: Any, needles: list[str]) -> None:
    path = write(tmp_path, "broken-cases.json", content)
    proc = podid("eval-cases", path)
    assert proc.returncode != 0
    assert proc.stdout == ""
    assert path in proc.stderr
    for needle in needles:
        assert needle in proc.stderr
    assert "Traceback" not in proc.stderr


def test_eval_cases_missing_file(tmp_path: Path) -> None:
    proc = podid("eval-cases", str(tmp_path / "absent.json"))
    assert proc.returncode == 2
    assert "absent.json" in proc.stderr and "Traceback" not in proc.stderr


def simulate_json(policy: str, *args: str) -> dict[str, Any]:
    proc = podid("simulate", "--policy", policy, "--json", *args)
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def test_simulate_seeds_policy(tmp_path: Path) -> None:
    policy = write(tmp_path, "seeds.json", SEEDS)
    bucket = "arn:aws:s3:::lab-bucket"
    ok = simulate_json(
        policy, "--action", "s3:ListBucket", "--resource", bucket, "--context", "s3:prefix=reports/2024/"
    )
    assert ok["decision"] == "allowed"
    assert [(d["sid"], d["kind"], d["policy"]) for d in ok["deciding"]] == [("List", "identity", policy)]
    assert ok["message"] is None
    other = simulate_json(
        policy, "--action", "s3:ListBucket", "--resource", bucket, "--context", "s3:prefix=secret/"
    )
    assert other["decision"] == "implicit_deny"
    assert "because no identity-based policy allows the s3:ListBucket action" in other["message"]
    get_ok = simulate_json(policy, "-a", "s3:GetObject", "-r", f"{bucket}/reports/a.csv")
    assert get_ok["decision"] == "allowed"
    get_other = simulate_json(policy, "-a", "s3:GetObject", "-r", f"{bucket}/secret/a.csv")
    assert get_other["decision"] == "implicit_deny"


def test_simulate_multivalued_context_and_explicit_deny(tmp_path: Path) -> None:
    policy = write(
        tmp_path,
        "tags.json",
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "sqs:TagQueue", "Resource": "*"},
                {
                    "Sid": "NoOwnerTag",
                    "Effect": "Deny",
                    "Action": "sqs:TagQueue",
                    "Resource": "*",
                    "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": "owner"}},
                },
            ],
        },
    )
    q = "arn:aws:sqs:us-east-1:111122223333:q"
    denied = simulate_json(
        policy, "-a", "sqs:TagQueue", "-r", q, "-c", "aws:TagKeys=env", "-c", "aws:TagKeys=owner"
    )
    assert denied["request"]["context"] == {"aws:TagKeys": ["env", "owner"]}
    assert denied["decision"] == "explicit_deny"
    assert denied["deciding"][0]["sid"] == "NoOwnerTag"
    assert "with an explicit deny in an identity-based policy" in denied["message"]
    allowed = simulate_json(
        policy, "-a", "sqs:TagQueue", "-r", q, "-c", "aws:TagKeys=env", "-c", "aws:TagKeys=team"
    )
    assert allowed["decision"] == "allowed"


def test_simulate_table_output(tmp_path: Path) -> None:
    policy = write(tmp_path, "seeds.json", SEEDS)
    proc = podid("simulate", "-p", policy, "-a", "s3:GetObject", "-r", "arn:aws:s3:::lab-bucket/secret/x")
    assert proc.returncode == 0, proc.stderr
    assert "implicit_deny" in proc.stdout
    assert "is not authorized to perform: s3:GetObject" in proc.stdout


def test_simulate_bad_policy_and_bad_context(tmp_path: Path) -> None:
    broken = write(tmp_path, "broken.json", '{"Version": "2012-10-17", "Statement": [')
    proc = podid("simulate", "-p", broken, "-a", "s3:GetObject")
    assert proc.returncode == 2 and "broken.json" in proc.stderr and "Traceback" not in proc.stderr
    seeds = write(tmp_path, "seeds.json", SEEDS)
    proc = podid("simulate", "-p", seeds, "-a", "s3:GetObject", "--context", "novalue")
    assert proc.returncode == 2 and "key=value" in proc.stderr


def test_validate_principal_in_identity_policy(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "with-principal.json",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}],
        },
    )
    proc = podid("validate", path)
    assert proc.returncode != 0
    assert "Policy document should not specify a principal." in proc.stdout
    assert "with-principal.json" in proc.stdout
    proc = podid("validate", "--kind", "resource", path)
    assert proc.returncode == 0, proc.stdout


def test_validate_json_format_and_catalogue_warnings(tmp_path: Path) -> None:
    good = write(tmp_path, "seeds.json", SEEDS)
    typo = write(
        tmp_path,
        "typo.json",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}],
        },
    )
    proc = podid("validate", "--format", "json", good, typo)
    assert proc.returncode == 0, proc.stdout  # warnings do not fail validation
    files = json.loads(proc.stdout)["files"]
    assert files[0] == {"file": good, "ok": True, "findings": []}
    assert files[1]["findings"][0]["code"] == "UnknownAction"
    assert files[1]["findings"][0]["severity"] == "warning"


def test_validate_stdin() -> None:
    proc = podid("validate", "-", stdin=json.dumps(SEEDS))
    assert proc.returncode == 0
    assert "<stdin>: OK" in proc.stdout


def test_lint_seeds_policy_is_clean(tmp_path: Path) -> None:
    proc = podid("lint", write(tmp_path, "seeds.json", SEEDS))
    assert proc.returncode == 0, proc.stdout
    assert "OK" in proc.stdout


def test_lint_s3_star_fails_with_findings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s3star.json",
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]},
    )
    proc = podid("lint", path)
    assert proc.returncode == 1
    assert "ServiceWildcardAction" in proc.stdout and "WildcardResource" in proc.stdout
    proc = podid("lint", "--format", "json", path)
    assert proc.returncode == 1
    [entry] = json.loads(proc.stdout)["files"]
    assert {f["code"] for f in entry["findings"]} >= {"ServiceWildcardAction", "WildcardResource"}
    assert podid("lint", "--fail-on", "never", path).returncode == 0


def test_lint_guesses_trust_policies(tmp_path: Path) -> None:
    trust = write(
        tmp_path,
        "trust.json",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "pods.eks.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        },
    )
    proc = podid("lint", "--format", "json", trust)
    assert proc.returncode == 1
    codes = [f["code"] for f in json.loads(proc.stdout)["files"][0]["findings"]]
    assert codes == ["PodIdentityNoTagSession"]


def test_lint_warnings_fail_only_with_fail_on_warning(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "list.json",
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"},
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/p/*"},
            ],
        },
    )
    assert podid("lint", path).returncode == 0
    assert podid("lint", "--fail-on", "warning", path).returncode == 1


def test_bad_options_are_clear_errors(tmp_path: Path) -> None:
    seeds = write(tmp_path, "seeds.json", SEEDS)
    for args in (["validate", "--kind", "nope", seeds], ["lint", "--format", "xml", seeds]):
        proc = podid(*args)
        assert proc.returncode == 2 and "error:" in proc.stderr and "Traceback" not in proc.stderr
