"""Decoding of Kubernetes protobuf request bodies (``application/vnd.kubernetes.protobuf``).

kubectl's typed commands (``create namespace|serviceaccount|secret|configmap|token``) send protobuf.
The envelope is ``k8s\\x00`` + ``runtime.Unknown{typeMeta, raw}``; ``raw`` is decoded with the
field numbers of k8s.io/api ``generated.proto`` for the few kinds those commands send. Other kinds
answer 415 (kubectl's generic paths - apply, replace, patch - always send JSON).
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

MAGIC = b"k8s\x00"
Field = tuple[str, str]  # json name, type ("string", "int", "bool", "bytes", "[]T", "map", "map:bytes", Msg)

_META: dict[int, Field] = {
    1: ("name", "string"),
    2: ("generateName", "string"),
    3: ("namespace", "string"),
    5: ("uid", "string"),
    6: ("resourceVersion", "string"),
    7: ("generation", "int"),
    8: ("creationTimestamp", "Time"),
    10: ("deletionGracePeriodSeconds", "int"),
    11: ("labels", "map"),
    12: ("annotations", "map"),
    13: ("ownerReferences", "[]OwnerReference"),
    14: ("finalizers", "[]string"),
}
SCHEMA: dict[str, dict[int, Field]] = {
    "Unknown": {
        1: ("typeMeta", "TypeMeta"),
        2: ("raw", "bytes"),
        3: ("contentEncoding", "string"),
        4: ("contentType", "string"),
    },
    "TypeMeta": {1: ("apiVersion", "string"), 2: ("kind", "string")},
    "ObjectMeta": _META,
    "OwnerReference": {
        1: ("kind", "string"),
        3: ("name", "string"),
        4: ("uid", "string"),
        5: ("apiVersion", "string"),
        6: ("controller", "bool"),
        7: ("blockOwnerDeletion", "bool"),
    },
    "Time": {1: ("seconds", "int"), 2: ("nanos", "int")},
    "Namespace": {
        1: ("metadata", "ObjectMeta"),
        2: ("spec", "NamespaceSpec"),
        3: ("status", "NamespaceStatus"),
    },
    "NamespaceSpec": {1: ("finalizers", "[]string")},
    "NamespaceStatus": {1: ("phase", "string")},
    "ServiceAccount": {
        1: ("metadata", "ObjectMeta"),
        2: ("secrets", "[]ObjectReference"),
        3: ("imagePullSecrets", "[]LocalObjectReference"),
        4: ("automountServiceAccountToken", "bool"),
    },
    "ObjectReference": {
        1: ("kind", "string"),
        2: ("namespace", "string"),
        3: ("name", "string"),
        4: ("uid", "string"),
        5: ("apiVersion", "string"),
        6: ("resourceVersion", "string"),
        7: ("fieldPath", "string"),
    },
    "LocalObjectReference": {1: ("name", "string")},
    "Secret": {
        1: ("metadata", "ObjectMeta"),
        2: ("data", "map:bytes"),
        3: ("type", "string"),
        4: ("stringData", "map"),
        5: ("immutable", "bool"),
    },
    "ConfigMap": {
        1: ("metadata", "ObjectMeta"),
        2: ("data", "map"),
        3: ("binaryData", "map:bytes"),
        4: ("immutable", "bool"),
    },
    "TokenRequest": {1: ("metadata", "ObjectMeta"), 2: ("spec", "TokenRequestSpec")},
    "SelfSubjectReview": {1: ("metadata", "ObjectMeta")},   # `kubectl auth whoami`: no spec
    "TokenRequestSpec": {
        1: ("audiences", "[]string"),
        3: ("boundObjectRef", "BoundObjectReference"),
        4: ("expirationSeconds", "int"),
    },
    "BoundObjectReference": {
        1: ("kind", "string"),
        2: ("apiVersion", "string"),
        3: ("name", "string"),
        4: ("uid", "string"),
    },
    "MapEntry": {1: ("key", "string"), 2: ("value", "bytes")},
}


class ProtobufError(ValueError):
    """Malformed or unsupported protobuf body."""


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    for _ in range(10):
        if pos >= len(buf):
            raise ProtobufError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
    raise ProtobufError("varint too long")


def _fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
            out.append((num, value))
        elif wire == 2:
            length, pos = _varint(buf, pos)
            if pos + length > len(buf):
                raise ProtobufError("truncated field")
            out.append((num, buf[pos : pos + length]))
            pos += length
        elif wire == 1:
            out.append((num, int.from_bytes(buf[pos : pos + 8], "little")))
            pos += 8
        elif wire == 5:
            out.append((num, int.from_bytes(buf[pos : pos + 4], "little")))
            pos += 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
    return out


def _scalar(typ: str, value: int | bytes) -> Any:
    if typ == "string":
        return value.decode() if isinstance(value, bytes) else str(value)
    if typ == "int":
        if isinstance(value, bytes):
            raise ProtobufError("expected varint")
        return value - (1 << 64) if value >= 1 << 63 else value
    if typ == "bool":
        return bool(value)
    if typ == "bytes":
        return value if isinstance(value, bytes) else b""
    if not isinstance(value, bytes):
        raise ProtobufError(f"expected message {typ}")
    return decode_message(typ, value)


def decode_message(message: str, buf: bytes) -> dict[str, Any]:
    schema = SCHEMA[message]
    out: dict[str, Any] = {}
    for num, value in _fields(buf):
        if num not in schema:
            continue
        name, typ = schema[num]
        if typ.startswith("map"):
            entry = decode_message("MapEntry", value) if isinstance(value, bytes) else {}
            raw = entry.get("value", b"")
            val = base64.b64encode(raw).decode() if typ == "map:bytes" else raw.decode()
            out.setdefault(name, {})[entry.get("key", "")] = val
        elif typ.startswith("[]"):
            out.setdefault(name, []).append(_scalar(typ[2:], value))
        elif typ == "Time":
            t = decode_message("Time", value) if isinstance(value, bytes) else {}
            out[name] = dt.datetime.fromtimestamp(t.get("seconds", 0), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        else:
            scalar = _scalar(typ, value)
            if scalar != "" and not (typ == "int" and scalar == 0):  # gogo emits zero values; JSON omits them
                out[name] = scalar
    return out


def decode(body: bytes) -> dict[str, Any]:
    """The JSON-shaped object in a Kubernetes protobuf envelope."""
    if not body.startswith(MAGIC):
        raise ProtobufError("missing k8s protobuf magic")
    unknown = decode_message("Unknown", body[len(MAGIC) :])
    type_meta = unknown.get("typeMeta") or {}
    kind = type_meta.get("kind", "")
    if kind not in SCHEMA or kind in ("Unknown", "TypeMeta", "MapEntry", "Time"):
        raise ProtobufError(f"protobuf bodies of kind {kind!r} are not supported")
    obj = decode_message(kind, unknown.get("raw") or b"")
    return {"apiVersion": type_meta.get("apiVersion", ""), "kind": kind, **obj}
