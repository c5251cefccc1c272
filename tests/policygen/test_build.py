"""The pure part of policy generation: narrowing resources, prefix patterns, event selection."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from podid.iam import lint_policy, validate_policy
from podid.policygen import Observation, generate, notes, observations, parse_since
from podid.policygen.build import narrow, prefix_patterns

B = "arn:aws:s3:::b"


def test_narrow_folds_keys_per_top_level_prefix() -> None:
    assert narrow([f"{B}/a/x", f"{B}/a/y/z", f"{B}/c/one", f"{B}/top", B]) == [
        B,
        f"{B}/a/*",
        f"{B}/c/one",
        f"{B}/top",
    ]
    assert narrow([f"{B}/logs/2026/01/a", f"{B}/logs/2026/02/b"]) == [f"{B}/logs/2026/*"]
    assert narrow(["*", f"{B}/a/x"]) == ["*"]


def test_prefix_patterns_drop_covered() -> None:
    assert prefix_patterns(["allowed/", "allowed/q1/", "other/"]) == ["allowed/*", "other/*"]
    assert prefix_patterns([""]) == [""]


def test_listing_without_prefix_drops_the_condition() -> None:
    doc = generate(
        [Observation("s3:ListBucket", B, {"s3:prefix": "a/"}), Observation("s3:listbucket", B, {})]
    )
    assert doc["Statement"] == [
        {"Sid": "S3Statement1", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": B}
    ]


def test_generated_policy_is_clean_and_non_resource_actions_get_star() -> None:
    doc = generate(
        [
            Observation("s3:ListAllMyBuckets", "*"),
            Observation("s3:GetObject", f"{B}/a/x"),
            Observation("s3:ListBucket", B, {"s3:prefix": "a/"}),
        ]
    )
    text = json.dumps(doc)
    assert validate_policy(text) == [] and [f for f in lint_policy(text) if f.severity != "info"] == []
    assert [s["Resource"] for s in doc["Statement"] if s["Action"] == "s3:ListAllMyBuckets"] == ["*"]
    with pytest.raises(ValueError):
        generate([])


def _event(role: str, decision: str, enforced: bool | None, when: str = "2026-12-06T10:00:00Z") -> str:
    podid = {
        "decision": decision,
        "authorizations": [
            {"action": "s3:GetObject", "resource": f"{B}/k", "context": {}, "decision": decision}
        ],
    }
    if enforced is not None:
        podid["enforced"] = enforced
    return json.dumps(
        {
            "eventTime": when,
            "userIdentity": {
                "type": "AssumedRole",
                "sessionContext": {
                    "sessionIssuer": {"type": "Role", "arn": f"arn:aws:iam::1:role/{role}", "userName": role}
                },
            },
            "podid": podid,
        }
    )


def test_observations_select_role_time_and_enforcement(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    log.write_text(
        "\n".join(
            [
                _event("app", "allowed", None),
                _event("app", "implicit_deny", False),
                _event("app", "implicit_deny", None),
                _event("other", "allowed", None),
                _event("app", "allowed", None, "2026-12-01T00:00:00Z"),
                "not json",
            ]
        )
        + "\n"
    )
    since = parse_since("2026-12-06T00:00:00Z")
    got, _ = observations(log, "app", since)
    assert [o.decision for o in got] == ["allowed", "implicit_deny"]  # the enforced denial is left out
    got, _ = observations(log, "arn:aws:iam::1:role/app", since, include_denied=True)
    assert len(got) == 3
    now = dt.datetime(2026, 12, 6, 12, tzinfo=dt.UTC)
    assert parse_since("2h", now) == dt.datetime(2026, 12, 6, 10, tzinfo=dt.UTC)
    with pytest.raises(ValueError):
        parse_since("soon")


def test_missing_key_listing_is_explained() -> None:
    seen = [
        Observation("s3:GetObject", f"{B}/a/gone"),
        Observation("s3:ListBucket", B, {}, event_name="GetObject"),
    ]
    doc = generate(seen)
    assert {"Sid": "S3Statement2", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": B} in doc[
        "Statement"
    ]
    assert len(notes(seen)) == 1 and "missing key" in notes(seen)[0]
    assert notes([Observation("s3:ListBucket", B, {}, event_name="ListObjectsV2")]) == []
