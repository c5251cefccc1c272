"""Build WireRequests signed by botocore's own signers (header, presigned, S3), and send them raw."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from podid.protocol.wire import WireRequest

AKID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def to_wire(req: Any) -> WireRequest:
    """A botocore (prepared) request as the server would receive it."""
    parts = urlsplit(req.url)
    headers = [(k, v.decode() if isinstance(v, bytes) else str(v)) for k, v in req.headers.items()]
    if not any(k.lower() == "host" for k, _ in headers):
        headers.append(("Host", parts.netloc))
    body = req.body or b""
    if isinstance(body, str):
        body = body.encode()
    return WireRequest(
        method=req.method, raw_path=parts.path or "/", query=parts.query, headers=headers, body=body
    )


def sign(
    method: str = "POST",
    url: str = "http://127.0.0.1:4566/",
    body: bytes = b"Action=GetCallerIdentity&Version=2011-06-15",
    headers: dict[str, str] | None = None,
    *,
    service: str = "sts",
    region: str = "us-east-1",
    akid: str = AKID,
    secret: str = SECRET,
    token: str | None = None,
    s3: bool = False,
    presign: int | None = None,
    unsigned_payload: bool = False,
    when: dt.datetime | None = None,
) -> WireRequest:
    """A request signed by botocore (``presign``: X-Amz-Expires seconds for a presigned URL)."""
    hdrs = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"} if body else {}
    hdrs.update(headers or {})
    request = AWSRequest(method=method, url=url, data=body, headers=hdrs)
    if unsigned_payload:
        from botocore.config import Config

        request.context["payload_signing_enabled"] = False
        request.context["client_config"] = Config(s3={"payload_signing_enabled": False})
    creds = Credentials(akid, secret, token)
    if presign is not None:
        signer: Any = (S3SigV4QueryAuth if s3 else SigV4QueryAuth)(creds, service, region, expires=presign)
    else:
        signer = (S3SigV4Auth if s3 else SigV4Auth)(creds, service, region)
    if when is not None:
        import unittest.mock as _m

        with _m.patch("botocore.auth.get_current_datetime", return_value=when.replace(tzinfo=None)):
            signer.add_auth(request)
    else:
        signer.add_auth(request)
    return to_wire(request.prepare())


def send(base_url: str, req: WireRequest, timeout: float = 30) -> Any:
    """Send ``req`` unchanged (path, query, headers, body) to ``base_url``; returns the httpx.Response."""
    import httpx

    url = base_url.rstrip("/") + req.raw_path + (f"?{req.query}" if req.query else "")
    headers = [(k, v) for k, v in req.headers if k.lower() not in ("content-length",)]
    with httpx.Client(timeout=timeout, trust_env=False) as client:
        return client.request(req.method, httpx.URL(url), headers=headers, content=req.body)


def error_code(response: Any) -> str | None:
    """The AWS error code in an XML or JSON error body."""
    import re

    text = response.text
    m = re.search(r"<Code>([^<]+)</Code>", text)
    if m:
        return m.group(1)
    try:
        return str(response.json().get("__type", "")).rsplit("#", 1)[-1] or None
    except ValueError:
        return None


def http(method: str, url: str, **kwargs: Any) -> Any:
    """A plain httpx request that ignores proxy environment variables."""
    import httpx

    with httpx.Client(timeout=30, trust_env=False) as client:
        return client.request(method, url, **kwargs)
