"""CustomResourceDefinitions (``apiextensions.k8s.io/v1``): what a CRD must look like, the status
the API server gives it, the resource types it adds, and how their objects are checked against the
CRD's structural schema (unknown fields pruned, types, ``required``, ``enum``, ``pattern``,
bounds), worded as kube-apiserver words it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from podid.k8s.errors import Cause, invalid_value, required, unsupported_value
from podid.k8s.meta import now_rfc3339
from podid.k8s.resources import STANDARD_VERBS, ResourceType

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SCOPES = ("Cluster", "Namespaced")
_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}


@dataclass(frozen=True)
class CustomResourceType(ResourceType):
    """A resource type served because a CRD defines it (one per served version)."""

    schema: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    columns: tuple[dict[str, Any], ...] = field(default=(), compare=False, hash=False)


def validate_definition(crd: dict[str, Any]) -> list[Cause]:
    """The causes kube-apiserver reports for a malformed CRD."""
    causes: list[Cause] = []
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group, plural = spec.get("group") or "", names.get("plural") or ""
    name = (crd.get("metadata") or {}).get("name", "")
    if not group:
        causes.append(required("spec.group"))
    elif "." not in group:
        causes.append(invalid_value("spec.group", group, "should be a domain with at least one dot"))
    if not plural:
        causes.append(required("spec.names.plural"))
    elif not _DNS_LABEL.match(plural):
        causes.append(invalid_value("spec.names.plural", plural, "a lowercase RFC 1123 label must consist "
                                    "of lower case alphanumeric characters or '-'"))
    if not names.get("kind"):
        causes.append(required("spec.names.kind"))
    if names.get("singular") and not _DNS_LABEL.match(names["singular"]):
        causes.append(invalid_value("spec.names.singular", names["singular"], "a lowercase RFC 1123 label "
                                    "must consist of lower case alphanumeric characters or '-'"))
    if group and plural and name != f"{plural}.{group}":
        causes.append(invalid_value("metadata.name", name, 'must be spec.names.plural+"."+spec.group'))
    if spec.get("scope") not in _SCOPES:
        causes.append(unsupported_value("spec.scope", spec.get("scope"), _SCOPES))
    versions = spec.get("versions") or []
    if not versions:
        causes.append(required("spec.versions"))
    elif sum(1 for v in versions if isinstance(v, dict) and v.get("storage")) != 1:
        causes.append(invalid_value("spec.versions", versions, "must have exactly one version marked as "
                                    "storage version"))
    for i, version in enumerate(versions):
        if not isinstance(version, dict) or not version.get("name"):
            causes.append(required(f"spec.versions[{i}].name"))
            continue
        schema = ((version.get("schema") or {}).get("openAPIV3Schema"))
        if not isinstance(schema, dict):
            causes.append(required(f"spec.versions[{i}].schema.openAPIV3Schema"))
        elif schema.get("type") != "object":
            causes.append(invalid_value(f"spec.versions[{i}].schema.openAPIV3Schema.type",
                                        schema.get("type"), 'must be object at the root'))
    return causes


def established(crd: dict[str, Any], old_status: dict[str, Any] | None = None) -> dict[str, Any]:
    """``crd`` with the status the API server reports once names are accepted and it serves them."""
    spec = crd.get("spec") or {}
    names = dict(spec.get("names") or {})
    names.setdefault("singular", str(names.get("kind", "")).lower())
    names.setdefault("listKind", f"{names.get('kind')}List")
    spec["names"] = names
    now = now_rfc3339()
    stored = list((old_status or {}).get("storedVersions") or [])
    for version in spec.get("versions") or []:
        if isinstance(version, dict) and version.get("storage") and version.get("name") not in stored:
            stored.append(version["name"])
    crd["status"] = {
        "acceptedNames": names,
        "conditions": [
            {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
             "message": "no conflicts found", "lastTransitionTime": now},
            {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
             "message": "the initial names have been accepted", "lastTransitionTime": now},
        ],
        "storedVersions": stored,
    }
    return crd


def resource_types(crd: dict[str, Any]) -> list[CustomResourceType]:
    """The resource types an established CRD serves, one per served version."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    out: list[CustomResourceType] = []
    for version in spec.get("versions") or []:
        if not isinstance(version, dict) or not version.get("served", True):
            continue
        subresources = tuple(s for s in ("scale", "status") if s in (version.get("subresources") or {}))
        out.append(CustomResourceType(
            spec.get("group", ""), version["name"], names.get("plural", ""), names.get("kind", ""),
            spec.get("scope") == "Namespaced", names.get("singular") or str(names.get("kind", "")).lower(),
            tuple(names.get("shortNames") or ()), STANDARD_VERBS, tuple(names.get("categories") or ()),
            tuple(s for s in subresources if s == "status"),
            schema=(version.get("schema") or {}).get("openAPIV3Schema") or {"type": "object"},
            columns=tuple(version.get("additionalPrinterColumns") or ()),
        ))
    return out


# -- objects of a custom resource -------------------------------------------------------------------
_ENVELOPE = ("apiVersion", "kind", "metadata")


def unknown_fields(schema: dict[str, Any], obj: dict[str, Any], prune: bool = True) -> list[str]:
    """Paths the structural schema does not define (dropped when ``prune``, as the API server does)."""
    out: list[str] = []
    props = dict(schema.get("properties") or {})
    for key in _ENVELOPE:
        props.setdefault(key, {"x-kubernetes-preserve-unknown-fields": True})
    _unknown({**schema, "properties": props}, obj, "", out, prune)
    return out


def _unknown(schema: dict[str, Any], value: Any, path: str, out: list[str], prune: bool) -> None:
    if schema.get("x-kubernetes-preserve-unknown-fields") and not schema.get("properties"):
        return
    if isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for i, item in enumerate(value):
                _unknown(items, item, f"{path}[{i}]", out, prune)
        return
    if not isinstance(value, dict):
        return
    props = schema.get("properties")
    extra = schema.get("additionalProperties")
    if props is None and isinstance(extra, dict):
        for key, item in value.items():
            _unknown(extra, item, f"{path}.{key}" if path else key, out, prune)
        return
    if props is None and (extra is True or schema.get("type") != "object"):
        return
    for key in list(value):
        sub = f"{path}.{key}" if path else key
        known = props or {}
        if key in known:
            _unknown(known[key], value[key], sub, out, prune)
        elif not schema.get("x-kubernetes-preserve-unknown-fields"):
            out.append(sub)
            if prune:
                del value[key]


def validate_object(schema: dict[str, Any], obj: dict[str, Any]) -> list[Cause]:
    """The schema's value checks on ``obj`` (without its ``apiVersion``/``kind``/``metadata``)."""
    body = {k: v for k, v in obj.items() if k not in _ENVELOPE}
    root = {**schema, "properties": {k: v for k, v in (schema.get("properties") or {}).items()
                                     if k not in _ENVELOPE}}
    root["required"] = [r for r in schema.get("required") or [] if r not in _ENVELOPE]
    causes: list[Cause] = []
    _check(root, body, "", causes)
    return causes


def _type_ok(schema: dict[str, Any], value: Any) -> bool:
    typ = schema.get("type")
    if value is None:
        return bool(schema.get("nullable"))
    if schema.get("x-kubernetes-int-or-string"):
        return isinstance(value, (int, str)) and not isinstance(value, bool)
    if typ == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if typ == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    expected = _TYPES.get(str(typ))
    return expected is None or isinstance(value, expected)


def _check(schema: dict[str, Any], value: Any, path: str, causes: list[Cause]) -> None:
    where = path or "<root>"
    if not _type_ok(schema, value):
        causes.append(Cause("FieldValueTypeInvalid",
                            f'Invalid value: "{_json_type(value)}": {where} in body must be of type '
                            f"{schema.get('type')}: \"{_json_type(value)}\"", where))
        return
    if value is None:
        return
    enum = schema.get("enum")
    if enum is not None and value not in enum:
        causes.append(unsupported_value(where, value, [str(e) for e in enum]))
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            causes.append(invalid_value(where, value, f"{where} in body should match '{schema['pattern']}'"))
        if "maxLength" in schema and len(value) > int(schema["maxLength"]):
            causes.append(Cause("FieldValueTooLong", f"Too long: may not be more than {schema['maxLength']} "
                                "bytes", where))
        if "minLength" in schema and len(value) < int(schema["minLength"]):
            causes.append(invalid_value(where, value, f"{where} in body should be at least "
                                        f"{schema['minLength']} chars long"))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            causes.append(invalid_value(where, value, f"{where} in body should be greater than or equal to "
                                        f"{schema['minimum']}"))
        if "maximum" in schema and value > schema["maximum"]:
            causes.append(invalid_value(where, value, f"{where} in body should be less than or equal to "
                                        f"{schema['maximum']}"))
    if isinstance(value, dict):
        for name in schema.get("required") or []:
            if name not in value:
                causes.append(required(f"{path}.{name}" if path else name))
        for key, sub in (schema.get("properties") or {}).items():
            if key in value:
                _check(sub, value[key], f"{path}.{key}" if path else key, causes)
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            _check(schema["items"], item, f"{path}[{i}]", causes)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def column_value(obj: dict[str, Any], json_path: str) -> Any:
    """A printer column's value: the simple ``.a.b`` JSONPath the CRD gives (``None`` if absent)."""
    value: Any = obj
    for part in json_path.strip().lstrip(".").split("."):
        if not part:
            continue
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
