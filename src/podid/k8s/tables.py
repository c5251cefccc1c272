"""``meta.k8s.io/v1 Table`` rendering (what ``kubectl get`` asks for), with kubectl's usual columns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from podid.k8s import workload_tables
from podid.k8s.crd import CustomResourceType, column_value
from podid.k8s.meta import parse_time
from podid.k8s.resources import ResourceType

Column = tuple[str, str, str, int]  # name, type, format, priority
Row = list[Any]


def human_duration(seconds: float) -> str:
    """apimachinery's ``duration.HumanDuration``."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rem = s % 60
        return f"{minutes}m{rem}s" if rem else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        rem = minutes % 60
        return f"{hours}h{rem}m" if rem else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rem = hours % 24
        return f"{hours // 24}d{rem}h" if rem else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    years = hours // (24 * 365)
    if years < 8:
        days = (hours // 24) % 365
        return f"{years}y{days}d" if days else f"{years}y"
    return f"{years}y"


def age(obj: dict[str, Any]) -> str:
    ts = (obj.get("metadata") or {}).get("creationTimestamp")
    if not ts:
        return "<unknown>"
    return human_duration((dt.datetime.now(dt.UTC) - parse_time(ts)).total_seconds())


def _since(ts: str | None) -> str:
    if not ts:
        return "<unknown>"
    return human_duration((dt.datetime.now(dt.UTC) - parse_time(ts)).total_seconds())


def _pod(obj: dict[str, Any]) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    containers = spec.get("containers") or []
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for c in statuses if c.get("ready"))
    restarts = sum(int(c.get("restartCount") or 0) for c in statuses)
    reason = status.get("reason") or status.get("phase") or "Pending"
    for c in statuses:
        state = c.get("state") or {}
        if state.get("waiting", {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif state.get("terminated", {}).get("reason"):
            reason = state["terminated"]["reason"]
    if (obj.get("metadata") or {}).get("deletionTimestamp"):
        reason = "Terminating"
    gates = spec.get("readinessGates") or []
    return [
        obj["metadata"]["name"],
        f"{ready}/{len(containers)}",
        reason,
        restarts,
        age(obj),
        status.get("podIP") or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        f"0/{len(gates)}" if gates else "<none>",
    ]


def _workload_containers(obj: dict[str, Any]) -> tuple[str, str, str]:
    spec = obj.get("spec") or {}
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    sel = (spec.get("selector") or {}).get("matchLabels") or {}
    return (
        ",".join(c.get("name", "") for c in containers),
        ",".join(c.get("image", "") for c in containers),
        ",".join(f"{k}={v}" for k, v in sel.items()) or "<none>",
    )


def _deployment(obj: dict[str, Any]) -> Row:
    spec, st = obj.get("spec") or {}, obj.get("status") or {}
    names, images, sel = _workload_containers(obj)
    return [
        obj["metadata"]["name"],
        f"{st.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        st.get("updatedReplicas", 0),
        st.get("availableReplicas", 0),
        age(obj),
        names,
        images,
        sel,
    ]


def _daemonset(obj: dict[str, Any]) -> Row:
    st = obj.get("status") or {}
    names, images, sel = _workload_containers(obj)
    node_sel = ((obj.get("spec") or {}).get("template") or {}).get("spec", {}).get("nodeSelector") or {}
    return [
        obj["metadata"]["name"],
        st.get("desiredNumberScheduled", 0),
        st.get("currentNumberScheduled", 0),
        st.get("numberReady", 0),
        st.get("updatedNumberScheduled", 0),
        st.get("numberAvailable", 0),
        ",".join(f"{k}={v}" for k, v in node_sel.items()) or "<none>",
        age(obj),
        names,
        images,
        sel,
    ]


def _event(obj: dict[str, Any]) -> Row:
    inv = obj.get("involvedObject") or {}
    last = (
        obj.get("lastTimestamp")
        or obj.get("eventTime")
        or (obj.get("metadata") or {}).get("creationTimestamp")
    )
    first = obj.get("firstTimestamp") or last
    src = obj.get("source") or {}
    return [
        _since(last),
        obj.get("type", ""),
        obj.get("reason", ""),
        f"{str(inv.get('kind', '')).lower()}/{inv.get('name', '')}",
        inv.get("fieldPath", ""),
        ", ".join(v for v in (src.get("component"), src.get("host")) if v),
        obj.get("message", ""),
        _since(first),
        obj.get("count", 1),
        obj["metadata"]["name"],
    ]


def _c(name: str, priority: int = 0, typ: str = "string", fmt: str = "") -> Column:
    return (name, typ, fmt, priority)


TABLES: dict[str, tuple[list[Column], Callable[[dict[str, Any]], Row]]] = {
    "pods": (
        [
            _c("Name", fmt="name"),
            _c("Ready"),
            _c("Status"),
            _c("Restarts", typ="integer"),
            _c("Age"),
            _c("IP", 1),
            _c("Node", 1),
            _c("Nominated Node", 1),
            _c("Readiness Gates", 1),
        ],
        _pod,
    ),
    "serviceaccounts": (
        [_c("Name", fmt="name"), _c("Secrets", typ="integer"), _c("Age")],
        lambda o: [o["metadata"]["name"], len(o.get("secrets") or []), age(o)],
    ),
    "namespaces": (
        [_c("Name", fmt="name"), _c("Status"), _c("Age")],
        lambda o: [o["metadata"]["name"], (o.get("status") or {}).get("phase", "Active"), age(o)],
    ),
    "secrets": (
        [_c("Name", fmt="name"), _c("Type"), _c("Data", typ="integer"), _c("Age")],
        lambda o: [o["metadata"]["name"], o.get("type", "Opaque"), len(o.get("data") or {}), age(o)],
    ),
    "configmaps": (
        [_c("Name", fmt="name"), _c("Data", typ="integer"), _c("Age")],
        lambda o: [o["metadata"]["name"], len(o.get("data") or {}) + len(o.get("binaryData") or {}), age(o)],
    ),
    "events": (
        [
            _c("Last Seen"),
            _c("Type"),
            _c("Reason"),
            _c("Object"),
            _c("Subobject", 1),
            _c("Source", 1),
            _c("Message"),
            _c("First Seen", 1),
            _c("Count", 1, "integer"),
            _c("Name", 1, fmt="name"),
        ],
        _event,
    ),
    "deployments": (
        [
            _c("Name", fmt="name"),
            _c("Ready"),
            _c("Up-to-date", typ="integer"),
            _c("Available", typ="integer"),
            _c("Age"),
            _c("Containers", 1),
            _c("Images", 1),
            _c("Selector", 1),
        ],
        _deployment,
    ),
    "daemonsets": (
        [
            _c("Name", fmt="name"),
            _c("Desired", typ="integer"),
            _c("Current", typ="integer"),
            _c("Ready", typ="integer"),
            _c("Up-to-date", typ="integer"),
            _c("Available", typ="integer"),
            _c("Node Selector"),
            _c("Age"),
            _c("Containers", 1),
            _c("Images", 1),
            _c("Selector", 1),
        ],
        _daemonset,
    ),
}
TABLES.update(workload_tables.tables(age, human_duration))
DEFAULT_TABLE: tuple[list[Column], Callable[[dict[str, Any]], Row]] = (
    [_c("Name", fmt="name"), _c("Created At", typ="date")],
    lambda o: [o["metadata"]["name"], (o.get("metadata") or {}).get("creationTimestamp", "")],
)


def partial_metadata(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata") or {},
    }


_COLUMN_TYPES = {"string", "integer", "number", "boolean", "date"}


def _cell(obj: dict[str, Any], column: dict[str, Any]) -> Any:
    value = column_value(obj, str(column.get("jsonPath", "")))
    if value is not None and column.get("type") == "date":
        return _since(str(value))
    return "<none>" if value is None else value


def _custom_table(rt: CustomResourceType) -> tuple[list[Column], Callable[[dict[str, Any]], Row]]:
    """A CRD's ``additionalPrinterColumns`` after NAME (NAME and AGE when it has none)."""
    if not rt.columns:
        return [_c("Name", fmt="name"), _c("Age")], lambda o: [o["metadata"]["name"], age(o)]
    columns = [_c("Name", fmt="name")] + [
        _c(str(c.get("name", "")), int(c.get("priority") or 0),
           str(c.get("type")) if c.get("type") in _COLUMN_TYPES - {"date"} else "string")
        for c in rt.columns
    ]
    return columns, lambda o: [o["metadata"]["name"], *(_cell(o, c) for c in rt.columns)]


def to_table(
    rt: ResourceType, objs: list[dict[str, Any]], resource_version: str | None,
    include_object: str = "Metadata",
) -> dict[str, Any]:
    if isinstance(rt, CustomResourceType):
        columns, row_fn = _custom_table(rt)
    else:
        columns, row_fn = TABLES.get(rt.resource, DEFAULT_TABLE)
    rows = []
    for obj in objs:
        row: dict[str, Any] = {"cells": row_fn(obj)}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = partial_metadata(obj)
        rows.append(row)
    meta: dict[str, Any] = {}
    if resource_version is not None:
        meta["resourceVersion"] = resource_version
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": meta,
        "columnDefinitions": [
            {"name": n, "type": t, "format": f, "description": "", "priority": p} for n, t, f, p in columns
        ],
        "rows": rows,
    }
