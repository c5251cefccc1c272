"""The ``eks-pod-identity-agent`` add-on: catalogue, status from agent heartbeats, output shape.

Status (wire facts §4 AddonStatus), derived on every read from the agents' heartbeats:

* no heartbeat ever received for the cluster -> ``CREATING``;
* fresh explicit heartbeats (within :data:`HEARTBEAT_STALE_SECONDS`) -> ``ACTIVE`` if every node
  reports ``HEALTHY``, else ``DEGRADED`` with the agents' reasons as the health issue;
* no fresh explicit heartbeat, but an authorized eks-auth call from a node agent within the window
  -> ``ACTIVE`` (the agent is evidently serving);
* otherwise (all heartbeats stale, or the agent said ``STOPPED``) -> ``DEGRADED``.

A heartbeat is :class:`podid.agent.health.AgentStatus` JSON (``status``, ``clusterName``,
``nodeName``, ``agentId``, ``reasons``...), POSTed by ``podid agent --heartbeat-url`` to
``/_podid/eks/clusters/{name}/agent-heartbeat`` (see :mod:`podid.eks.server`) or handed to
:func:`record_heartbeat` in-process.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from podid.eks.repo import AddonRecord, HeartbeatRecord

POD_IDENTITY_AGENT = "eks-pod-identity-agent"
#: Add-on versions podid offers (newest first); every one runs podid's own agent.
AGENT_VERSIONS = ("v1.3.8-eksbuild.2", "v1.3.7-eksbuild.2", "v1.3.4-eksbuild.1", "v1.2.0-eksbuild.1")
DEFAULT_AGENT_VERSION = AGENT_VERSIONS[0]
#: agent heartbeat interval is 30 s; three missed intervals = stopped reporting
HEARTBEAT_STALE_SECONDS = 90.0
IMPLICIT_PREFIX = "caller:"
STATUSES = ("HEALTHY", "DEGRADED", "STOPPED")


def unsupported_addon_message(name: str, k8s_version: str) -> str:
    """EKS's InvalidParameterException text for an add-on it does not offer (seen in public issue
    threads, e.g. aws/containers-roadmap#2625)."""
    return f"Addon {name} specified is not supported in {k8s_version} kubernetes version"


def addon_status(heartbeats: Sequence[HeartbeatRecord], now: float) -> tuple[str, list[dict[str, Any]]]:
    """``(status, health issues)`` from the cluster's latest heartbeat per node."""
    explicit = [h for h in heartbeats if not h.node_name.startswith(IMPLICIT_PREFIX)]
    implicit = [h for h in heartbeats if h.node_name.startswith(IMPLICIT_PREFIX)]
    fresh = [h for h in explicit if now - h.received_at <= HEARTBEAT_STALE_SECONDS and h.status != "STOPPED"]
    if fresh:
        bad = [h for h in fresh if h.status != "HEALTHY"]
        if not bad:
            return "ACTIVE", []
        return "DEGRADED", [_issue("; ".join(h.reasons) or f"agent on {h.node_name} reports {h.status}",
                                   [h.node_name]) for h in bad]
    if any(now - h.received_at <= HEARTBEAT_STALE_SECONDS for h in implicit):
        return "ACTIVE", []
    if not heartbeats:
        return "CREATING", []
    nodes = [h.node_name for h in explicit] or [h.node_name for h in implicit]
    stopped = [h for h in explicit if h.status == "STOPPED"]
    silent = f"No heartbeat from the pod identity agent for more than {int(HEARTBEAT_STALE_SECONDS)} seconds"
    message = ("The pod identity agent stopped on " + ", ".join(h.node_name for h in stopped)
               if stopped else silent)
    return "DEGRADED", [_issue(message, nodes)]


def _issue(message: str, resource_ids: list[str]) -> dict[str, Any]:
    return {"code": "InsufficientNumberOfReplicas", "message": message, "resourceIds": resource_ids}


def addon_output(addon: AddonRecord, cluster_name: str, status: str,
                 issues: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``Addon`` shape."""
    out: dict[str, Any] = {
        "addonName": addon.name,
        "clusterName": cluster_name,
        "status": status,
        "addonVersion": addon.version,
        "health": {"issues": issues},
        "addonArn": addon.arn,
        "createdAt": _ts(addon.created_at),
        "modifiedAt": _ts(addon.modified_at),
        "tags": dict(addon.tags),
        "podIdentityAssociations": list(addon.pod_identity_associations),
    }
    if addon.service_account_role_arn:
        out["serviceAccountRoleArn"] = addon.service_account_role_arn
    if addon.configuration_values:
        out["configurationValues"] = addon.configuration_values
    return out


def addon_versions_output(k8s_versions: Sequence[str]) -> dict[str, Any]:
    """``DescribeAddonVersions`` ``addons[0]`` for the pod identity agent."""
    return {
        "addonName": POD_IDENTITY_AGENT,
        "type": "security",
        "owner": "aws",
        "publisher": "eks",
        "defaultNamespace": "kube-system",
        "addonVersions": [{
            "addonVersion": v,
            "architecture": ["amd64", "arm64"],
            "computeTypes": ["ec2", "hybrid"],
            "compatibilities": [{"clusterVersion": k, "platformVersions": ["*"], "defaultVersion": i == 0}
                                for k in k8s_versions],
            "requiresConfiguration": False,
            "requiresIamPermissions": False,
        } for i, v in enumerate(AGENT_VERSIONS)],
    }


def parse_heartbeat(doc: Mapping[str, Any]) -> tuple[str, str, str, list[str]] | None:
    """``(node_name, agent_id, status, reasons)`` of an AgentStatus JSON document, or None."""
    status = doc.get("status")
    node = doc.get("nodeName")
    agent = doc.get("agentId")
    reasons = doc.get("reasons", [])
    if status not in STATUSES or not isinstance(node, str) or not node or len(node) > 253:
        return None
    if not isinstance(agent, str) or not agent or len(agent) > 64:
        return None
    if node.startswith(IMPLICIT_PREFIX):
        return None
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        return None
    return node, agent, str(status), [r[:500] for r in reasons[:10]]


def _ts(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.UTC)
