"""Pod Identity associations: validation, output shapes, the EKS rules around roles.

Rules (EKS API reference / User Guide; wire facts §3, §4):

* one association per (cluster, namespace, ServiceAccount): a second one is
  ``ResourceInUseException`` (409) ``Association already exists: a-...``;
* ``roleArn`` must be a role of the cluster's account that exists (else InvalidParameterException)
  and the caller needs ``iam:PassRole`` on it (checked by the handler through the judge);
* ``targetRoleArn`` may be in any account (EKS cannot see other accounts' roles, so only its ARN
  form is checked); it gets a fresh ``externalId`` that the target role's trust policy must
  require as ``sts:ExternalId``;
* ``policy`` (a session policy) requires ``disableSessionTags=true``.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from typing import Any

from podid.eks import errors, ids
from podid.eks.repo import AssociationRecord
from podid.iam import PolicyError, parse_policy

MAX_NAME = 253
SESSION_POLICY_MAX = 2048


def new_external_id() -> str:
    """A unique identifier for a target-role association (a UUID)."""
    return str(uuid.uuid4())


def check_subject(namespace: Any, service_account: Any) -> tuple[str, str]:
    """Namespace and ServiceAccount names as Kubernetes allows them."""
    for label, value in (("namespace", namespace), ("serviceAccount", service_account)):
        if not isinstance(value, str) or not value or len(value) > MAX_NAME:
            raise errors.invalid_parameter(f"{label} must be 1 to {MAX_NAME} characters long")
    return namespace, service_account


def check_role_arn(value: Any, field: str) -> tuple[str, str]:
    """``(account, role name)`` of an IAM role ARN, else InvalidParameterException."""
    parsed = ids.parse_role_arn(value) if isinstance(value, str) else None
    if parsed is None:
        raise errors.invalid_parameter(
            f"The {field} provided in the request is not a valid IAM role ARN: {value}")
    return parsed


def check_policy(policy: Any, disable_session_tags: bool) -> str | None:
    """A session policy document (validated by the judge), or None."""
    if policy is None or policy == "":
        return None
    if not disable_session_tags:
        raise errors.invalid_parameter("A policy can only be specified when disableSessionTags is true.")
    if not isinstance(policy, str) or len(policy) > SESSION_POLICY_MAX:
        raise errors.invalid_parameter(
            f"policy must be a JSON document of at most {SESSION_POLICY_MAX} characters")
    try:
        parse_policy(policy, kind="session", name="policy")
    except PolicyError as exc:
        raise errors.invalid_parameter(f"The policy is not valid: {exc.message}") from exc
    return policy


def check_tags(tags: Any) -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, Mapping) or len(tags) > 50:
        raise errors.invalid_parameter("tags must be a map of at most 50 entries")
    out: dict[str, str] = {}
    for key, value in tags.items():
        if not (isinstance(key, str) and 1 <= len(key) <= 128 and isinstance(value, str)
                and len(value) <= 256):
            raise errors.invalid_parameter("tag keys must be 1-128 characters and values at most 256")
        if key.lower().startswith("aws:"):
            raise errors.invalid_parameter("tag keys may not begin with aws:")
        out[key] = value
    return out


def association_output(a: AssociationRecord, cluster_name: str) -> dict[str, Any]:
    """The ``PodIdentityAssociation`` shape."""
    out: dict[str, Any] = {
        "clusterName": cluster_name,
        "namespace": a.namespace,
        "serviceAccount": a.service_account,
        "roleArn": a.role_arn,
        "associationArn": a.arn,
        "associationId": a.association_id,
        "tags": dict(a.tags),
        "createdAt": _ts(a.created_at),
        "modifiedAt": _ts(a.modified_at),
        "disableSessionTags": a.disable_session_tags,
    }
    if a.owner_arn:
        out["ownerArn"] = a.owner_arn
    if a.target_role_arn:
        out["targetRoleArn"] = a.target_role_arn
        out["externalId"] = a.external_id
    if a.policy:
        out["policy"] = a.policy
    return out


def summary_output(a: AssociationRecord, cluster_name: str) -> dict[str, Any]:
    """The ``PodIdentityAssociationSummary`` shape."""
    out: dict[str, Any] = {
        "clusterName": cluster_name,
        "namespace": a.namespace,
        "serviceAccount": a.service_account,
        "associationArn": a.arn,
        "associationId": a.association_id,
    }
    if a.owner_arn:
        out["ownerArn"] = a.owner_arn
    return out


def compact_policy(policy: str | None) -> str | None:
    """The policy as stored: re-serialised compactly (whitespace does not count, as in IAM)."""
    if policy is None:
        return None
    return json.dumps(json.loads(policy), separators=(",", ":"))


def _ts(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.UTC)
