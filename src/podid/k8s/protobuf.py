"""Decoding of Kubernetes protobuf request bodies (``application/vnd.kubernetes.protobuf``).

kubectl's typed commands (``create namespace|serviceaccount|secret|configmap|token``) send protobuf.
The envelope is ``k8s\\x00`` + ``runtime.Unknown{typeMeta, raw}``; ``raw`` is decoded with the
field numbers of k8s.io/api ``generated.proto``: hand-typed for the core kinds below, and for the
workload kinds (``kubectl create deployment|job``) numbers from :mod:`podid.k8s.protonumbers` with
types from the ``kubernetes`` client's models. Other kinds answer 415 (kubectl's generic paths -
apply, replace, patch - always send JSON).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import re
from typing import Any

from kubernetes.client import models as k8s_models

from podid.k8s.protonumbers import NUMBERS

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
    generic = message not in SCHEMA
    schema = model_schema(message) if generic else SCHEMA[message]
    out: dict[str, Any] = {}
    for num, value in _fields(buf):
        if num not in schema:
            continue
        name, typ = schema[num]
        if typ in ("skip", "[]skip"):
            continue
        if typ == "IntOrString":
            out[name] = _int_or_string(value)
        elif generic and typ in ("int", "bool"):
            out[name] = _scalar(typ, value)       # pointers (replicas: 0) keep their zero
        elif typ.startswith("map"):
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


def _model_type(typ: str) -> str:
    """A client-model type (``List[V1Container]``, ``Dict[str, str]``, ``V1PodSpec``) as a decoder type."""
    if typ.startswith("List["):
        return "[]" + _model_type(typ[5:-1])
    if typ.startswith("Dict["):
        return "map"
    simple = {"str": "string", "int": "int", "bool": "bool", "datetime": "Time", "object": "IntOrString"}
    if typ in simple:
        return simple[typ]
    short = re.sub(r"^V1", "", typ)
    return short if short in NUMBERS or short in SCHEMA else "skip"


@functools.cache
def model_schema(message: str) -> dict[int, Field]:
    """Field numbers from :data:`~podid.k8s.protonumbers.NUMBERS`, types from the client model."""
    cls = getattr(k8s_models, f"V1{message}")
    types = {cls.attribute_map[a]: t for a, t in cls.openapi_types.items()}
    return {num: (name, _model_type(types[name])) for num, name in NUMBERS[message].items()}


def _int_or_string(value: int | bytes) -> Any:
    if not isinstance(value, bytes):
        raise ProtobufError("expected IntOrString")
    msg = {n: v for n, v in _fields(value)}
    if msg.get(1, 0) == 1:
        raw = msg.get(3, b"")
        return raw.decode() if isinstance(raw, bytes) else str(raw)
    return _scalar("int", msg.get(2, 0))


def decode(body: bytes) -> dict[str, Any]:
    """The JSON-shaped object in a Kubernetes protobuf envelope."""
    if not body.startswith(MAGIC):
        raise ProtobufError("missing k8s protobuf magic")
    unknown = decode_message("Unknown", body[len(MAGIC) :])
    type_meta = unknown.get("typeMeta") or {}
    kind = type_meta.get("kind", "")
    if (kind not in SCHEMA and kind not in NUMBERS) or kind in ("Unknown", "TypeMeta", "MapEntry", "Time"):
        raise ProtobufError(f"protobuf bodies of kind {kind!r} are not supported")
    obj = decode_message(kind, unknown.get("raw") or b"")
    return {"apiVersion": type_meta.get("apiVersion", ""), "kind": kind, **obj}
