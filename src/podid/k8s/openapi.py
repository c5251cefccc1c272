"""OpenAPI v3 documents (``/openapi/v3`` index and one document per group-version).

Paths carry ``x-kubernetes-group-version-kind`` and the ``fieldValidation`` query parameter on
PATCH, which is how kubectl decides that the server validates fields itself (so ``kubectl apply``
needs no client-side schema and sends ``fieldValidation=Strict``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from podid.k8s.catalog import TypeCatalog
from podid.k8s.crd import CustomResourceType
from podid.k8s.resources import RESOURCES, ResourceType
from podid.k8s.schema import KIND_MODELS, component_schemas, definition_name, served_models

_QUERY_PARAMS = ("dryRun", "fieldManager", "fieldValidation", "force", "pretty")


def _op(verb: str, rt: ResourceType, kind: str, ref: str | None) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": f"{verb}{rt.kind}",
        "x-kubernetes-action": verb,
        "x-kubernetes-group-version-kind": {"group": rt.group, "version": rt.version, "kind": kind},
        "parameters": [
            {"name": p, "in": "query", "schema": {"type": "string"}, "uniqueItems": True}
            for p in _QUERY_PARAMS
        ],
        "responses": {"200": {"description": "OK"}},
    }
    if ref:
        op["responses"]["200"]["content"] = {"application/json": {"schema": {"$ref": ref}}}
    if verb in ("post", "put", "patch") and ref:
        types = (
            [
                "application/json-patch+json",
                "application/merge-patch+json",
                "application/strategic-merge-patch+json",
                "application/apply-patch+yaml",
            ]
            if verb == "patch"
            else ["application/json", "application/yaml"]
        )
        op["requestBody"] = {"content": {t: {"schema": {"$ref": ref}} for t in types}, "required": True}
    return op


def _custom_name(rt: ResourceType) -> str:
    """Kubernetes' component name for a CRD kind: the group reversed, version, kind."""
    return ".".join([*reversed(rt.group.split(".")), rt.version, rt.kind])


def _custom_document(gv_path: str, types: list[CustomResourceType]) -> dict[str, Any]:
    meta = f"#/components/schemas/{definition_name('V1ObjectMeta')}"
    schemas = dict(component_schemas(("V1ObjectMeta", "V1ListMeta", "V1Status", "V1DeleteOptions")))
    paths: dict[str, Any] = {}
    for rt in types:
        name = _custom_name(rt)
        gvk = {"group": rt.group, "version": rt.version, "kind": rt.kind}
        body = dict(rt.schema)
        body["properties"] = {
            **(rt.schema.get("properties") or {}),
            "apiVersion": {"type": "string"}, "kind": {"type": "string"},
            "metadata": {"allOf": [{"$ref": meta}]},
        }
        body["x-kubernetes-group-version-kind"] = [gvk]
        schemas[name] = body
        schemas[name + "List"] = {
            "type": "object", "required": ["items"],
            "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                           "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{name}"}},
                           "metadata": {"allOf": [{"$ref": f"#/components/schemas/"
                                                           f"{definition_name('V1ListMeta')}"}]}},
            "x-kubernetes-group-version-kind": [{**gvk, "kind": rt.list_kind}],
        }
        ref = f"#/components/schemas/{name}"
        ns = "/namespaces/{namespace}" if rt.namespaced else ""
        base = f"/{gv_path}{ns}/{rt.resource}"
        paths[base] = {"get": _op("list", rt, rt.kind, None), "post": _op("post", rt, rt.kind, ref)}
        paths[base + "/{name}"] = {v: _op(v, rt, rt.kind, ref) for v in ("get", "put", "patch", "delete")}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes CRD Swagger", "version": "v0.1.0"},
            "paths": paths, "components": {"schemas": schemas}}


def group_version_document(gv_path: str, catalog: TypeCatalog) -> dict[str, Any] | None:
    """The v3 document for ``api/v1`` or ``apis/<group>/<version>`` (built-in or from CRDs)."""
    custom = [rt for rt in catalog.custom() if f"apis/{rt.group}/{rt.version}" == gv_path]
    if custom:
        return _custom_document(gv_path, custom)
    models = served_models().get(gv_path)
    if not models:
        return None
    roots = tuple(
        sorted({m for _, m in models} | {m + "List" for _, m in models} | {"V1Status", "V1DeleteOptions"})
    )
    schemas = component_schemas(roots)
    paths: dict[str, Any] = {}
    for rt in RESOURCES:
        path = f"apis/{rt.group}/{rt.version}" if rt.group else f"api/{rt.version}"
        if path != gv_path:
            continue
        model = KIND_MODELS.get((rt.api_version, rt.kind))
        ref = f"#/components/schemas/{definition_name(model)}" if model else None
        ns = "/namespaces/{namespace}" if rt.namespaced else ""
        base = f"/{gv_path}{ns}/{rt.resource}"
        paths[base] = {"get": _op("list", rt, rt.kind, None), "post": _op("post", rt, rt.kind, ref)}
        if "get" in rt.verbs:
            paths[base + "/{name}"] = {v: _op(v, rt, rt.kind, ref) for v in ("get", "put", "patch", "delete")}
        if rt.resource == "serviceaccounts":
            tr = f"#/components/schemas/{definition_name('AuthenticationV1TokenRequest')}"
            op = _op("post", rt, "TokenRequest", tr)
            op["x-kubernetes-group-version-kind"] = {
                "group": "authentication.k8s.io",
                "version": "v1",
                "kind": "TokenRequest",
            }
            paths[base + "/{name}/token"] = {"post": op}
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _hash(doc: dict[str, Any]) -> str:
    return hashlib.sha512(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:64].upper()


def index(prefix: str, catalog: TypeCatalog) -> dict[str, Any]:
    """``/openapi/v3``: group-version -> ``serverRelativeURL`` (including the mount prefix)."""
    paths = {}
    gv_paths = list(served_models())
    gv_paths += sorted({f"apis/{rt.group}/{rt.version}" for rt in catalog.custom()} - set(gv_paths))
    for gv_path in gv_paths:
        doc = group_version_document(gv_path, catalog)
        if doc is not None:
            paths[gv_path] = {"serverRelativeURL": f"{prefix}/openapi/v3/{gv_path}?hash={_hash(doc)}"}
    return {"paths": paths}
