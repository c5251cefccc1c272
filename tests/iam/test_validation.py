"""parse_policy / validate_policy reject what IAM rejects, with IAM's codes, messages and locations."""

from __future__ import annotations

import json
from typing import Any

import pytest

from podid.iam import SIZE_LIMITS, Finding, PolicyError, parse_policy, policy_size, validate_policy

OK_STMT: dict[str, Any] = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}


def doc(*stmts: dict[str, Any], version: str | None = "2012-10-17") -> dict[str, Any]:
    d: dict[str, Any] = {"Statement": list(stmts)}
    if version is not None:
        d["Version"] = version
    return d


def err(document: Any, **kw: Any) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        parse_policy(document, **kw)
    return info.value


def test_valid_policy_parses() -> None:
    p = parse_policy(doc(OK_STMT), name="p")
    assert p.version == "2012-10-17" and len(p.statements) == 1


def test_bad_json_is_syntax_error_with_position() -> None:
    e = err('{\n  "Version": "2012-10-17",\n  "Statement": [ }', name="f.json")
    assert (e.code, e.message) == ("MalformedPolicyDocument", "Syntax errors in policy.")
    assert e.line == 3 and e.column is not None
    assert e.location == "f.json"


@pytest.mark.parametrize("bad", ["", "[]", "null", '"x"', "{} extra", '{"a":1,"a":2}', b"\xff\xfe"])
def test_not_a_policy_object(bad: str | bytes) -> None:
    assert err(bad).message == "Syntax errors in policy."


def test_unknown_top_level_element() -> None:
    e = err(doc(OK_STMT) | {"Condition": {}}, name="p")
    assert e.message == "Syntax errors in policy." and e.location == "p: Condition"


def test_unknown_statement_element_location_and_position() -> None:
    text = json.dumps(doc(OK_STMT, OK_STMT | {"Actions": "s3:*"}), indent=2)
    e = err(text, name="p")
    assert e.message == "Syntax errors in policy."
    assert e.location == "p: Statement[1].Actions"
    assert e.line is not None and '"Actions"' in text.splitlines()[e.line - 1]


@pytest.mark.parametrize(
    ("stmt", "message", "location"),
    [
        ({"Action": "s3:*", "Resource": "*"}, "Missing required field Effect", "p: Statement[0]"),
        ({"Effect": "Allow", "Resource": "*"}, "Missing required field Action", "p: Statement[0]"),
        ({"Effect": "Allow", "Action": "s3:*"}, "Missing required field Resource", "p: Statement[0]"),
        (
            {"Effect": "allow", "Action": "s3:*", "Resource": "*"},
            "Syntax errors in policy.",
            "p: Statement[0].Effect",
        ),
        (OK_STMT | {"Action": 5}, "Syntax errors in policy.", "p: Statement[0].Action"),
        (OK_STMT | {"NotAction": "s3:*"}, "Syntax errors in policy.", "p: Statement[0].NotAction"),
        (OK_STMT | {"NotResource": "*"}, "Syntax errors in policy.", "p: Statement[0].NotResource"),
        (
            OK_STMT | {"Action": "s3GetObject"},
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
            "p: Statement[0].Action",
        ),
        (
            OK_STMT | {"Action": ["s3:a", "s3:b:c"]},
            "Actions/Condition can contain only one colon.",
            "p: Statement[0].Action[1]",
        ),
        (
            OK_STMT | {"Resource": "lab-bucket"},
            'Resource lab-bucket must be in ARN format or "*".',
            "p: Statement[0].Resource",
        ),
        (
            OK_STMT | {"Principal": "*"},
            "Policy document should not specify a principal.",
            "p: Statement[0].Principal",
        ),
        (
            OK_STMT | {"NotPrincipal": {"AWS": "*"}},
            "Policy document should not specify a principal.",
            "p: Statement[0].NotPrincipal",
        ),
        (
            OK_STMT | {"Sid": "has space"},
            "Statement IDs (SID) must be alpha-numeric. "
            "Check that your input satisfies the regular expression [0-9A-Za-z]*",
            "p: Statement[0].Sid",
        ),
        (
            OK_STMT | {"Condition": {"StringEqualz": {"aws:username": "a"}}},
            "Invalid Condition type : StringEqualz.",
            "p: Statement[0].Condition.StringEqualz",
        ),
        (
            OK_STMT | {"Condition": {"NullIfExists": {"aws:username": "true"}}},
            "Invalid Condition type : NullIfExists.",
            "p: Statement[0].Condition.NullIfExists",
        ),
        (
            OK_STMT | {"Condition": {"ForSomeValues:StringEquals": {"k:k": "a"}}},
            "Invalid Condition type : ForSomeValues:StringEquals.",
            "p: Statement[0].Condition.ForSomeValues:StringEquals",
        ),
        (
            OK_STMT | {"Condition": {"StringEquals": "a"}},
            "Syntax errors in policy.",
            "p: Statement[0].Condition.StringEquals",
        ),
        (
            OK_STMT | {"Condition": {"StringEquals": {"k:k": {"x": 1}}}},
            "Syntax errors in policy.",
            "p: Statement[0].Condition.StringEquals.k:k",
        ),
        (
            OK_STMT | {"Condition": {"StringEquals": {"k:k": None}}},
            "Syntax errors in policy.",
            "p: Statement[0].Condition.StringEquals.k:k",
        ),
    ],
)
def test_identity_statement_errors(stmt: dict[str, Any], message: str, location: str) -> None:
    e = err(doc(stmt), name="p")
    assert (e.code, e.message, e.location) == ("MalformedPolicyDocument", message, location)


def test_duplicate_sid() -> None:
    e = err(doc(OK_STMT | {"Sid": "A"}, OK_STMT | {"Sid": "A"}), name="p")
    assert (e.message, e.location) == (
        "Statement IDs (SID) in a single policy must be unique.",
        "p: Statement[1].Sid",
    )


def test_statement_object_location() -> None:
    e = err({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Resource": "*"}}, name="p")
    assert (e.message, e.location) == ("Missing required field Action", "p: Statement")


@pytest.mark.parametrize("version", ["2012-10-18", "2012-10-17 ", ""])
def test_invalid_version_fails_legacy_parsing(version: str) -> None:
    e = err(doc(OK_STMT, version=version), name="p")
    assert (e.code, e.message, e.location) == (
        "MalformedPolicyDocument",
        "The policy failed legacy parsing",
        "p: Version",
    )


def test_version_absent_means_2008() -> None:
    assert parse_policy(doc(OK_STMT, version=None)).version == "2008-10-17"


@pytest.mark.parametrize("kind", ["resource", "trust", "rcp"])
def test_missing_principal(kind: str) -> None:
    stmt = {"Effect": "Allow", "Action": "sts:AssumeRole"} | ({} if kind == "trust" else {"Resource": "*"})
    e = err(doc(stmt), kind=kind, name="p")
    assert (e.message, e.location) == ("Missing required field Principal", "p: Statement[0]")


def test_resource_policy_missing_resource() -> None:
    e = err(doc({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}), kind="resource", name="b")
    assert (e.message, e.location) == ("Missing required field Resource", "b: Statement[0]")


def test_trust_policy_has_no_resource() -> None:
    ok = {
        "Effect": "Allow",
        "Principal": {"Service": "pods.eks.amazonaws.com"},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
    }
    parse_policy(doc(ok), kind="trust")
    e = err(doc(ok | {"Resource": "*"}), kind="trust", name="t")
    assert (e.message, e.location) == ("Has prohibited field Resource", "t: Statement[0].Resource")


@pytest.mark.parametrize(
    ("principal", "shown"),
    [
        ({"AWS": "not-an-arn"}, '"AWS":"not-an-arn"'),
        ({"Bogus": "x"}, '"Bogus":"x"'),
        ("arn:aws:iam::111122223333:root", '"arn:aws:iam::111122223333:root"'),
    ],
)
def test_invalid_principal(principal: Any, shown: str) -> None:
    stmt = {"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject", "Resource": "*"}
    e = err(doc(stmt), kind="resource")
    assert e.message == f"Invalid principal in policy: {shown}"


def test_valid_principals() -> None:
    stmt = {
        "Effect": "Allow",
        "Principal": {
            "AWS": [
                "111122223333",
                "arn:aws:iam::111122223333:root",
                "arn:aws:iam::111122223333:role/a/b",
                "arn:aws:sts::111122223333:assumed-role/b/s",
                "arn:aws:iam::111122223333:user/u",
                "*",
            ],
            "Service": "pods.eks.amazonaws.com",
            "Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.example.com/id/X",
            "CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
        },
        "Action": "s3:GetObject",
        "Resource": "*",
    }
    parse_policy(doc(stmt), kind="resource")


def test_limit_exceeded_counts_non_whitespace() -> None:
    d = doc(OK_STMT)
    compact = json.dumps(d, separators=(",", ":"))
    pretty = json.dumps(d, indent=8)
    assert policy_size(pretty) == policy_size(compact) == len(compact.replace(" ", ""))
    size = policy_size(pretty)
    parse_policy(pretty, max_size=size)
    e = err(pretty, max_size=size - 1, size_quota="PolicySize", name="p")
    assert (e.code, e.message) == ("LimitExceeded", f"Cannot exceed quota for PolicySize: {size - 1}")


def test_size_limits_table() -> None:
    assert SIZE_LIMITS["managed"][0] == 6144
    assert SIZE_LIMITS["inline_role"][0] == 10240
    assert SIZE_LIMITS["inline_user"][0] == 2048
    assert SIZE_LIMITS["trust"][0] == 2048
    big = doc(*[OK_STMT | {"Sid": f"S{i}"} for i in range(200)])
    e = err(big, max_size=SIZE_LIMITS["managed"][0])
    assert e.code == "LimitExceeded"


def test_validate_policy_findings() -> None:
    assert validate_policy(doc(OK_STMT)) == []
    [f] = validate_policy(doc({"Effect": "Allow", "Resource": "*"}), name="p")
    assert f == Finding(
        "error", "MalformedPolicyDocument", "Missing required field Action", "p: Statement[0]"
    )
    warnings = validate_policy(doc(OK_STMT | {"Resource": "arn:aws:s3:::b/${aws:username}"}, version=None))
    assert {w.code for w in warnings} == {"MissingVersion", "VariableInOldVersion"}
    assert all(w.severity == "warning" for w in warnings)


def test_mapping_with_non_json_values_is_syntax_error() -> None:
    assert (
        err({"Version": "2012-10-17", "Statement": [OK_STMT | {"Action": {"s3:x"}}]}).message
        == "Syntax errors in policy."
    )
    assert (
        err(doc(OK_STMT | {"Condition": {"StringEquals": {"k:k": object()}}})).message
        == "Syntax errors in policy."
    )
