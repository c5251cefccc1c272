"""From observations to the tightest identity policy (pure).

* Actions: exactly the observed ones, spelled as the catalogue spells them.
* Resources: the observed ARNs. S3 object keys under one top-level prefix collapse to the
  smallest pattern covering them (`bucket/allowed/report.txt` + `bucket/allowed/q1/a.csv` ->
  `bucket/allowed/*`); a lone key stays exact. `*` only where the request's resource was `*`.
* S3 listings (ListBucket and friends) get the seeds' `StringLike s3:prefix` condition with the
  observed prefixes as patterns (`allowed/` -> `allowed/*`), the condition dropped when a listing
  had no prefix (it needed the whole bucket).
* Actions sharing resources and condition form one statement; statements are ordered by service.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from podid.iam.catalogue import Catalogue
from podid.policygen.observed import Observation

VERSION = "2012-10-17"
PREFIX_ACTIONS = frozenset({"s3:listbucket", "s3:listbucketversions", "s3:listbucketmultipartuploads"})
_OBJECT = re.compile(r"\A(arn:[^:]*:s3:::[^/]+)/(.+)\Z", re.DOTALL)


def narrow(resources: Iterable[str]) -> list[str]:
    """The observed resources, S3 object keys folded per top-level prefix (see module docstring)."""
    plain: set[str] = set()
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for arn in set(resources):
        m = _OBJECT.match(arn)
        if m is None or "/" not in m.group(2):
            plain.add(arn)
            continue
        bucket, key = m.groups()
        groups[(bucket, key.split("/", 1)[0])].append(key)
    for (bucket, _top), keys in groups.items():
        if len(keys) == 1:
            plain.add(f"{bucket}/{keys[0]}")
            continue
        common = os.path.commonprefix(keys)
        plain.add(f"{bucket}/{common[: common.rindex('/') + 1]}*")
    if "*" in plain:
        return ["*"]
    return sorted(plain)


def prefix_patterns(prefixes: Iterable[str]) -> list[str]:
    """StringLike values for observed s3:prefix values: `p` -> `p*` (empty stays exact), minus
    patterns another one already covers."""
    patterns = sorted({f"{p}*" if p else "" for p in prefixes})
    kept = [
        p for p in patterns if not any(o != p and o.endswith("*") and p.startswith(o[:-1]) for o in patterns)
    ]
    return kept


def _canonical(cat: Catalogue, action: str) -> str:
    found = cat.action(action)
    return found.full_name if found is not None else action


def _sid(service: str, n: int) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", service.title()) + f"Statement{n}"


def notes(observed: Sequence[Observation]) -> list[str]:
    """Why a generated statement is broader than its call looks: an object read of a missing key
    needed s3:ListBucket on the whole bucket (S3 answers 404 rather than 403 only then)."""
    out: list[str] = []
    for ob in observed:
        if ob.action.lower() == "s3:listbucket" and ob.event_name in (
            "GetObject",
            "HeadObject",
            "GetObjectAttributes",
        ):
            line = (
                f"{ob.event_name} of a missing key in {ob.resource} needed s3:ListBucket without a prefix "
                "(S3 answers NoSuchKey only to callers that may list the bucket); drop that statement "
                "if AccessDenied for missing keys is acceptable"
            )
            if line not in out:
                out.append(line)
    return out


def generate(observed: Sequence[Observation], *, catalogue: Catalogue | None = None) -> dict[str, Any]:
    """The policy document allowing exactly `observed` (ValueError when nothing was observed)."""
    if not observed:
        raise ValueError("no calls of the role were observed in that period")
    cat = catalogue or Catalogue.load()
    resources: dict[str, set[str]] = defaultdict(set)
    prefixes: dict[tuple[str, str], set[str | None]] = defaultdict(set)
    for ob in observed:
        action = _canonical(cat, ob.action)
        if action.lower() in PREFIX_ACTIONS and ob.resource != "*":
            value = next((v for k, v in ob.context.items() if k.lower() == "s3:prefix"), None)
            prefixes[(action, ob.resource)].add(str(value) if value is not None else None)
        else:
            resources[action].add(ob.resource)
    statements: dict[tuple[tuple[str, ...], str], tuple[list[str], dict[str, Any] | None]] = {}

    def add(action: str, res: list[str], condition: dict[str, Any] | None) -> None:
        key = (tuple(res), repr(condition))
        statements.setdefault(key, ([], condition))[0].append(action)

    for action, arns in resources.items():
        add(action, narrow(arns), None)
    for (action, bucket), seen in prefixes.items():
        if None in seen:
            add(action, [bucket], None)
        else:
            add(
                action,
                [bucket],
                {"StringLike": {"s3:prefix": prefix_patterns(s for s in seen if s is not None)}},
            )
    ordered = sorted(
        statements.items(), key=lambda kv: (sorted(kv[1][0])[0].split(":")[0], sorted(kv[1][0])[0])
    )
    out: list[dict[str, Any]] = []
    counter: dict[str, int] = defaultdict(int)
    for (res, _cond), (actions, condition) in ordered:
        service = actions[0].split(":")[0]
        counter[service] += 1
        stmt: dict[str, Any] = {
            "Sid": _sid(service, counter[service]),
            "Effect": "Allow",
            "Action": sorted(set(actions)) if len(set(actions)) > 1 else actions[0],
            "Resource": list(res) if len(res) > 1 else res[0],
        }
        if condition is not None:
            stmt["Condition"] = condition
        out.append(stmt)
    return {"Version": VERSION, "Statement": out}
