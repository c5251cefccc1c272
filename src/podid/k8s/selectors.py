"""Label and field selectors: parsing (Kubernetes grammar) and matching against objects."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from podid.k8s.errors import StatusError, bad_request

Matcher = Callable[[Mapping[str, Any]], bool]

_SET_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(in|notin)\s*\(([^)]*)\))?\s*$")
_CMP_RE = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|=|!=|>|<)\s*([A-Za-z0-9_.-]*)\s*$")


def _split_terms(selector: str) -> list[str]:
    """Split on commas that are not inside ``( )``."""
    terms: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in selector:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            terms.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    terms.append("".join(cur))
    return [t for t in terms if t.strip()]


def parse_label_selector(selector: str | None) -> Matcher:
    """A matcher over ``metadata.labels``; raises a BadRequest StatusError on bad syntax."""
    if not selector or not selector.strip():
        return lambda obj: True
    checks: list[Callable[[Mapping[str, str]], bool]] = []
    for term in _split_terms(selector):
        m = _CMP_RE.match(term)
        if m:
            key, op, value = m.groups()
            if op in ("!=", "=", "=="):
                checks.append(_equals(key, value, op == "!="))
            else:
                checks.append(_numeric(key, op, value))
            continue
        m = _SET_RE.match(term)
        if not m:
            raise _bad_selector(selector)
        neg, key, op, values = m.groups()
        if op is None:
            checks.append(_exists(key, not neg))
            continue
        if neg:
            raise _bad_selector(selector)
        checks.append(_in_set(key, {v.strip() for v in values.split(",") if v.strip()}, op == "notin"))

    def match(obj: Mapping[str, Any]) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return all(check(labels) for check in checks)

    return match


LabelCheck = Callable[[Mapping[str, str]], bool]


def _equals(key: str, value: str, negate: bool) -> LabelCheck:
    return lambda labels: (labels.get(key) == value) != negate


def _exists(key: str, present: bool) -> LabelCheck:
    return lambda labels: (key in labels) == present


def _in_set(key: str, values: set[str], negate: bool) -> LabelCheck:
    return lambda labels: (labels.get(key) in values) != negate


def _numeric(key: str, op: str, value: str) -> Callable[[Mapping[str, str]], bool]:
    try:
        bound = int(value)
    except ValueError as exc:
        raise bad_request(
            f"unable to parse requirement: for '{op}', '<' operators, the value must be an integer"
        ) from exc

    def check(labels: Mapping[str, str]) -> bool:
        try:
            have = int(labels[key])
        except (KeyError, ValueError):
            return False
        return have > bound if op == ">" else have < bound

    return check


def _bad_selector(selector: str) -> StatusError:
    return bad_request(f"unable to parse requirement: invalid label selector: {selector!r}")


def _field_value(obj: Mapping[str, Any], path: str) -> str:
    cur: Any = obj
    for part in path.split("."):
        if not isinstance(cur, Mapping):
            return ""
        cur = cur.get(part)
    if cur is None:
        return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


def parse_field_selector(
    selector: str | None, supported: frozenset[str], kind: str, api_version: str
) -> Matcher:
    """A matcher for ``=``/``==``/``!=`` terms on the fields Kubernetes allows for this kind."""
    if not selector or not selector.strip():
        return lambda obj: True
    checks: list[tuple[str, bool, str]] = []
    for term in _split_terms(selector):
        m = re.match(r"^\s*([A-Za-z0-9_.-]+)\s*(==|=|!=)\s*(.*?)\s*$", term)
        if not m:
            raise bad_request(f"invalid selector: '{selector}'; can't understand '{term}'")
        path, op, value = m.groups()
        if path not in supported:
            raise bad_request(f"field label not supported: {path}")
        checks.append((path, op == "!=", value))

    def match(obj: Mapping[str, Any]) -> bool:
        for path, negate, value in checks:
            equal = _field_value(obj, path) == value
            if equal == negate:
                return False
        return True

    return match


COMMON_FIELDS = frozenset({"metadata.name", "metadata.namespace"})
FIELDS_BY_RESOURCE: dict[str, frozenset[str]] = {
    "pods": COMMON_FIELDS
    | {
        "spec.serviceAccountName",
        "status.phase",
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "status.podIP",
        "status.nominatedNodeName",
        "spec.hostNetwork",
    },
    "events": COMMON_FIELDS
    | {
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    },
    "secrets": COMMON_FIELDS | {"type"},
    "namespaces": COMMON_FIELDS | {"status.phase"},
}


def supported_fields(resource: str) -> frozenset[str]:
    return FIELDS_BY_RESOURCE.get(resource, COMMON_FIELDS)
