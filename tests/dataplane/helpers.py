"""Test helpers: boto3 clients whose requests go straight into a Backend (no sockets)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.awsrequest import AWSResponse

from podid.dataplane.backend import Backend, RawRequest
from podid.dataplane.services import botocore_name


class _Raw(io.BytesIO):
    def stream(self, **_: Any) -> Iterator[bytes]:
        while chunk := self.read(65536):
            yield chunk


def raw_request(request: Any) -> RawRequest:
    """botocore AWSPreparedRequest -> RawRequest."""
    u = urlsplit(request.url)
    body = request.body
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode()
    headers = list(request.headers.items())
    if not any(k.lower() == "host" for k, _ in headers):
        headers.append(("Host", u.netloc))  # as an HTTP client would send it
    return RawRequest(request.method, u.path, u.query, headers, body or b"")


def backend_client(
    backend: Backend, service: str, region: str = "us-east-1", endpoint: str = "http://localhost:4566"
) -> Any:
    """A boto3 client for SigV4 service ``service`` whose every request is forwarded to ``backend``."""
    client = boto3.client(
        botocore_name(service),
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="secret",
    )

    last_params: dict[str, Any] = {}

    def remember(params: dict[str, Any], **_: Any) -> None:
        last_params.clear()
        last_params.update(params)

    def send(request: Any, **kwargs: Any) -> AWSResponse:
        op = str(kwargs.get("event_name", "")).rsplit(".", 1)[-1] or None
        resp = backend.forward(service, raw_request(request), operation=op, region=region,
                               params=dict(last_params))   # as the gateway passes its parsed params
        return AWSResponse(request.url, resp.status, dict(resp.headers), _Raw(resp.body))  # type: ignore[arg-type]

    client.meta.events.register("provide-client-params", remember)
    client.meta.events.register("before-send", send)
    return client
