"""One cluster's API semantics, independent of HTTP: CRUD with admission, managedFields, deletion
propagation and events. What differs per resource (defaulting, validation, status, generation,
pod and namespace lifecycle, CRDs) is its strategy (:mod:`podid.k8s.strategies`); the types served
are :attr:`Cluster.types` (:mod:`podid.k8s.catalog`); TokenRequest and TokenReview are
:attr:`Cluster.authn` (:mod:`podid.k8s.tokenapi`).

Every method is synchronous (the HTTP layer calls them in a worker thread) and raises
:class:`~podid.k8s.errors.StatusError` for anything Kubernetes reports as a Status.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from podid.k8s import errors, fields, ownership, patch
from podid.k8s.admission import AdmissionHook, AdmissionRequest, run_hooks
from podid.k8s.catalog import TypeCatalog
from podid.k8s.meta import metadata, now_rfc3339, parse_rv, prepare_new, random_suffix
from podid.k8s.podruntime import NoRuntime, PodRuntime
from podid.k8s.resources import NAMESPACES, SERVICEACCOUNTS, ResourceType
from podid.k8s.selectors import Matcher
from podid.k8s.store import AlreadyExistsError, ConflictError, NotFoundError, ObjectStore
from podid.k8s.strategies import BOOT_NAMESPACES, strategy_for
from podid.k8s.tokenapi import Authentication
from podid.k8s.tokens import TokenIssuer


@dataclass
class WriteOptions:
    """Query options shared by create/update/patch."""

    manager: str = "unknown"
    dry_run: bool = False
    field_validation: str = "Warn"  # Strict | Warn | Ignore
    username: str = ""
    warnings: list[str] = field(default_factory=list)


class Cluster:
    """The API server's storage-facing half for one podid cluster."""

    def __init__(
        self,
        name: str,
        store: ObjectStore,
        admission_hooks: Sequence[AdmissionHook] = (),
        token_issuer: TokenIssuer | None = None,
        runtime: PodRuntime | None = None,
        ca_pem: str | None = None,
    ) -> None:
        self.name = name
        self.store = store
        self.hooks = list(admission_hooks)
        self.token_issuer = token_issuer
        self.authn = Authentication(store, token_issuer, lambda ns, name: self.get(SERVICEACCOUNTS, ns, name))
        self.runtime: PodRuntime = runtime or NoRuntime()
        self.ca_pem = ca_pem
        self.types = TypeCatalog(store)

    def all_types(self) -> list[ResourceType]:
        """Every resource type served: built-in and custom."""
        return self.types.all()

    # -- bootstrap -------------------------------------------------------------------------------
    def bootstrap(self) -> None:
        """Create the namespaces every cluster has (and their default ServiceAccounts)."""
        for ns in BOOT_NAMESPACES:
            if self.store.get("", "namespaces", "", ns) is None:
                self.create(
                    NAMESPACES,
                    None,
                    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
                    WriteOptions(manager="kube-apiserver"),
                )

    # -- reads -----------------------------------------------------------------------------------
    def get(self, rt: ResourceType, namespace: str | None, name: str) -> dict[str, Any]:
        obj = self.store.get(rt.group, rt.resource, namespace or "", name)
        if obj is None:
            raise errors.not_found(rt.resource, rt.group, name)
        return obj

    def list_objects(
        self, rt: ResourceType, namespace: str | None, match: Matcher
    ) -> tuple[list[dict[str, Any]], int]:
        items, rv = self.store.list(rt.group, rt.resource, namespace if rt.namespaced else None)
        return [o for o in items if match(o)], rv

    def _require_namespace(self, rt: ResourceType, namespace: str | None) -> None:
        if rt.namespaced and self.store.get("", "namespaces", "", namespace or "") is None:
            raise errors.not_found("namespaces", "", namespace or "")

    # -- writes ----------------------------------------------------------------------------------
    def _store_create(self, rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.store.create(rt.group, rt.resource, obj)
        except AlreadyExistsError as exc:
            raise errors.already_exists(rt.resource, rt.group, obj["metadata"]["name"]) from exc

    def _decode(
        self, rt: ResourceType, obj: Any, opts: WriteOptions, kind: str | None = None
    ) -> dict[str, Any]:
        if not isinstance(obj, dict):
            raise errors.bad_request("the body of the request was in an unknown format")
        kind = kind or rt.kind
        if obj.get("kind") not in (None, "", kind):
            raise errors.bad_request(
                f'the server rejected our request because the kind "{obj.get("kind")}" '
                f"does not match the expected kind {kind!r}"
            )
        obj.setdefault("apiVersion", rt.api_version)
        obj["kind"] = kind
        unknown = strategy_for(rt).unknown_fields(obj)
        if unknown and opts.field_validation == "Strict":
            detail = ", ".join(f'unknown field "{u}"' for u in unknown)
            raise errors.bad_request(
                f'{kind} in version "{rt.version}" cannot be handled as a {kind}: '
                f"strict decoding error: {detail}"
            )
        if opts.field_validation != "Ignore":
            opts.warnings.extend(f'unknown field "{u}"' for u in unknown)
        return obj

    def _admit(
        self,
        rt: ResourceType,
        op: Literal["CREATE", "UPDATE"],
        namespace: str,
        obj: dict[str, Any],
        old: dict[str, Any] | None,
        opts: WriteOptions,
    ) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
        if op == "CREATE":
            strategy_for(rt).before_create(self, namespace, obj)
        req = AdmissionRequest(
            op,
            rt.group,
            rt.version,
            rt.resource,
            rt.kind,
            namespace,
            obj,
            old,
            self.store,
            opts.username,
            opts.dry_run,
        )  # type: ignore[arg-type]
        out = run_hooks(self.hooks, req)
        return out, req.events

    def _invalid(self, rt: ResourceType, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
        causes = strategy_for(rt).validate(obj, old)
        if causes:
            raise errors.invalid(rt.kind, rt.group, str(metadata(obj).get("name") or ""), causes)

    def create(
        self, rt: ResourceType, namespace: str | None, body: Any, opts: WriteOptions
    ) -> dict[str, Any]:
        obj = self._decode(rt, body, opts)
        meta = metadata(obj)
        ns = namespace if rt.namespaced else None
        if rt.namespaced and meta.get("namespace") not in (None, "", namespace):
            raise errors.bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        meta.pop("managedFields", None)
        return self._admit_and_store(rt, ns, obj, opts, None)

    def _admit_and_store(
        self,
        rt: ResourceType,
        ns: str | None,
        obj: dict[str, Any],
        opts: WriteOptions,
        managed: list[dict[str, Any]] | None,
    ) -> dict[str, Any]:
        """The create path after decoding: defaults, admission, validation, managedFields (recorded
        for this manager, or ``managed`` from server-side apply), store, events, after-create."""
        self._require_namespace(rt, ns)
        prepare_new(obj, ns)
        strategy = strategy_for(rt)
        strategy.defaults(obj)
        obj, events = self._admit(rt, "CREATE", ns or "", obj, None, opts)
        strategy.defaults(obj)
        self._invalid(rt, obj, None)
        if managed is None:
            fields.record_update(None, obj, opts.manager, rt.api_version)
        else:
            metadata(obj)["managedFields"] = managed
        if opts.dry_run:
            return obj
        stored = self._store_create(rt, obj)
        for reason, message, etype in events:
            self.record_event(stored, reason, message, etype)
        return strategy.after_create(self, stored)

    def _write_update(
        self,
        rt: ResourceType,
        old: dict[str, Any],
        new: dict[str, Any],
        expected: int | None,
        opts: WriteOptions,
        subresource: str | None = None,
    ) -> dict[str, Any]:
        name = old["metadata"]["name"]
        meta, old_meta = metadata(new), old["metadata"]
        for key in (
            "uid",
            "creationTimestamp",
            "namespace",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
        ):
            if key in old_meta:
                meta[key] = old_meta[key]
            else:
                meta.pop(key, None)
        if meta.get("name") != name:
            raise errors.bad_request(
                f"the name of the object ({meta.get('name')}) does not match the name on the URL ({name})"
            )
        strategy = strategy_for(rt)
        if strategy.status_subresource:
            if subresource == "status":
                status = new.get("status")
                new = copy.deepcopy(old)
                new["status"] = status
                new["metadata"]["resourceVersion"] = meta.get("resourceVersion")
                meta = new["metadata"]
            elif "status" in old:
                new["status"] = old["status"]
        strategy.defaults(new, old)
        if subresource is None and strategy.admits_updates:
            new, _ = self._admit(rt, "UPDATE", meta.get("namespace", ""), new, old, opts)
        self._invalid(rt, new, old)
        if strategy.bumps_generation and new.get("spec") != old.get("spec"):
            meta["generation"] = int(old_meta.get("generation") or 1) + 1
        fields.record_update(old, new, opts.manager, rt.api_version, subresource)
        if opts.dry_run:
            return new
        try:
            return self.store.update(rt.group, rt.resource, new, expected)
        except ConflictError as exc:
            raise errors.stale_conflict(rt.resource, rt.group, name) from exc
        except NotFoundError as exc:
            raise errors.not_found(rt.resource, rt.group, name) from exc

    def replace(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        body: Any,
        opts: WriteOptions,
        subresource: str | None = None,
    ) -> dict[str, Any]:
        obj = self._decode(rt, body, opts)
        if metadata(obj).get("name") not in (None, name):
            raise errors.bad_request(
                f"the name of the object ({metadata(obj).get('name')}) does not match the "
                f"name on the URL ({name})"
            )
        metadata(obj)["name"] = name
        old = self.get(rt, namespace, name)
        expected = parse_rv(metadata(obj).get("resourceVersion"))
        if expected is not None and expected != parse_rv(old["metadata"].get("resourceVersion")):
            raise errors.stale_conflict(rt.resource, rt.group, name)
        return self._write_update(rt, old, obj, expected, opts, subresource)

    def patch(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        content_type: str,
        body: Any,
        opts: WriteOptions,
        force: bool = False,
        subresource: str | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Apply a patch; returns (object, created) - only server-side apply may create."""
        live = self.store.get(rt.group, rt.resource, namespace or "", name)
        if content_type in (patch.APPLY_PATCH, patch.APPLY_PATCH_CBOR):
            if not isinstance(body, dict):
                raise errors.bad_request("error decoding YAML: the body must be an object")
            if opts.manager in ("", "unknown"):
                raise errors.bad_request(
                    "PATCH, application/apply-patch+yaml requires fieldManager to be set"
                )
            body = self._decode(rt, copy.deepcopy(body), opts)
            if metadata(body).get("name") not in (None, name):
                raise errors.bad_request(
                    f"the name of the object ({metadata(body).get('name')}) does not match "
                    f"the name on the URL ({name})"
                )
            metadata(body)["name"] = name
            if live is None:
                new = fields.apply(None, body, opts.manager, rt.api_version, force)
                saved = list(metadata(new).get("managedFields") or [])
                created = self._create_applied(rt, namespace, new, saved, opts)
                return created, True
            new = fields.apply(live, body, opts.manager, rt.api_version, force)
            managed = list(metadata(new).get("managedFields") or [])
            out = self._write_update_keep_fields(rt, live, new, opts, managed, subresource)
            return out, False
        if live is None:
            raise errors.not_found(rt.resource, rt.group, name)
        if content_type == patch.JSON_PATCH:
            new = patch.json_patch(live, body)
        elif content_type == patch.MERGE_PATCH:
            if not isinstance(body, dict):
                raise errors.bad_request(
                    "json: cannot unmarshal into Go value of type map[string]interface {}"
                )
            new = patch.merge_patch(live, body)
        elif content_type == patch.STRATEGIC_PATCH:
            if not isinstance(body, dict):
                raise errors.bad_request(
                    "json: cannot unmarshal into Go value of type map[string]interface {}"
                )
            new = patch.strategic_merge(live, body)
        else:
            raise errors.unsupported_media_type(content_type)
        new = self._decode(rt, new, opts)
        expected = parse_rv(metadata(new).get("resourceVersion"))
        if expected is not None and expected != parse_rv(live["metadata"].get("resourceVersion")):
            raise errors.stale_conflict(rt.resource, rt.group, name)
        return self._write_update(rt, live, new, expected, opts, subresource), False

    def _create_applied(
        self,
        rt: ResourceType,
        namespace: str | None,
        obj: dict[str, Any],
        managed: list[dict[str, Any]],
        opts: WriteOptions,
    ) -> dict[str, Any]:
        return self._admit_and_store(rt, namespace if rt.namespaced else None, obj, opts, managed)

    def _write_update_keep_fields(
        self,
        rt: ResourceType,
        old: dict[str, Any],
        new: dict[str, Any],
        opts: WriteOptions,
        managed: list[dict[str, Any]],
        subresource: str | None,
    ) -> dict[str, Any]:
        name = old["metadata"]["name"]
        meta = metadata(new)
        for key in ("uid", "creationTimestamp", "namespace", "resourceVersion"):
            if key in old["metadata"]:
                meta[key] = old["metadata"][key]
        strategy = strategy_for(rt)
        if strategy.status_subresource and "status" in old and subresource is None:
            new["status"] = old["status"]
        strategy.defaults(new, old)
        if strategy.admits_updates:
            new, _ = self._admit(rt, "UPDATE", meta.get("namespace", ""), new, old, opts)
        self._invalid(rt, new, old)
        if strategy.bumps_generation and new.get("spec") != old.get("spec"):
            meta["generation"] = int(old["metadata"].get("generation") or 1) + 1
        meta["managedFields"] = managed
        if opts.dry_run or new == old:
            return new
        try:
            return self.store.update(rt.group, rt.resource, new, parse_rv(old["metadata"]["resourceVersion"]))
        except ConflictError as exc:
            raise errors.stale_conflict(rt.resource, rt.group, name) from exc

    def delete(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        options: dict[str, Any],
        dry_run: bool = False,
    ) -> dict[str, Any]:
        obj = self.get(rt, namespace, name)
        pre = options.get("preconditions") or {}
        if pre.get("uid") and pre["uid"] != obj["metadata"].get("uid"):
            raise errors.conflict(
                rt.resource,
                rt.group,
                name,
                f"Precondition failed: UID in precondition: {pre['uid']}, UID in object meta: "
                f"{obj['metadata'].get('uid')}",
            )
        if pre.get("resourceVersion") and pre["resourceVersion"] != obj["metadata"].get("resourceVersion"):
            raise errors.conflict(
                rt.resource,
                rt.group,
                name,
                f"Precondition failed: ResourceVersion in precondition: {pre['resourceVersion']}, "
                f"ResourceVersion in object meta: {obj['metadata'].get('resourceVersion')}",
            )
        policy = ownership.propagation_policy(options)
        if policy not in ownership.POLICIES:
            raise errors.invalid("DeleteOptions", "", "", [errors.unsupported_value(
                "propagationPolicy", policy, ownership.POLICIES)])
        if dry_run:
            return obj
        special = strategy_for(rt).delete(self, obj, options)
        if special is not None:
            return special
        meta = obj["metadata"]
        if meta.get("deletionTimestamp"):      # already being deleted (foreground): nothing more to do
            return obj
        if policy == "Orphan":
            ownership.orphan(self.store, obj)
        elif policy == "Foreground":
            meta["deletionTimestamp"] = now_rfc3339()
            meta["deletionGracePeriodSeconds"] = 0
            meta["finalizers"] = [*(meta.get("finalizers") or []), ownership.FOREGROUND]
            try:
                return self.store.update(rt.group, rt.resource, obj, parse_rv(meta.get("resourceVersion")))
            except (ConflictError, NotFoundError) as exc:
                raise errors.stale_conflict(rt.resource, rt.group, name) from exc
        if meta.get("finalizers"):
            meta["deletionTimestamp"] = now_rfc3339()
            meta["deletionGracePeriodSeconds"] = 0
            return self.store.update(rt.group, rt.resource, obj, parse_rv(meta.get("resourceVersion")))
        return self.remove(rt, obj)

    def remove(self, rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
        """Delete ``obj`` from the store now (no finalizers, no propagation)."""
        meta = obj["metadata"]
        try:
            return self.store.delete(rt.group, rt.resource, meta.get("namespace", ""), meta["name"])
        except NotFoundError as exc:
            raise errors.not_found(rt.resource, rt.group, meta["name"]) from exc

    # -- events ----------------------------------------------------------------------------------
    def record_event(
        self, obj: dict[str, Any], reason: str, message: str, etype: str = "Normal", component: str = "podid"
    ) -> None:
        meta = obj.get("metadata") or {}
        ns = meta.get("namespace") or "default"
        now = now_rfc3339()
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{meta.get('name')}.{random_suffix(10)}", "namespace": ns},
            "involvedObject": {
                "kind": obj.get("kind"),
                "namespace": meta.get("namespace"),
                "name": meta.get("name"),
                "uid": meta.get("uid"),
                "apiVersion": obj.get("apiVersion"),
                "resourceVersion": meta.get("resourceVersion"),
            },
            "reason": reason,
            "message": message,
            "type": etype,
            "count": 1,
            "source": {"component": component},
            "firstTimestamp": now,
            "lastTimestamp": now,
            "reportingComponent": component,
            "reportingInstance": "",
        }
        prepare_new(event, ns)
        with contextlib.suppress(AlreadyExistsError):
            self.store.create("", "events", event)
