"""podid.iam -- the IAM policy judge: parse, validate, evaluate, explain (pure, no I/O).

Public API (contract: docs/architecture.md): `parse_policy`, `validate_policy`, `evaluate`,
`denial_message`, `lint_policy`, and the types `Policy`, `PolicySet`, `Request`, `Decision`,
`StatementRef`, `Finding`, `PolicyError`, `PolicyKind`.
"""

from __future__ import annotations

from podid.iam.errors import PolicyError
from podid.iam.evaluator import evaluate
from podid.iam.explain import denial_message
from podid.iam.lint import lint_policy
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
