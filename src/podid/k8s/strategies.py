"""Per-resource behaviour of the registry, as Kubernetes' ``registry/*/strategy.go`` splits it:
defaulting, decoding, validation, status and generation handling, and what happens around
create and delete (a pod's ServiceAccount admission, start and graceful stop; a namespace's
default ServiceAccount and root CA, its protection and cascade; a CRD's status and its objects).

:func:`strategy_for` picks the strategy of a resource type; :class:`podid.k8s.registry.Cluster`
calls it and never branches on a resource name.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
from typing import Any, Protocol

from podid.k8s import crd, errors, schema, validation
from podid.k8s.defaults import apply_defaults
from podid.k8s.errors import Cause
from podid.k8s.meta import metadata, parse_rv, prepare_new, random_suffix
from podid.k8s.podruntime import PodRuntime
from podid.k8s.resources import APIEXTENSIONS, CONFIGMAPS, PODS, SERVICEACCOUNTS, ResourceType
from podid.k8s.store import AlreadyExistsError, ConflictError, NotFoundError, ObjectStore

BOOT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
SA_TOKEN_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
ROOT_CA_DESCRIPTION = (
    "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints "
    "such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across "
    "distributions of Kubernetes clusters."
)


class Host(Protocol):
    """What a strategy may use of the cluster it serves."""

    store: ObjectStore
    runtime: PodRuntime
    ca_pem: str | None

    def record_event(self, obj: dict[str, Any], reason: str, message: str, etype: str = "Normal",
                     component: str = "podid") -> None: ...

    def get(self, rt: ResourceType, namespace: str | None, name: str) -> dict[str, Any]: ...

    def remove(self, rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]: ...

    def all_types(self) -> list[ResourceType]: ...


class Strategy:
    """The behaviour every resource type has unless its strategy says otherwise."""

    #: ``status`` is written only through the status subresource (kept from the live object otherwise)
    status_subresource = False
    #: ``metadata.generation`` is bumped when ``spec`` changes
    bumps_generation = False
    #: admission hooks also run on UPDATE
    admits_updates = False

    def __init__(self, rt: ResourceType) -> None:
        self.rt = rt

    def unknown_fields(self, obj: dict[str, Any]) -> list[str]:
        """Fields the kind does not define (removed from ``obj``)."""
        return schema.unknown_fields(self.rt.api_version, self.rt.kind, obj, prune=True)

    def defaults(self, obj: dict[str, Any], old: dict[str, Any] | None = None) -> None:
        apply_defaults(self.rt.resource, obj)

    def validate(self, obj: dict[str, Any], old: dict[str, Any] | None) -> list[Cause]:
        return validation.validate(self.rt.resource, obj, old)

    def before_create(self, host: Host, namespace: str, obj: dict[str, Any]) -> None:
        """Checks and changes before admission hooks run (CREATE only)."""

    def after_create(self, host: Host, stored: dict[str, Any]) -> dict[str, Any]:
        return stored

    def delete(self, host: Host, obj: dict[str, Any], options: dict[str, Any]) -> dict[str, Any] | None:
        """A resource-specific delete, or ``None`` for the generic one (finalizers, propagation)."""
        return None


class WorkloadStrategy(Strategy):
    status_subresource = True
    bumps_generation = True


class StatusStrategy(Strategy):
    status_subresource = True


class PodStrategy(Strategy):
    """ServiceAccount admission, start by the runtime ("kubelet"), graceful deletion."""

    status_subresource = True
    admits_updates = True

    def before_create(self, host: Host, namespace: str, obj: dict[str, Any]) -> None:
        spec = obj.get("spec") or {}
        sa_name = spec.get("serviceAccountName") or "default"
        name = metadata(obj).get("name") or metadata(obj).get("generateName", "")
        sa = host.store.get("", "serviceaccounts", namespace, sa_name)
        if sa is None:
            raise errors.forbidden(
                f'pods "{name}" is forbidden: error looking up service account '
                f'{namespace}/{sa_name}: serviceaccount "{sa_name}" not found'
            )
        if spec.get("automountServiceAccountToken") is False:
            return
        key = "automountServiceAccountToken"
        if spec.get(key) is None and sa.get(key) is False:
            return
        containers = [
            c for k in ("initContainers", "containers") for c in spec.get(k) or [] if isinstance(c, dict)
        ]
        if any(m.get("mountPath") == SA_TOKEN_MOUNT for c in containers for m in c.get("volumeMounts") or []):
            return
        vol_name = f"kube-api-access-{random_suffix()}"
        spec.setdefault("volumes", []).append({
            "name": vol_name,
            "projected": {
                "defaultMode": 420,
                "sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {"configMap": {"name": "kube-root-ca.crt",
                                   "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                    {"downwardAPI": {"items": [{
                        "path": "namespace",
                        "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                    }]}},
                ],
            },
        })
        for c in containers:
            c.setdefault("volumeMounts", []).append(
                {"name": vol_name, "readOnly": True, "mountPath": SA_TOKEN_MOUNT})

    def after_create(self, host: Host, stored: dict[str, Any]) -> dict[str, Any]:
        started = host.runtime.start(copy.deepcopy(stored))
        if started is None:
            return stored
        node = (started.get("spec") or {}).get("nodeName")
        try:
            out = host.store.update("", "pods", started)
        except NotFoundError:
            return stored
        if node:
            meta = stored["metadata"]
            host.record_event(out, "Scheduled", f"Successfully assigned {meta['namespace']}/{meta['name']} "
                              f"to {node}", "Normal", component="default-scheduler")
        return out

    def delete(self, host: Host, obj: dict[str, Any], options: dict[str, Any]) -> dict[str, Any] | None:
        spec = obj.get("spec") or {}
        grace = options.get("gracePeriodSeconds")
        if grace is None:
            grace = spec.get("terminationGracePeriodSeconds", 30)
        if spec.get("nodeName") and not obj["metadata"].get("deletionTimestamp"):
            # Graceful: the object is marked first (MODIFIED), then the "kubelet" (runtime) removes it.
            meta = obj["metadata"]
            when = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=int(grace))
            meta["deletionTimestamp"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
            meta["deletionGracePeriodSeconds"] = int(grace)
            try:
                obj = host.store.update("", "pods", obj, parse_rv(meta.get("resourceVersion")))
            except (ConflictError, NotFoundError):
                obj = host.get(PODS, meta.get("namespace"), meta["name"])
            host.runtime.stop(obj)
        return host.remove(PODS, obj)


class NamespaceStrategy(Strategy):
    """Every namespace gets a ``default`` ServiceAccount and ``kube-root-ca.crt``; deleting one
    deletes what is in it; the boot namespaces cannot be deleted."""

    status_subresource = True

    def after_create(self, host: Host, stored: dict[str, Any]) -> dict[str, Any]:
        ns = stored["metadata"]["name"]
        if host.store.get("", "serviceaccounts", ns, "default") is None:
            _create(host.store, SERVICEACCOUNTS, {
                "apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": prepare_new({"metadata": {"name": "default"}}, ns)["metadata"],
            })
        if host.ca_pem and host.store.get("", "configmaps", ns, "kube-root-ca.crt") is None:
            annotations = {"kubernetes.io/description": ROOT_CA_DESCRIPTION}
            obj = prepare_new({"metadata": {"name": "kube-root-ca.crt", "annotations": annotations}}, ns)
            obj.update({"apiVersion": "v1", "kind": "ConfigMap", "data": {"ca.crt": host.ca_pem}})
            _create(host.store, CONFIGMAPS, obj)
        return stored

    def delete(self, host: Host, obj: dict[str, Any], options: dict[str, Any]) -> dict[str, Any] | None:
        name = obj["metadata"]["name"]
        if name in BOOT_NAMESPACES:
            raise errors.forbidden(f'namespaces "{name}" is forbidden: this namespace may not be deleted')
        for rt in host.all_types():
            if not rt.namespaced or not rt.storable:
                continue
            items, _ = host.store.list(rt.group, rt.resource, name)
            for item in items:
                if rt.resource == PODS.resource and rt.group == "":
                    host.runtime.stop(item)
                with contextlib.suppress(NotFoundError):
                    host.store.delete(rt.group, rt.resource, name, item["metadata"]["name"])
        return host.remove(self.rt, obj)


class CustomResourceDefinitionStrategy(Strategy):
    """A valid CRD is established at once; deleting it deletes its objects."""

    status_subresource = True
    bumps_generation = True

    def defaults(self, obj: dict[str, Any], old: dict[str, Any] | None = None) -> None:
        _keep_generation(obj, old)
        spec = obj.setdefault("spec", {})
        for version in spec.get("versions") or []:
            if isinstance(version, dict):
                version.setdefault("served", True)
        spec.setdefault("conversion", {"strategy": "None"})
        if isinstance(spec.get("names"), dict) and spec.get("group") and spec.get("versions"):
            crd.established(obj, (old or {}).get("status"))

    def validate(self, obj: dict[str, Any], old: dict[str, Any] | None) -> list[Cause]:
        return validation.validate_meta(self.rt.resource, obj) + crd.validate_definition(obj)

    def delete(self, host: Host, obj: dict[str, Any], options: dict[str, Any]) -> dict[str, Any] | None:
        spec = obj.get("spec") or {}
        group, plural = spec.get("group", ""), (spec.get("names") or {}).get("plural", "")
        items, _ = host.store.list(group, plural, None)
        for item in items:
            meta = item["metadata"]
            with contextlib.suppress(NotFoundError):
                host.store.delete(group, plural, meta.get("namespace", ""), meta["name"])
        return host.remove(self.rt, obj)


class CustomResourceStrategy(Strategy):
    """Objects of a CRD: pruned and validated by its structural schema."""

    bumps_generation = True

    def __init__(self, rt: crd.CustomResourceType) -> None:
        super().__init__(rt)
        self.schema = rt.schema
        self.status_subresource = "status" in rt.subresources

    def unknown_fields(self, obj: dict[str, Any]) -> list[str]:
        return crd.unknown_fields(self.schema, obj, prune=True)

    def defaults(self, obj: dict[str, Any], old: dict[str, Any] | None = None) -> None:
        obj["apiVersion"] = self.rt.api_version
        _keep_generation(obj, old)

    def validate(self, obj: dict[str, Any], old: dict[str, Any] | None) -> list[Cause]:
        return validation.validate_meta(self.rt.resource, obj) + crd.validate_object(self.schema, obj)


def _keep_generation(obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    """``metadata.generation`` starts at 1 and is kept across writes (bumped by the registry)."""
    meta = metadata(obj)
    meta.setdefault("generation", int(metadata(old).get("generation") or 1) if old else 1)


def _create(store: ObjectStore, rt: ResourceType, obj: dict[str, Any]) -> None:
    with contextlib.suppress(AlreadyExistsError):
        store.create(rt.group, rt.resource, obj)


_BY_RESOURCE: dict[tuple[str, str], type[Strategy]] = {
    ("", "pods"): PodStrategy,
    ("", "namespaces"): NamespaceStrategy,
    ("", "services"): StatusStrategy,
    ("apps", "deployments"): WorkloadStrategy,
    ("apps", "daemonsets"): WorkloadStrategy,
    ("apps", "replicasets"): WorkloadStrategy,
    ("batch", "jobs"): WorkloadStrategy,
    (APIEXTENSIONS, "customresourcedefinitions"): CustomResourceDefinitionStrategy,
}


def strategy_for(rt: ResourceType) -> Strategy:
    """The strategy of ``rt`` (custom resource types get theirs from their CRD's schema)."""
    if isinstance(rt, crd.CustomResourceType):
        return CustomResourceStrategy(rt)
    return _BY_RESOURCE.get((rt.group, rt.resource), Strategy)(rt)
