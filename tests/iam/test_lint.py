"""Least-privilege lint: every rule fires on its bad case and stays quiet on the good one."""

from __future__ import annotations

from typing import Any

import pytest

from podid.iam import Finding, lint_policy, parse_policy
from podid.iam.lint import RULES, catalogue_findings, finding_to_json

V = "2012-10-17"
OIDC = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/ABC"
SEEDS = {
    "Version": V,
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::BUCKET",
            "Condition": {"StringLike": {"s3:prefix": "PREFIX/*"}},
        },
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::BUCKET/PREFIX/*"},
    ],
}


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": V, "Statement": list(statements)}


def codes(d: Any, kind: str = "identity") -> list[str]:
    return [f.code for f in lint_policy(d, kind=kind, name="p.json")]  # type: ignore[arg-type]


def allow(action: Any, resource: Any = "arn:aws:s3:::b/*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def web_identity(condition: dict[str, Any] | None) -> dict[str, Any]:
    st: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Federated": OIDC},
        "Action": "sts:AssumeRoleWithWebIdentity",
    }
    if condition is not None:
        st["Condition"] = condition
    return doc(st)


def pod_identity(actions: Any, services: Any = "pods.eks.amazonaws.com") -> dict[str, Any]:
    return doc({"Effect": "Allow", "Principal": {"Service": services}, "Action": actions})


def test_seeds_policy_is_clean() -> None:
    assert lint_policy(SEEDS, name="seeds.json") == []


def test_every_rule_has_a_severity() -> None:
    assert all(sev in ("error", "warning", "info") for sev, _ in RULES.values())


def test_action_star() -> None:
    assert "WildcardAction" in codes(doc(allow("*", "*")))
    assert "WildcardAction" not in codes(doc(allow("s3:GetObject")))
    # Deny "*" is fine
    assert codes(doc({"Effect": "Deny", "Action": "*", "Resource": "*"})) == []


def test_service_star() -> None:
    found = lint_policy(doc(allow("s3:*", "*")), name="p.json")
    by_code = {f.code: f for f in found}
    assert by_code["ServiceWildcardAction"].severity == "error"
    assert by_code["ServiceWildcardAction"].location == "p.json: Statement[0].Action"
    assert "WildcardResource" in by_code
    assert "ServiceWildcardAction" not in codes(doc(allow(["s3:GetObject", "s3:Get*"])))


def test_resource_star_on_resource_level_actions() -> None:
    found = [
        f for f in lint_policy(doc(allow("s3:GetObject", "*")), name="p.json") if f.code == "WildcardResource"
    ]
    assert len(found) == 1 and "s3:GetObject" in found[0].message
    assert found[0].location == "p.json: Statement[0].Resource"
    # actions with no resource-level permissions need "*": not a finding
    assert codes(doc(allow(["s3:ListAllMyBuckets", "sts:GetCallerIdentity"], "*"))) == []
    assert "WildcardResource" not in codes(doc(allow("s3:GetObject", "arn:aws:s3:::b/*")))


def test_allow_with_not_action_and_not_resource() -> None:
    found = codes(doc({"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::x"}))
    assert "AllowWithNotAction" in found and "AllowWithNotResource" in found
    deny = codes(doc({"Effect": "Deny", "NotAction": "s3:GetObject", "NotResource": "arn:aws:s3:::x"}))
    assert "AllowWithNotAction" not in deny and "AllowWithNotResource" not in deny


def test_passrole_on_star() -> None:
    assert "PassRoleWildcard" in codes(doc(allow("iam:PassRole", "*")))
    ok = doc(allow("iam:PassRole", "arn:aws:iam::111122223333:role/app-*"))
    assert "PassRoleWildcard" not in codes(ok)


def test_web_identity_without_sub() -> None:
    aud_only = web_identity({"StringEquals": {f"{ISSUER}:aud": "sts.amazonaws.com"}})
    assert "WebIdentityNoSubCondition" in codes(aud_only, "trust")
    assert "WebIdentityNoSubCondition" in codes(web_identity(None), "trust")
    # a negated :sub condition does not restrict who can assume
    negated = web_identity({"StringNotEquals": {f"{ISSUER}:sub": "system:serviceaccount:x:y"}})
    assert "WebIdentityNoSubCondition" in codes(negated, "trust")
    good = web_identity(
        {
            "StringEquals": {
                f"{ISSUER}:sub": "system:serviceaccount:ns:app",
                f"{ISSUER}:aud": "sts.amazonaws.com",
            }
        }
    )
    assert codes(good, "trust") == []


def test_web_identity_wildcard_sub() -> None:
    star = web_identity({"StringLike": {f"{ISSUER}:sub": "system:serviceaccount:*"}})
    assert "WebIdentityWildcardSub" in codes(star, "trust")
    question = web_identity({"StringLike": {f"{ISSUER}:sub": ["system:serviceaccount:ns:app-?"]}})
    assert "WebIdentityWildcardSub" in codes(question, "trust")
    # with StringEquals "*" is a literal character: not a wildcard
    literal = web_identity({"StringEquals": {f"{ISSUER}:sub": "system:serviceaccount:ns:app"}})
    assert codes(literal, "trust") == []


def test_pod_identity_tag_session() -> None:
    assert "PodIdentityNoTagSession" in codes(pod_identity("sts:AssumeRole"), "trust")
    assert codes(pod_identity(["sts:AssumeRole", "sts:TagSession"]), "trust") == []


def test_pod_identity_extra_principal() -> None:
    both = pod_identity(["sts:AssumeRole", "sts:TagSession"], ["pods.eks.amazonaws.com", "ec2.amazonaws.com"])
    found = [
        f for f in lint_policy(both, kind="trust", name="t.json") if f.code == "PodIdentityExtraPrincipal"
    ]
    assert found and "ec2.amazonaws.com" in found[0].message
    other_stmt = pod_identity(["sts:AssumeRole", "sts:TagSession"])
    other_stmt["Statement"].append(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
            "Action": "sts:AssumeRole",
        }
    )
    assert "PodIdentityExtraPrincipal" in codes(other_stmt, "trust")
    assert "PodIdentityExtraPrincipal" not in codes(
        pod_identity(["sts:AssumeRole", "sts:TagSession"]), "trust"
    )


def test_list_bucket_without_prefix() -> None:
    bad = doc(
        allow("s3:ListBucket", "arn:aws:s3:::BUCKET"), allow("s3:GetObject", "arn:aws:s3:::BUCKET/PREFIX/*")
    )
    found = [f for f in lint_policy(bad, name="p.json") if f.code == "ListBucketNoPrefix"]
    assert found and found[0].severity == "warning" and found[0].location == "p.json: Statement[0]"
    # GetObject on the whole bucket: listing it all is consistent
    whole = doc(allow("s3:ListBucket", "arn:aws:s3:::BUCKET"), allow("s3:GetObject", "arn:aws:s3:::BUCKET/*"))
    assert "ListBucketNoPrefix" not in codes(whole)
    assert "ListBucketNoPrefix" not in codes(SEEDS)


def test_unknown_service_and_action_are_warnings() -> None:
    found = lint_policy(
        doc(allow(["s4:GetObject", "s3:GetObjekt", "s3:Fly*", "s3:GetObject"])), name="p.json"
    )
    assert [(f.severity, f.code) for f in found] == [
        ("warning", "UnknownService"),
        ("warning", "UnknownAction"),
        ("warning", "UnknownAction"),
    ]
    assert all(f.location == "p.json: Statement[0].Action" for f in found)
    assert codes(doc(allow(["S3:getobject", "s3:Get*", "sqs:*Message"]))) == []


def test_catalogue_findings_for_validate() -> None:
    policy = parse_policy(doc(allow("s3:GetObjekt")), name="v.json")
    [f] = catalogue_findings(policy)
    assert f.code == "UnknownAction" and "GetObjekt" in f.message


def test_caps_are_not_linted_for_breadth() -> None:
    full_access = doc(allow("*", "*"))
    assert codes(full_access, "scp") == []
    assert codes(doc(allow("s3:*", "*")), "boundary") == []


def test_invalid_document_gives_validation_error_not_exception() -> None:
    found = lint_policy("{not json", name="broken.json")
    assert [f.severity for f in found] == ["error"]
    assert found[0].location.startswith("broken.json")
    principal = doc({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"})
    [err] = lint_policy(principal, name="p.json")
    assert err.message == "Policy document should not specify a principal."


@pytest.mark.parametrize("f", [Finding("error", "WildcardAction", "m", "p.json: Statement[0].Action")])
def test_finding_json(f: Finding) -> None:
    assert finding_to_json(f) == {
        "severity": "error",
        "code": "WildcardAction",
        "message": "m",
        "location": "p.json: Statement[0].Action",
    }


def test_unknown_condition_key_of_a_known_service() -> None:
    typo = doc(allow("s3:ListBucket", "arn:aws:s3:::b", Condition={"StringLike": {"s3:prefx": "p/*"}}))
    found = [f for f in lint_policy(typo, name="p.json") if f.code == "UnknownConditionKey"]
    assert found and found[0].location == "p.json: Statement[0].Condition.StringLike"
    assert found[0].severity == "warning"
    known = doc(
        allow(
            "secretsmanager:GetSecretValue",
            "arn:aws:secretsmanager:us-east-1:111122223333:secret:app-*",
            Condition={
                "StringEquals": {"secretsmanager:ResourceTag/team": "a", "aws:PrincipalTag/team": "a"},
                "StringLike": {"kms:EncryptionContext:aws:logs:arn": "*"},
            },
        )
    )
    assert "UnknownConditionKey" not in codes(known)
    # keys of unknown prefixes (OIDC issuers, custom) are not judged
    assert "UnknownConditionKey" not in codes(web_identity({"StringEquals": {f"{ISSUER}:sub": "x"}}), "trust")


def test_findings_carry_source_positions() -> None:
    text = (
        '{\n'
        '  "Version": "2012-10-17",\n'
        '  "Statement": [\n'
        '    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},\n'
        '    {\n'
        '      "Effect": "Allow",\n'
        '      "Action": "s3:*",\n'
        '      "Resource": "*"\n'
        '    }\n'
        '  ]\n'
        '}\n'
    )
    found = {f.code: (f.location, f.line, f.column) for f in lint_policy(text, name="p.json")}
    assert found["ServiceWildcardAction"] == ("p.json: Statement[1].Action", 7, 17)
    assert found["WildcardResource"] == ("p.json: Statement[1].Resource", 8, 19)
    single = ('{"Version": "2012-10-17",\n'
              ' "Statement": {"Effect": "Allow", "NotAction": "iam:*",\n "Resource": "*"}}')
    positions = {f.code: (f.line, f.column) for f in lint_policy(single, name="s.json")}
    assert positions["AllowWithNotAction"] == (2, 48)   # single statement object: no [0] in the path
