"""``metadata.managedFields`` bookkeeping and server-side apply (``application/apply-patch+yaml``).

Field sets are sets of paths in the FieldsV1 vocabulary (``f:spec``, ``k:{"name":"app"}``, ``v:"x"``,
``.``). Apply merges the configuration into the live object, removes fields the manager applied
before and no longer applies (unless another manager owns them), and reports conflicts with other
managers exactly as kube-apiserver words them (``force=true`` takes ownership instead).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from podid.k8s.errors import Cause, StatusError
from podid.k8s.meta import now_rfc3339
from podid.k8s.patch import MERGE_KEYS, strategic_merge

Path = tuple[str, ...]
_SKIP_META = frozenset(
    {
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
        "generation",
        "managedFields",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "selfLink",
    }
)
_MISSING = object()


def field_set(obj: Any, prefix: Path = (), parent: str = "") -> set[Path]:
    """Leaf paths of ``obj`` (top level ``apiVersion``/``kind``/server metadata excluded)."""
    out: set[Path] = set()
    if isinstance(obj, dict) and obj:
        considered = False
        for key, value in obj.items():
            if not prefix and key in ("apiVersion", "kind"):
                continue
            if prefix == ("f:metadata",) and key in _SKIP_META:
                continue
            considered = True
            out |= field_set(value, (*prefix, f"f:{key}"), key)
        if not considered and prefix != ("f:metadata",) and prefix:
            out.add(prefix)
        return out
    if isinstance(obj, list) and parent in MERGE_KEYS and obj:
        key = MERGE_KEYS[parent]
        for item in obj:
            if key is None:
                out.add((*prefix, "v:" + json.dumps(item)))
            elif isinstance(item, dict) and key in item:
                ipath = (*prefix, "k:" + json.dumps({key: item[key]}, separators=(",", ":")))
                out.add((*ipath, "."))
                out |= field_set(item, ipath, "")
        return out
    if prefix:
        out.add(prefix)
    return out


def to_fields_v1(paths: set[Path]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for path in sorted(paths):
        cur = root
        for part in path:
            cur = cur.setdefault(part, {})
    return root


def from_fields_v1(tree: Any, prefix: Path = ()) -> set[Path]:
    out: set[Path] = set()
    if not isinstance(tree, dict) or not tree:
        return {prefix} if prefix else set()
    for key, sub in tree.items():
        out |= from_fields_v1(sub, (*prefix, key))
    return out


def _child(cur: Any, part: str) -> Any:
    if part == ".":
        return cur
    if part.startswith("f:"):
        return cur.get(part[2:], _MISSING) if isinstance(cur, dict) else _MISSING
    if part.startswith("k:") and isinstance(cur, list):
        want = json.loads(part[2:])
        for item in cur:
            if isinstance(item, dict) and all(item.get(k) == v for k, v in want.items()):
                return item
        return _MISSING
    if part.startswith("v:") and isinstance(cur, list):
        value = json.loads(part[2:])
        return value if value in cur else _MISSING
    return _MISSING


def value_at(obj: Any, path: Path) -> Any:
    cur = obj
    for part in path:
        cur = _child(cur, part)
        if cur is _MISSING:
            return _MISSING
    return cur


def remove_path(obj: Any, path: Path) -> None:
    if not path:
        return
    if path[-1] == ".":
        path = path[:-1]
    parent = value_at(obj, path[:-1])
    last = path[-1]
    if last.startswith("f:") and isinstance(parent, dict):
        parent.pop(last[2:], None)
    elif last.startswith(("k:", "v:")) and isinstance(parent, list):
        target = _child(parent, last)
        if target is not _MISSING:
            parent.remove(target)


def describe(path: Path) -> str:
    """``.spec.containers[name="app"].image``."""
    out = ""
    for part in path:
        if part.startswith("f:"):
            out += "." + part[2:]
        elif part.startswith("k:"):
            want = json.loads(part[2:])
            out += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in want.items()) + "]"
        elif part.startswith("v:"):
            out += f"[{part[2:]}]"
    return out


def _entries(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return list((obj.get("metadata") or {}).get("managedFields") or [])


def _entry_paths(entry: dict[str, Any]) -> set[Path]:
    return from_fields_v1(entry.get("fieldsV1") or {})


def _store_entries(obj: dict[str, Any], entries: list[dict[str, Any]]) -> None:
    kept = [e for e in entries if e.get("fieldsV1")]
    meta = obj.setdefault("metadata", {})
    if kept:
        meta["managedFields"] = kept
    else:
        meta.pop("managedFields", None)


def _entry(
    manager: str, operation: str, api_version: str, paths: set[Path], subresource: str | None = None
) -> dict[str, Any]:
    e: dict[str, Any] = {
        "manager": manager,
        "operation": operation,
        "apiVersion": api_version,
        "time": now_rfc3339(),
        "fieldsType": "FieldsV1",
        "fieldsV1": to_fields_v1(paths),
    }
    if subresource:
        e["subresource"] = subresource
    return e


def record_update(
    old: dict[str, Any] | None,
    new: dict[str, Any],
    manager: str,
    api_version: str,
    subresource: str | None = None,
) -> None:
    """Give ``manager`` (operation Update) the fields it changed; take them from other managers."""
    entries = _entries(old) if old is not None else []
    new_paths = field_set(new)
    changed = {p for p in new_paths if old is None or value_at(old, p) != value_at(new, p)}
    removed = set() if old is None else {p for p in field_set(old) if value_at(new, p) is _MISSING}
    result = []
    mine: set[Path] = set()
    for e in entries:
        paths = _entry_paths(e)
        if (
            e.get("manager") == manager
            and e.get("operation") == "Update"
            and e.get("subresource") == subresource
        ):
            mine = paths
            continue
        left = paths - changed - removed
        if left != paths:
            e = dict(e, fieldsV1=to_fields_v1(left))
        result.append(e)
    mine = (mine - removed) | changed
    mine = {p for p in mine if value_at(new, p) is not _MISSING}
    if mine:
        result.append(_entry(manager, "Update", api_version, mine, subresource))
    _store_entries(new, result)


def apply(
    live: dict[str, Any] | None, config: dict[str, Any], manager: str, api_version: str, force: bool
) -> dict[str, Any]:
    """Server-side apply of ``config`` by ``manager``; raises a 409 StatusError on conflicts."""
    base = copy.deepcopy(live) if live is not None else {}
    entries = _entries(base)
    cfg_paths = field_set(config)
    conflicts: list[tuple[str, Path]] = []
    for e in entries:
        if e.get("manager") == manager and e.get("operation") == "Apply":
            continue
        for p in sorted(cfg_paths & _entry_paths(e)):
            if p[-1] != "." and value_at(base, p) != value_at(config, p):
                conflicts.append((str(e.get("manager")), p))
    if conflicts and not force:
        causes = [
            Cause("FieldManagerConflict", f'conflict with "{m}" using {api_version}', describe(p))
            for m, p in conflicts
        ]
        lines = [f'conflict with "{m}" using {api_version}: {describe(p)}' for m, p in conflicts]
        if len(lines) == 1:
            msg = f"Apply failed with 1 conflict: {lines[0]}"
        else:
            msg = f"Apply failed with {len(lines)} conflicts: " + "\n".join(lines)
        raise StatusError(409, "Conflict", msg, causes=tuple(causes))
    others: set[Path] = set()
    previous: set[Path] = set()
    kept_entries = []
    for e in entries:
        paths = _entry_paths(e)
        if e.get("manager") == manager and e.get("operation") == "Apply":
            previous = paths
            continue
        if force:
            paths = paths - cfg_paths
            e = dict(e, fieldsV1=to_fields_v1(paths))
        others |= paths
        kept_entries.append(e)
    for p in sorted(previous - cfg_paths - others, key=len, reverse=True):
        remove_path(base, p)
    merged = strategic_merge(base, {k: v for k, v in config.items() if k != "metadata"})
    meta = merged.setdefault("metadata", {})
    cfg_meta = config.get("metadata") or {}
    for key in ("labels", "annotations"):
        if key in cfg_meta:
            current = dict(meta.get(key) or {})
            current.update(cfg_meta[key] or {})
            meta[key] = current
    for key in ("name", "namespace", "generateName", "finalizers", "ownerReferences"):
        if key in cfg_meta and key not in meta:
            meta[key] = cfg_meta[key]
    kept_entries.append(_entry(manager, "Apply", api_version, cfg_paths))
    _store_entries(merged, kept_entries)
    return merged
