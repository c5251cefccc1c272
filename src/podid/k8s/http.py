"""HTTP helpers: request parsing (JSON/YAML bodies, query flags, paths) and JSON/Status responses."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from podid.k8s import errors
from podid.k8s.catalog import TypeCatalog
from podid.k8s.resources import ResourceType


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":")).encode()


def status_response(exc: errors.StatusError) -> JSONResponse:
    return JSONResponse(exc.status(), status_code=exc.code)


def flag(request: HTTPConnection, name: str) -> bool:
    return request.query_params.get(name, "").lower() in ("1", "true", "t", "yes")


async def read_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise errors.bad_request("the body of the request was in an unknown format")
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if ctype == "application/vnd.kubernetes.protobuf":
        from podid.k8s.protobuf import ProtobufError, decode

        try:
            return decode(raw)
        except (ProtobufError, KeyError, UnicodeDecodeError) as exc:
            raise errors.StatusError(
                415, "UnsupportedMediaType", f"unsupported protobuf body: {exc}"
            ) from exc
    if "json" not in ctype and "yaml" not in ctype:
        # client-go remembers a 415 for protobuf and retries the request as JSON.
        raise errors.StatusError(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types "
            "include: application/json, application/yaml",
        )
    try:
        if "yaml" in ctype:
            import yaml

            return yaml.safe_load(raw)
        return json.loads(raw)
    except ValueError as exc:
        raise errors.bad_request(f"error decoding body: {exc}") from exc
    except Exception as exc:  # yaml.YAMLError
        raise errors.bad_request(f"error decoding YAML: {exc}") from exc


@dataclass(frozen=True)
class Target:
    """A parsed resource path."""

    rt: ResourceType
    namespace: str | None
    name: str | None
    subresource: str | None


def parse_resource_path(path: str, catalog: TypeCatalog) -> Target | None:
    """``api/v1/namespaces/ns/pods/p/exec`` -> Target; None when it is not a resource path."""
    parts = [p for p in path.strip("/").split("/") if p]
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    if not rest:
        return None
    namespace: str | None = None
    if rest[0] == "namespaces" and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    rt = catalog.find(group, version, rest[0])
    if rt is None:
        raise errors.resource_not_found()
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    if len(rest) > 3 or (sub is not None and sub not in rt.subresources):
        raise errors.resource_not_found()
    if rt.namespaced and namespace is None and name is not None:
        raise errors.resource_not_found()
    if not rt.namespaced and namespace is not None:
        raise errors.resource_not_found()
    return Target(rt, namespace, name, sub)


def accepts_table(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return any("as=Table" in part and "g=meta.k8s.io" in part for part in accept.split(","))
