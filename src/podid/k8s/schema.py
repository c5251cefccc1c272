"""Schemas derived from the official ``kubernetes`` Python client's generated model classes.

``openapi_types``/``attribute_map`` of e.g. ``V1Pod`` give every field's JSON name and type; from
them we build OpenAPI v3 component schemas (for kubectl's field-validation probe, explain and
apply's patch metadata) and strict decoding (``unknown field "spec.foo"``) without hand-written
schemas. Patch strategies come from :data:`podid.k8s.patch.MERGE_KEYS`.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from kubernetes.client import models as k8s_models

from podid.k8s.patch import MERGE_KEYS
from podid.k8s.resources import RESOURCES, SUBRESOURCE_KINDS

_META_TYPES = {
    "ObjectMeta",
    "ListMeta",
    "ManagedFieldsEntry",
    "OwnerReference",
    "LabelSelector",
    "LabelSelectorRequirement",
    "Status",
    "StatusDetails",
    "StatusCause",
    "Condition",
    "DeleteOptions",
    "Preconditions",
    "Time",
    "MicroTime",
}
_APPS_PREFIXES = ("Deployment", "DaemonSet", "RollingUpdate", "ReplicaSet", "StatefulSet")
_AUTHN = {
    "TokenReview",
    "TokenReviewSpec",
    "TokenReviewStatus",
    "TokenRequest",
    "TokenRequestSpec",
    "TokenRequestStatus",
    "BoundObjectReference",
    "UserInfo",
    "SelfSubjectReview",
    "SelfSubjectReviewStatus",
}

# Top-level kinds served, mapped to their model class names.
KIND_MODELS: dict[tuple[str, str], str] = {
    ("v1", "Namespace"): "V1Namespace",
    ("v1", "ServiceAccount"): "V1ServiceAccount",
    ("v1", "Pod"): "V1Pod",
    ("v1", "Secret"): "V1Secret",
    ("v1", "ConfigMap"): "V1ConfigMap",
    ("v1", "Event"): "CoreV1Event",
    ("apps/v1", "DaemonSet"): "V1DaemonSet",
    ("apps/v1", "Deployment"): "V1Deployment",
    ("apps/v1", "ReplicaSet"): "V1ReplicaSet",
    ("batch/v1", "Job"): "V1Job",
    ("v1", "Service"): "V1Service",
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): "V1ClusterRole",
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): "V1ClusterRoleBinding",
    ("rbac.authorization.k8s.io/v1", "Role"): "V1Role",
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): "V1RoleBinding",
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"): "V1CustomResourceDefinition",
    ("autoscaling/v1", "Scale"): "V1Scale",
    ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"): "V1MutatingWebhookConfiguration",
    ("authentication.k8s.io/v1", "TokenReview"): "V1TokenReview",
    ("authentication.k8s.io/v1", "TokenRequest"): "AuthenticationV1TokenRequest",
    ("authentication.k8s.io/v1", "SelfSubjectReview"): "V1SelfSubjectReview",
}


_RBAC = ("ClusterRole", "Role", "PolicyRule", "Subject", "AggregationRule")


def _short(model: str) -> str:
    return re.sub(r"^(Core|Authentication|Apps|Storage|Rbac|Apiextensions)?V1(beta\d|alpha\d)?", "", model)


def definition_name(model: str) -> str:
    """``V1Pod`` -> ``io.k8s.api.core.v1.Pod`` (Kubernetes' own definition names)."""
    short = _short(model)
    if short in _META_TYPES:
        return f"io.k8s.apimachinery.pkg.apis.meta.v1.{short}"
    if short.startswith(_APPS_PREFIXES):
        return f"io.k8s.api.apps.v1.{short}"
    if short in _AUTHN:
        return f"io.k8s.api.authentication.v1.{short}"
    if short.startswith(("Job", "PodFailurePolicy", "SuccessPolicy", "UncountedTerminatedPods")):
        return f"io.k8s.api.batch.v1.{short}"
    if short.startswith(_RBAC):
        return f"io.k8s.api.rbac.v1.{short}"
    if short.startswith(("CustomResource", "JSONSchemaProps", "ExternalDocumentation", "ValidationRule",
                         "WebhookConversion", "SelectableField")) or model.startswith("ApiextensionsV1"):
        return f"io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.{short}"
    if short.startswith(("Scale",)):
        return f"io.k8s.api.autoscaling.v1.{short}"
    if short.startswith(("MutatingWebhook", "RuleWithOperations", "MatchCondition")) or short in (
            "WebhookClientConfig", "ServiceReference"):
        return f"io.k8s.api.admissionregistration.v1.{short}"
    return f"io.k8s.api.core.v1.{short}"


def model_class(model: str) -> Any:
    return getattr(k8s_models, model, None)


def _type_schema(typ: str, field: str, refs: set[str]) -> dict[str, Any]:
    if typ.startswith("List["):
        items = _type_schema(typ[5:-1], "", refs)
        out: dict[str, Any] = {"type": "array", "items": items}
        if field in MERGE_KEYS:
            out["x-kubernetes-patch-strategy"] = "merge"
            key = MERGE_KEYS[field]
            if key:
                out["x-kubernetes-patch-merge-key"] = key
        return out
    if typ.startswith("Dict["):
        inner = typ[typ.index(",") + 1 : -1].strip()
        return {"type": "object", "additionalProperties": _type_schema(inner, "", refs)}
    simple = {
        "str": {"type": "string"},
        "int": {"type": "integer", "format": "int64"},
        "bool": {"type": "boolean"},
        "float": {"type": "number", "format": "double"},
        "datetime": {"type": "string", "format": "date-time"},
        "date": {"type": "string", "format": "date"},
        "bytes": {"type": "string", "format": "byte"},
        "object": {"type": "object"},
    }
    if typ in simple:
        return dict(simple[typ])
    refs.add(typ)
    return {"allOf": [{"$ref": f"#/components/schemas/{definition_name(typ)}"}]}


def _gvk_of(model: str) -> list[dict[str, str]] | None:
    for (api_version, kind), name in KIND_MODELS.items():
        group, _, version = api_version.rpartition("/")
        if name == model:
            return [{"group": group, "kind": kind, "version": version}]
        if name + "List" == model or model == f"V1{kind}List" or model == f"CoreV1{kind}List":
            return [{"group": group, "kind": f"{kind}List", "version": version}]
    return None


@functools.cache
def component_schemas(roots: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Schemas of ``roots`` and every model reachable from them, keyed by definition name."""
    out: dict[str, dict[str, Any]] = {}
    todo = list(roots)
    seen: set[str] = set()
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        cls = model_class(model)
        if cls is None:
            continue
        refs: set[str] = set()
        props = {}
        for attr, typ in cls.openapi_types.items():
            json_name = cls.attribute_map[attr]
            props[json_name] = _type_schema(typ, json_name, refs)
        schema: dict[str, Any] = {"type": "object", "properties": props}
        doc = (cls.__doc__ or "").strip().splitlines()
        if doc:
            schema["description"] = doc[0]
        gvk = _gvk_of(model)
        if gvk:
            schema["x-kubernetes-group-version-kind"] = gvk
        out[definition_name(model)] = schema
        todo.extend(refs - seen)
    return out


def list_model(model: str) -> str:
    return model + "List"


def _unknown(value: Any, typ: str, path: str, out: list[str], prune: bool) -> None:
    if typ.startswith("List["):
        if isinstance(value, list):
            for i, item in enumerate(value):
                _unknown(item, typ[5:-1], f"{path}[{i}]", out, prune)
        return
    if typ.startswith("Dict["):
        inner = typ[typ.index(",") + 1 : -1].strip()
        if isinstance(value, dict):
            for k, v in value.items():
                _unknown(v, inner, f"{path}.{k}", out, prune)
        return
    cls = model_class(typ)
    if cls is None or not isinstance(value, dict):
        return
    by_json = {cls.attribute_map[a]: t for a, t in cls.openapi_types.items()}
    for key in list(value):
        sub_path = f"{path}.{key}" if path else key
        if key not in by_json:
            out.append(sub_path)
            if prune:
                del value[key]
        else:
            _unknown(value[key], by_json[key], sub_path, out, prune)


def unknown_fields(api_version: str, kind: str, obj: dict[str, Any], prune: bool = False) -> list[str]:
    """Paths of fields the kind's schema does not define (``spec.containers[0].foo``);
    ``prune`` also removes them, as Go's decoder drops them."""
    model = KIND_MODELS.get((api_version, kind))
    if model is None:
        return []
    out: list[str] = []
    _unknown(obj, model, "", out, prune)
    return out


def served_models() -> dict[str, list[tuple[str, str]]]:
    """group-version path (``api/v1``, ``apis/apps/v1``) -> [(kind, model)]."""
    out: dict[str, list[tuple[str, str]]] = {}
    for rt in RESOURCES:
        path = f"apis/{rt.group}/{rt.version}" if rt.group else f"api/{rt.version}"
        model = KIND_MODELS.get((rt.api_version, rt.kind))
        if model:
            out.setdefault(path, []).append((rt.kind, model))
    for (_res, _sub), (group, version, kind, _verbs) in SUBRESOURCE_KINDS.items():
        api_version = f"{group}/{version}" if group else version
        model = KIND_MODELS.get((api_version, kind))
        if model and kind == "TokenRequest":
            out.setdefault("api/v1", []).append((kind, model))
    return out
