"""A small RFC 6902 JSON Patch implementation: ``diff`` (minimal-ish ops) and ``apply``.

``diff(old, new)`` walks both documents: objects key by key, arrays by common prefix/suffix so a
pure insertion (a volume prepended, env vars appended) becomes ``add`` ops at indices and anything
messier replaces the array. ``apply(doc, ops)`` implements all six operations (add, remove,
replace, move, copy, test) with RFC 6901 pointers and returns a new document. Both are used by
the admission endpoint and by podid's in-process cluster API; neither touches the input.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any

_INDEX = re.compile(r"^(0|[1-9][0-9]*)$")


class JsonPatchError(ValueError):
    """A patch that cannot be applied (bad pointer, failed test, unknown op)."""


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _same(a: Any, b: Any) -> bool:
    """JSON equality (``True`` is not ``1``, ``1`` equals ``1.0`` as JSON numbers do)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (Mapping, list)) or isinstance(b, (Mapping, list)):
        return False
    return bool(a == b)


def diff(old: Any, new: Any, path: str = "") -> list[dict[str, Any]]:
    """RFC 6902 operations that turn ``old`` into ``new``."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        ops: list[dict[str, Any]] = []
        for key in old:
            if key not in new:
                ops.append({"op": "remove", "path": f"{path}/{escape(key)}"})
        for key in new:
            child = f"{path}/{escape(key)}"
            if key not in old:
                ops.append({"op": "add", "path": child, "value": copy.deepcopy(new[key])})
            else:
                ops += diff(old[key], new[key], child)
        return ops
    if isinstance(old, list) and isinstance(new, list):
        return _diff_list(old, new, path)
    if _same(old, new):
        return []
    return [{"op": "replace", "path": path, "value": copy.deepcopy(new)}]


def _diff_list(old: list[Any], new: list[Any], path: str) -> list[dict[str, Any]]:
    shortest = min(len(old), len(new))
    prefix = 0
    while prefix < shortest and _same(old[prefix], new[prefix]):
        prefix += 1
    suffix = 0
    while suffix < shortest - prefix and _same(old[-1 - suffix], new[-1 - suffix]):
        suffix += 1
    old_mid = old[prefix:len(old) - suffix]
    new_mid = new[prefix:len(new) - suffix]
    if not old_mid:
        return [{"op": "add", "path": f"{path}/{prefix + i}", "value": copy.deepcopy(v)}
                for i, v in enumerate(new_mid)]
    if not new_mid:
        return [{"op": "remove", "path": f"{path}/{prefix}"} for _ in old_mid]
    if len(old_mid) == len(new_mid):
        ops: list[dict[str, Any]] = []
        for i, (a, b) in enumerate(zip(old_mid, new_mid, strict=True)):
            ops += diff(a, b, f"{path}/{prefix + i}")
        return ops
    return [{"op": "replace", "path": path, "value": copy.deepcopy(new)}]


def _tokens(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise JsonPatchError(f"invalid JSON pointer {pointer!r}")
    return [unescape(t) for t in pointer[1:].split("/")]


def _index(container: list[Any], token: str, *, allow_end: bool) -> int:
    if allow_end and token == "-":
        return len(container)
    if not _INDEX.match(token):
        raise JsonPatchError(f"invalid array index {token!r}")
    index = int(token)
    if index > len(container) or (index == len(container) and not allow_end):
        raise JsonPatchError(f"array index {index} out of range")
    return index


def _parent(doc: Any, pointer: str) -> tuple[Any, str]:
    tokens = _tokens(pointer)
    if not tokens:
        raise JsonPatchError("the root has no parent")
    target = doc
    for token in tokens[:-1]:
        target = _child(target, token)
    return target, tokens[-1]


def _child(target: Any, token: str) -> Any:
    if isinstance(target, dict):
        if token not in target:
            raise JsonPatchError(f"path member {token!r} not found")
        return target[token]
    if isinstance(target, list):
        return target[_index(target, token, allow_end=False)]
    raise JsonPatchError(f"cannot descend into {type(target).__name__}")


def _get(doc: Any, pointer: str) -> Any:
    target = doc
    for token in _tokens(pointer):
        target = _child(target, token)
    return target


def _add(doc: Any, pointer: str, value: Any) -> Any:
    if pointer == "":
        return value
    parent, token = _parent(doc, pointer)
    if isinstance(parent, dict):
        parent[token] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, token, allow_end=True), value)
    else:
        raise JsonPatchError(f"cannot add into {type(parent).__name__}")
    return doc


def _remove(doc: Any, pointer: str) -> Any:
    parent, token = _parent(doc, pointer)
    if isinstance(parent, dict):
        if token not in parent:
            raise JsonPatchError(f"cannot remove missing member {token!r}")
        del parent[token]
    elif isinstance(parent, list):
        del parent[_index(parent, token, allow_end=False)]
    else:
        raise JsonPatchError(f"cannot remove from {type(parent).__name__}")
    return doc


def apply(doc: Any, ops: Sequence[Mapping[str, Any]]) -> Any:
    """Apply RFC 6902 ``ops`` to a copy of ``doc`` and return it."""
    result = copy.deepcopy(doc)
    for op in ops:
        kind, path = op.get("op"), op.get("path")
        if not isinstance(path, str):
            raise JsonPatchError("operation without a path")
        if kind == "add":
            result = _add(result, path, copy.deepcopy(op["value"]))
        elif kind == "remove":
            result = _remove(result, path)
        elif kind == "replace":
            _get(result, path)  # the target must exist
            result = copy.deepcopy(op["value"]) if path == "" else _add(
                _remove(result, path), path, copy.deepcopy(op["value"]))
        elif kind in ("move", "copy"):
            source = op.get("from")
            if not isinstance(source, str):
                raise JsonPatchError(f"{kind} without 'from'")
            if kind == "move" and (path + "/").startswith(source + "/") and path != source:
                raise JsonPatchError("cannot move a value into itself")
            value = copy.deepcopy(_get(result, source))
            if kind == "move":
                result = _remove(result, source)
            result = _add(result, path, value)
        elif kind == "test":
            if not _same(_get(result, path), op.get("value")):
                raise JsonPatchError(f"test failed at {path!r}")
        else:
            raise JsonPatchError(f"unknown operation {kind!r}")
    return result
