"""podid.iam -- the IAM policy judge: parse, validate, evaluate, explain (pure, no I/O).

Public API (contract: docs/architecture.md): `parse_policy`, `validate_policy`, `evaluate`,
`denial_message`, `lint_policy`, and the types `Policy`, `PolicySet`, `Request`, `Decision`,
`StatementRef`, `Finding`, `PolicyError`, `PolicyKind`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from podid.iam.errors import PolicyError
from podid.iam.evaluator import evaluate
from podid.iam.explain import denial_message
from podid.iam.model import (
    Decision,
    Finding,
    Policy,
    PolicyKind,
    PolicySet,
    Request,
    Statement,
    StatementRef,
)
from podid.iam.parser import SIZE_LIMITS, parse_policy, policy_size
from podid.iam.validator import validate_policy

if TYPE_CHECKING:
    from podid.iam.lint import lint_policy
else:

    def __getattr__(name: str) -> Any:
        # lint.py (owned by the catalogue/lint work) is imported lazily so that this package
        # imports even before it exists.
        if name == "lint_policy":
            from podid.iam.lint import lint_policy

            return lint_policy
        raise AttributeError(f"module 'podid.iam' has no attribute {name!r}")


__all__ = [
    "SIZE_LIMITS",
    "Decision",
    "Finding",
    "Policy",
    "PolicyError",
    "PolicyKind",
    "PolicySet",
    "Request",
    "Statement",
    "StatementRef",
    "denial_message",
    "evaluate",
    "lint_policy",
    "parse_policy",
    "policy_size",
    "validate_policy",
]
