"""The ``scale`` subresource (``autoscaling/v1`` Scale) of Deployments and ReplicaSets.

``kubectl scale`` sends a merge patch ``{"spec":{"replicas":N}}`` to ``.../NAME/scale`` (or GET +
PUT with ``--current-replicas``); the patch is applied to the Scale view of the object and the
resulting ``spec.replicas`` written back to the object itself.
"""

from __future__ import annotations

import copy
from typing import Any

from podid.k8s import errors, patch
from podid.k8s.registry import Cluster, WriteOptions
from podid.k8s.resources import ResourceType


def selector_string(obj: dict[str, Any]) -> str:
    sel = (obj.get("spec") or {}).get("selector") or {}
    parts = [f"{k}={v}" for k, v in sorted((sel.get("matchLabels") or {}).items())]
    for req in sel.get("matchExpressions") or []:
        op, key, values = req.get("operator"), req.get("key"), ",".join(req.get("values") or [])
        parts.append({"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})",
                      "Exists": str(key), "DoesNotExist": f"!{key}"}.get(str(op), str(key)))
    return ",".join(parts)


def to_scale(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj["metadata"]
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                     if k in meta},
        "spec": {"replicas": int((obj.get("spec") or {}).get("replicas") or 0)},
        "status": {"replicas": int((obj.get("status") or {}).get("replicas") or 0),
                   "selector": selector_string(obj)},
    }


def get_scale(cluster: Cluster, rt: ResourceType, namespace: str | None, name: str) -> dict[str, Any]:
    return to_scale(cluster.get(rt, namespace, name))


def _write(cluster: Cluster, rt: ResourceType, obj: dict[str, Any], scale: Any,
           opts: WriteOptions) -> dict[str, Any]:
    if not isinstance(scale, dict):
        raise errors.bad_request("the body of the request was in an unknown format")
    name = obj["metadata"]["name"]
    replicas = (scale.get("spec") or {}).get("replicas", 0)
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise errors.invalid("Scale", "autoscaling", name, [errors.invalid_value(
            "spec.replicas", replicas, "must be greater than or equal to 0")])
    rv = (scale.get("metadata") or {}).get("resourceVersion")
    if rv and rv != obj["metadata"].get("resourceVersion"):
        raise errors.stale_conflict(rt.resource, rt.group, name)
    new = copy.deepcopy(obj)
    new.setdefault("spec", {})["replicas"] = replicas
    out = cluster.replace(rt, obj["metadata"].get("namespace"), name, new, opts)
    return to_scale(out)


def replace_scale(cluster: Cluster, rt: ResourceType, namespace: str | None, name: str, body: Any,
                  opts: WriteOptions) -> dict[str, Any]:
    return _write(cluster, rt, cluster.get(rt, namespace, name), body, opts)


def patch_scale(cluster: Cluster, rt: ResourceType, namespace: str | None, name: str, content_type: str,
                body: Any, opts: WriteOptions) -> dict[str, Any]:
    obj = cluster.get(rt, namespace, name)
    live = to_scale(obj)
    live["metadata"].pop("resourceVersion", None)
    if content_type == patch.JSON_PATCH:
        new = patch.json_patch(live, body)
    elif content_type in (patch.MERGE_PATCH, patch.STRATEGIC_PATCH):
        if not isinstance(body, dict):
            raise errors.bad_request("json: cannot unmarshal into Go value of type map[string]interface {}")
        new = patch.merge_patch(live, body)
    else:
        raise errors.unsupported_media_type(content_type)
    return _write(cluster, rt, obj, new, opts)
