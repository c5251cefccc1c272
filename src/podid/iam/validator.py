"""Validation as findings: `validate_policy` turns IAM's rejections and a few semantic warnings
into `Finding`s instead of raising.

Owns the error/warning list for a document: the IAM error (if any) from `parse_policy`, plus
warnings IAM itself does not raise but which change meaning (policy variables in a 2008-10-17 or
Version-less policy are literal text; NotPrincipal with Allow; Version absent). Unknown actions
and other catalogue checks are `podid.iam.lint`'s business.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podid.iam.errors import PolicyError
from podid.iam.model import Finding, PolicyKind
from podid.iam.parser import parse_policy


def validate_policy(
    doc: str | bytes | Mapping[str, Any],
    *,
    kind: PolicyKind = "identity",
    name: str = "policy",
    max_size: int | None = None,
) -> list[Finding]:
    """Errors (IAM's code and message) and warnings for a policy document; never raises."""
    try:
        policy = parse_policy(doc, kind=kind, name=name, max_size=max_size)
    except PolicyError as e:
        return [Finding("error", e.code, e.message, e.location, e.line, e.column)]
    findings: list[Finding] = []
    if "Version" not in policy.document:
        findings.append(
            Finding(
                "warning",
                "MissingVersion",
                'No Version: the policy is read as "2008-10-17", without policy variables. '
                'Add "Version": "2012-10-17".',
                f"{name}: Version",
            )
        )
    for stmt in policy.statements:
        loc = f"{name}: Statement[{stmt.index}]"
        if policy.version == "2008-10-17" and "${" in _text(stmt.raw):
            findings.append(
                Finding(
                    "warning",
                    "VariableInOldVersion",
                    "Policy variables need Version 2012-10-17; here ${...} is literal text.",
                    loc,
                )
            )
        if stmt.not_principal is not None and stmt.effect == "Allow":
            findings.append(
                Finding(
                    "warning",
                    "NotPrincipalWithAllow",
                    'NotPrincipal with "Effect": "Allow" grants to every principal except those '
                    "listed, including anonymous users; AWS does not support it.",
                    f"{loc}.NotPrincipal",
                )
            )
    return findings


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return " ".join(_text(k) + " " + _text(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return " ".join(_text(v) for v in value)
    return ""
