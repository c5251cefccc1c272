"""Table rows (``kubectl get``'s columns) of ReplicaSets, Jobs and MutatingWebhookConfigurations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from podid.k8s.meta import parse_time

Row = list[Any]
Column = tuple[str, str, str, int]


def _c(name: str, priority: int = 0, typ: str = "string", fmt: str = "") -> Column:
    return (name, typ, fmt, priority)


def _containers(obj: dict[str, Any]) -> tuple[str, str, str]:
    spec = obj.get("spec") or {}
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    sel = (spec.get("selector") or {}).get("matchLabels") or {}
    return (",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers),
            ",".join(f"{k}={v}" for k, v in sel.items()) or "<none>")


def _replicaset(obj: dict[str, Any], age: Callable[[dict[str, Any]], str]) -> Row:
    spec, st = obj.get("spec") or {}, obj.get("status") or {}
    return [obj["metadata"]["name"], spec.get("replicas", 1), st.get("replicas", 0),
            st.get("readyReplicas", 0), age(obj), *_containers(obj)]


def _job_status(st: dict[str, Any]) -> str:
    for cond in st.get("conditions") or []:
        if cond.get("status") == "True" and cond.get("type") in ("Complete", "Failed"):
            return str(cond["type"])
    return "Running"


def _job(obj: dict[str, Any], age: Callable[[dict[str, Any]], str],
         human: Callable[[float], str]) -> Row:
    spec, st = obj.get("spec") or {}, obj.get("status") or {}
    duration = ""
    if st.get("startTime"):
        end = parse_time(st["completionTime"]) if st.get("completionTime") else dt.datetime.now(dt.UTC)
        duration = human((end - parse_time(st["startTime"])).total_seconds())
    done = f"{st.get('succeeded', 0)}/{spec.get('completions', 1)}"
    return [obj["metadata"]["name"], _job_status(st), done, duration, age(obj), *_containers(obj)]


def tables(age: Callable[[dict[str, Any]], str], human: Callable[[float], str]
           ) -> dict[str, tuple[list[Column], Callable[[dict[str, Any]], Row]]]:
    wide = [_c("Containers", 1), _c("Images", 1), _c("Selector", 1)]
    return {
        "replicasets": ([_c("Name", fmt="name"), _c("Desired", typ="integer"), _c("Current", typ="integer"),
                         _c("Ready", typ="integer"), _c("Age"), *wide], lambda o: _replicaset(o, age)),
        "jobs": ([_c("Name", fmt="name"), _c("Status"), _c("Completions"), _c("Duration"), _c("Age"), *wide],
                 lambda o: _job(o, age, human)),
        "mutatingwebhookconfigurations": (
            [_c("Name", fmt="name"), _c("Webhooks", typ="integer"), _c("Age")],
            lambda o: [o["metadata"]["name"], len(o.get("webhooks") or []), age(o)]),
    }
