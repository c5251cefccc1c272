"""Decision reasons (deciding statements, denied_in) and AWS's access-denied message texts."""

from __future__ import annotations

from typing import Any

import pytest

from podid.iam import PolicySet, Request, StatementRef, denial_message, evaluate, parse_policy

SESS = "arn:aws:sts::111122223333:assumed-role/app/pod-1"
OBJ = "arn:aws:s3:::lab-bucket/a.txt"
HEAD = f"User: {SESS} is not authorized to perform: s3:GetObject on resource: {OBJ}"


def pol(*stmts: dict[str, Any], kind: str = "identity", name: str = "p") -> Any:
    return parse_policy({"Version": "2012-10-17", "Statement": list(stmts)}, kind=kind, name=name)  # type: ignore[arg-type]


ALLOW = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
DENY = {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}
OTHER = {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}
REQ = Request(SESS, "s3:GetObject", OBJ)


@pytest.mark.parametrize(
    ("ps", "request_", "denied_in", "suffix"),
    [
        (PolicySet(), REQ, "identity", "because no identity-based policy allows the s3:GetObject action"),
        (
            PolicySet(identity=[pol(ALLOW, DENY)]),
            REQ,
            "identity",
            "with an explicit deny in an identity-based policy",
        ),
        (
            PolicySet(identity=[pol(ALLOW)], resource=pol(DENY | {"Principal": "*"}, kind="resource")),
            REQ,
            "resource",
            "with an explicit deny in a resource-based policy",
        ),
        (
            PolicySet(identity=[pol(ALLOW)], boundary=[pol(OTHER)]),
            REQ,
            "boundary",
            "because no permissions boundary allows the s3:GetObject action",
        ),
        (
            PolicySet(identity=[pol(ALLOW)], boundary=[pol(ALLOW, DENY)]),
            REQ,
            "boundary",
            "with an explicit deny in a permissions boundary",
        ),
        (
            PolicySet(identity=[pol(ALLOW)], session=[pol(OTHER)]),
            REQ,
            "session",
            "because no session policy allows the s3:GetObject action",
        ),
        (
            PolicySet(identity=[pol(ALLOW)], session=[pol(DENY)]),
            REQ,
            "session",
            "with an explicit deny in a session policy",
        ),
        (
            PolicySet(identity=[pol(ALLOW)], scp=[pol(OTHER)]),
            REQ,
            "scp",
            "because no service control policy allows the s3:GetObject action",
        ),
        (
            PolicySet(identity=[pol(ALLOW)], scp=[pol(ALLOW), pol(DENY)]),
            REQ,
            "scp",
            "with an explicit deny in a service control policy",
        ),
        (
            PolicySet(identity=[pol(ALLOW)]),
            Request(SESS, "s3:GetObject", OBJ, resource_account="444455556666"),
            "resource",
            "because no resource-based policy allows the s3:GetObject action",
        ),
    ],
)
def test_denial_messages(ps: PolicySet, request_: Request, denied_in: str, suffix: str) -> None:
    decision = evaluate(request_, ps)
    assert not decision.allowed
    assert decision.denied_in == denied_in
    assert denial_message(request_, decision) == f"{HEAD} {suffix}"


def test_allowed_decision_names_allowing_statements() -> None:
    ps = PolicySet(identity=[pol(OTHER, ALLOW | {"Sid": "Read"}, name="reader")])
    decision = evaluate(REQ, ps)
    assert decision.allowed and decision.denied_in is None
    assert decision.deciding == (StatementRef("identity", "reader", 1, "Read", "Allow"),)
    with pytest.raises(ValueError):
        denial_message(REQ, decision)


def test_explicit_deny_names_deny_statements() -> None:
    ps = PolicySet(identity=[pol(ALLOW, DENY | {"Sid": "NoGet"}, name="a")], boundary=[pol(DENY, name="b")])
    decision = evaluate(REQ, ps)
    assert decision.outcome == "explicit_deny"
    assert {(r.kind, r.policy, r.index, r.sid, r.effect) for r in decision.deciding} == {
        ("identity", "a", 1, "NoGet", "Deny"),
        ("boundary", "b", 0, None, "Deny"),
    }


def test_kms_without_key_policy_grant_is_resource_denial() -> None:
    key = "arn:aws:kms:us-east-1:111122223333:key/k"
    req = Request(SESS, "kms:Decrypt", key)
    kp = pol(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:role/admin"},
            "Action": "kms:*",
            "Resource": "*",
        },
        kind="resource",
    )
    decision = evaluate(
        req, PolicySet(identity=[pol({"Effect": "Allow", "Action": "kms:*", "Resource": "*"})], resource=kp)
    )
    assert decision.outcome == "implicit_deny" and decision.denied_in == "resource"


def test_trust_policy_for_web_identity() -> None:
    provider = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
    trust = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": provider},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:default:app"
                        }
                    },
                }
            ],
        },
        kind="trust",
    )
    role = "arn:aws:iam::111122223333:role/app"
    ok = Request(
        provider,
        "sts:AssumeRoleWithWebIdentity",
        role,
        principal_type="Federated",
        context={"oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:default:app"},
    )
    assert evaluate(ok, PolicySet(resource=trust)).allowed
    bad = Request(
        provider,
        "sts:AssumeRoleWithWebIdentity",
        role,
        principal_type="Federated",
        context={"oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:default:other"},
    )
    decision = evaluate(bad, PolicySet(resource=trust))
    assert decision.denied_in == "trust"
    assert denial_message(bad, decision) == (
        f"User: {provider} is not authorized to perform: sts:AssumeRoleWithWebIdentity on resource: {role}"
    )
    svc = Request("pods.eks.amazonaws.com", "sts:AssumeRole", role, principal_type="Service")
    assert not evaluate(svc, PolicySet(resource=trust)).allowed


def test_trust_policy_naming_account_needs_identity_allow() -> None:
    trust = pol(
        {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"}, kind="trust"
    )
    req = Request(
        "arn:aws:iam::111122223333:user/alice", "sts:AssumeRole", "arn:aws:iam::111122223333:role/x"
    )
    assert not evaluate(req, PolicySet(resource=trust)).allowed
    ident = pol({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})
    assert evaluate(req, PolicySet(identity=[ident], resource=trust)).allowed
    # identity alone is not enough for a role trust
    assert not evaluate(
        req,
        PolicySet(
            identity=[ident],
            resource=pol(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                },
                kind="trust",
            ),
        ),
    ).allowed
