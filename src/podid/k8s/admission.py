"""In-process mutating admission: hooks run on every create (and pod update) before validation.

A hook is ``hook(request) -> obj | None``: it may return a new object or mutate ``request.object``
in place (returning None); raising :class:`~podid.k8s.errors.StatusError` rejects the request.
Hooks may record Events through ``request.events`` (``(reason, message, type)`` tuples), which the
server stores against the created object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from podid.k8s.store import ObjectStore


@dataclass
class AdmissionRequest:
    """What a hook sees (mirrors AdmissionReview's request fields that matter here)."""

    operation: Literal["CREATE", "UPDATE"]
    group: str
    version: str
    resource: str
    kind: str
    namespace: str
    object: dict[str, Any]
    old_object: dict[str, Any] | None
    store: ObjectStore
    username: str = ""
    dry_run: bool = False
    events: list[tuple[str, str, str]] = field(default_factory=list)


AdmissionHook = Callable[[AdmissionRequest], "dict[str, Any] | None"]


def pod_hook(fn: Callable[[dict[str, Any], str, ObjectStore], dict[str, Any]]) -> AdmissionHook:
    """Adapt the brief's ``(obj, namespace, store) -> obj`` signature to a pod-create hook."""

    def hook(req: AdmissionRequest) -> dict[str, Any] | None:
        if req.resource == "pods" and req.operation == "CREATE":
            return fn(req.object, req.namespace, req.store)
        return None

    return hook


def run_hooks(hooks: list[AdmissionHook], req: AdmissionRequest) -> dict[str, Any]:
    for hook in hooks:
        out = hook(req)
        if out is not None:
            req.object = out
    return req.object
