"""Helpers shared by the controllers: pod state, label selectors, status writes, pod creation."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from podid.k8s import errors
from podid.k8s.meta import now_rfc3339
from podid.k8s.ownership import controller_uid, owner_reference
from podid.k8s.registry import Cluster, WriteOptions
from podid.k8s.resources import PODS, ResourceType
from podid.k8s.store import ConflictError, NotFoundError

MANAGER = "kube-controller-manager"
_SAFE = "bcdfghjklmnpqrstvwxz2456789"   # apimachinery's rand.SafeEncodeString alphabet


def is_terminating(obj: dict[str, Any]) -> bool:
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))


def phase(pod: dict[str, Any]) -> str:
    return str((pod.get("status") or {}).get("phase") or "Pending")


def is_ready(pod: dict[str, Any]) -> bool:
    conds = (pod.get("status") or {}).get("conditions") or []
    return phase(pod) == "Running" and any(c.get("type") == "Ready" and c.get("status") == "True"
                                           for c in conds)


def matches(selector: dict[str, Any] | None, labels: dict[str, str] | None) -> bool:
    """A LabelSelector (matchLabels + matchExpressions) against labels; an empty selector matches none."""
    if not selector:
        return False
    labels = labels or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for req in selector.get("matchExpressions") or []:
        key, op, values = req.get("key"), req.get("operator"), req.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def owned(cluster: Cluster, rt: ResourceType, owner: dict[str, Any]) -> list[dict[str, Any]]:
    """Objects of ``rt`` in the owner's namespace whose controller reference is ``owner``."""
    meta = owner["metadata"]
    items, _ = cluster.store.list(rt.group, rt.resource, meta.get("namespace", ""))
    return [o for o in items if controller_uid(o) == meta["uid"]]


def template_hash(template: dict[str, Any], collisions: int = 0) -> str:
    """A stable short hash of a pod template (the ``pod-template-hash`` label's value)."""
    digest = hashlib.sha256(json.dumps([template, collisions], sort_keys=True).encode()).digest()
    value = str(int.from_bytes(digest[:4], "big"))
    return "".join(_SAFE[ord(ch) % len(_SAFE)] for ch in value)


def write_status(cluster: Cluster, rt: ResourceType, obj: dict[str, Any], status: dict[str, Any],
                 annotations: dict[str, str] | None = None) -> dict[str, Any] | None:
    """Replace ``status`` (and merge ``annotations``) if they changed; one conflict retry."""
    meta = obj["metadata"]
    for _ in range(2):
        current_ann = meta.get("annotations") or {}
        wanted_ann = {**current_ann, **(annotations or {})}
        if obj.get("status") == status and wanted_ann == current_ann:
            return obj
        new = copy.deepcopy(obj)
        new["status"] = status
        if wanted_ann:
            new["metadata"]["annotations"] = wanted_ann
        try:
            return cluster.store.update(rt.group, rt.resource, new, int(meta["resourceVersion"]))
        except ConflictError:
            fresh = cluster.store.get(rt.group, rt.resource, meta.get("namespace", ""), meta["name"])
            if fresh is None:
                return None
            obj, meta = fresh, fresh["metadata"]
        except NotFoundError:
            return None
    return None


def create_pod(cluster: Cluster, owner: dict[str, Any], template: dict[str, Any],
               extra_labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A pod from ``template``, owned by ``owner``, through the API (admission, runtime)."""
    tmpl_meta = copy.deepcopy(template.get("metadata") or {})
    meta = owner["metadata"]
    labels = {**(tmpl_meta.get("labels") or {}), **(extra_labels or {})}
    pod_meta: dict[str, Any] = {"generateName": f"{meta['name']}-", "namespace": meta.get("namespace"),
                                "labels": labels, "ownerReferences": [owner_reference(owner)]}
    if tmpl_meta.get("annotations"):
        pod_meta["annotations"] = tmpl_meta["annotations"]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta,
           "spec": copy.deepcopy(template.get("spec") or {})}
    return cluster.create(PODS, meta.get("namespace"), pod, WriteOptions(manager=MANAGER))


def delete_pod(cluster: Cluster, pod: dict[str, Any]) -> None:
    try:
        cluster.delete(PODS, pod["metadata"].get("namespace"), pod["metadata"]["name"], {})
    except errors.StatusError as exc:
        if exc.code != 404:
            raise


def condition(ctype: str, status: bool, reason: str, message: str,
              previous: list[dict[str, Any]] | None = None, *, probe: bool = True) -> dict[str, Any]:
    """A workload condition keeping ``lastTransitionTime`` while its status holds."""
    value = "True" if status else "False"
    old = next((c for c in previous or [] if c.get("type") == ctype), None)
    now = now_rfc3339()
    when = old["lastTransitionTime"] if old and old.get("status") == value else now
    out: dict[str, Any] = {"type": ctype, "status": value, "lastTransitionTime": when,
                           "reason": reason, "message": message}
    if probe:
        same = old is not None and old.get("reason") == reason
        out["lastUpdateTime"] = old.get("lastUpdateTime", now) if old is not None and same else now
    return out
