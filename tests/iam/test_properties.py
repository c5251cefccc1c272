"""Property tests: parsing never raises anything but PolicyError; Deny/Allow monotonicity; determinism."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podid.iam import PolicyError, PolicySet, Request, evaluate, parse_policy

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
ELEMENTS = [
    "Version",
    "Statement",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "Condition",
    "Sid",
    "StringLike",
    "ForAllValues:StringEquals",
    "Null",
    "AWS",
]
policyish = st.recursive(
    st.sampled_from(
        [
            "2012-10-17",
            "2008-10-17",
            "Allow",
            "Deny",
            "*",
            "s3:*",
            "s3:Get*",
            "arn:aws:s3:::b/*",
            "${aws:username}",
            "true",
            "10.0.0.0/8",
        ]
    )
    | json_values,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(ELEMENTS), inner, max_size=5),
    max_leaves=25,
)


@FAST
@given(json_values | policyish)
def test_parse_arbitrary_json_only_raises_policy_error(value: Any) -> None:
    for doc in (value, json.dumps(value)):
        try:
            parse_policy(doc)  # type: ignore[arg-type]
            parse_policy(doc, kind="resource")  # type: ignore[arg-type]
        except PolicyError:
            pass


@FAST
@given(st.text(max_size=60))
def test_parse_arbitrary_text_only_raises_policy_error(text: str) -> None:
    with contextlib.suppress(PolicyError):
        parse_policy(text)


# ------------------------------------------------------------------ generated policies and requests

ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "sqs:SendMessage", "kms:Decrypt"]
RESOURCES = [
    "arn:aws:s3:::b/a.txt",
    "arn:aws:s3:::b",
    "arn:aws:s3:::c/x/y",
    "arn:aws:sqs:us-east-1:111122223333:q",
    "arn:aws:kms:us-east-1:111122223333:key/k",
    "*",
]
PATTERNS = [
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b",
    "arn:aws:s3:::*",
    "arn:aws:sqs:*:111122223333:q",
    "arn:aws:kms:*:*:key/*",
    "arn:aws:s3:::${aws:username}/*",
]
ACTION_PATTERNS = ["*", "s3:*", "s3:Get*", "s3:PutObject", "sqs:*", "kms:Decrypt", "s3:?etObject"]
CONDITIONS = [
    {},
    {"StringEquals": {"aws:PrincipalTag/team": "a"}},
    {"StringNotEquals": {"aws:PrincipalTag/team": "a"}},
    {"StringLikeIfExists": {"s3:prefix": "p/*"}},
    {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    {"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}},
    {"ForAnyValue:StringLike": {"aws:TagKeys": ["e*"]}},
    {"Null": {"aws:PrincipalTag/team": "true"}},
    {"NumericLessThan": {"s3:max-keys": "10"}},
]
SESS = "arn:aws:sts::111122223333:assumed-role/app/pod-1"
PRINCIPALS = [
    "*",
    {"AWS": "111122223333"},
    {"AWS": "arn:aws:iam::111122223333:role/app"},
    {"AWS": SESS},
    {"AWS": "arn:aws:iam::444455556666:root"},
]


def statement(effect: str, resource_policy: bool) -> st.SearchStrategy[dict[str, Any]]:
    base = st.fixed_dictionaries(
        {
            "Effect": st.just(effect),
            "Action": st.sampled_from(ACTION_PATTERNS),
            "Resource": st.sampled_from(PATTERNS),
            "Condition": st.sampled_from(CONDITIONS),
        }
    )
    if resource_policy:
        return st.builds(lambda s, p: s | {"Principal": p}, base, st.sampled_from(PRINCIPALS))
    return base


def policy_doc(resource_policy: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    stmts = st.lists(statement("Allow", resource_policy) | statement("Deny", resource_policy), max_size=3)
    return st.builds(lambda s: {"Version": "2012-10-17", "Statement": s}, stmts)


requests = st.builds(
    Request,
    principal=st.sampled_from(
        [SESS, "arn:aws:iam::111122223333:user/alice", "arn:aws:sts::444455556666:assumed-role/x/s"]
    ),
    action=st.sampled_from(ACTIONS),
    resource=st.sampled_from(RESOURCES),
    context=st.fixed_dictionaries(
        {},
        optional={
            "aws:PrincipalTag/team": st.sampled_from(["a", "b"]),
            "s3:prefix": st.sampled_from(["p/x", "q/"]),
            "aws:SourceIp": st.sampled_from(["10.1.1.1", "192.0.2.1", "bogus"]),
            "aws:TagKeys": st.lists(st.sampled_from(["env", "team"]), max_size=2),
            "aws:username": st.sampled_from(["b", "c"]),
            "s3:max-keys": st.sampled_from(["5", "50", "x"]),
        },
    ),
    resource_account=st.sampled_from([None, "111122223333", "444455556666"]),
)


@st.composite
def scenario(draw: st.DrawFn) -> tuple[Request, dict[str, Any]]:
    req = draw(requests)
    docs: dict[str, Any] = {"identity": draw(st.lists(policy_doc(), max_size=2))}
    if draw(st.booleans()):
        docs["resource"] = draw(policy_doc(resource_policy=True))
    for kind in ("boundary", "session", "scp"):
        if draw(st.integers(0, 3)) == 0:
            docs[kind] = [draw(policy_doc())]
    return req, docs


def build(docs: dict[str, Any]) -> PolicySet:
    def many(kind: str) -> list[Any] | None:
        return [parse_policy(d, kind=kind) for d in docs[kind]] if kind in docs else None  # type: ignore[arg-type]

    rp = parse_policy(docs["resource"], kind="resource") if "resource" in docs else None
    return PolicySet(
        identity=many("identity") or [],
        resource=rp,
        boundary=many("boundary"),
        session=many("session"),
        scp=many("scp"),
    )


KINDS_WITH_STATEMENTS = ["identity", "resource", "boundary", "session", "scp"]


def add_statement(docs: dict[str, Any], kind: str, stmt: dict[str, Any]) -> dict[str, Any]:
    new = json.loads(json.dumps(docs))
    if kind == "resource":
        if "resource" not in new:
            new["resource"] = {"Version": "2012-10-17", "Statement": []}
        new["resource"]["Statement"].append(stmt)
    else:
        if kind not in new or not new[kind]:
            if kind != "identity":
                return new  # adding a policy kind that was absent changes more than one statement
            new[kind] = [{"Version": "2012-10-17", "Statement": []}]
        new[kind][0]["Statement"].append(stmt)
    return new


@FAST
@given(scenario(), st.sampled_from(KINDS_WITH_STATEMENTS), st.data())
def test_adding_deny_never_turns_deny_into_allow(
    sc: tuple[Request, dict[str, Any]], kind: str, data: st.DataObject
) -> None:
    req, docs = sc
    before = evaluate(req, build(docs))
    stmt = data.draw(statement("Deny", kind == "resource"))
    after = evaluate(req, build(add_statement(docs, kind, stmt)))
    if not before.allowed:
        assert not after.allowed
    if before.outcome == "explicit_deny":
        assert after.outcome == "explicit_deny"


@FAST
@given(scenario(), st.sampled_from(KINDS_WITH_STATEMENTS), st.data())
def test_adding_allow_never_turns_allow_into_deny(
    sc: tuple[Request, dict[str, Any]], kind: str, data: st.DataObject
) -> None:
    req, docs = sc
    before = evaluate(req, build(docs))
    stmt = data.draw(statement("Allow", kind == "resource"))
    after = evaluate(req, build(add_statement(docs, kind, stmt)))
    if before.allowed:
        assert after.allowed
    if before.outcome == "explicit_deny":
        assert after.outcome == "explicit_deny"


@FAST
@given(scenario())
def test_evaluation_is_deterministic(sc: tuple[Request, dict[str, Any]]) -> None:
    req, docs = sc
    ps = build(docs)
    first = evaluate(req, ps)
    assert evaluate(req, ps) == first
    assert evaluate(req, build(docs)) == first
