"""S3's Signature Version 2 (server side): ``Authorization: AWS AKID:SIG`` and presigned URLs
(``AWSAccessKeyId``, ``Signature``, ``Expires``).

boto3's ``generate_presigned_url('get_object')`` still produces SigV2 URLs by default in
us-east-1, and many tools send SigV2 headers, so S3 verifies it for real: HMAC-SHA1 with the
secret key over AWS's string to sign (``RESTAuthentication.html``)::

    METHOD \\n Content-MD5 \\n Content-Type \\n Date-or-Expires \\n
    CanonicalizedAmzHeaders CanonicalizedResource

``Date`` is empty when an ``x-amz-date`` header is signed instead; a presigned URL carries
``Expires`` there, and its ``x-amz-*``, ``Content-Type`` and ``Content-MD5`` values may travel as
query parameters (botocore moves them there). The canonical resource is the path as sent (with
the bucket for virtual-hosted requests) plus the sub-resources S3 lists. Header auth obeys the
15-minute clock skew, a presigned URL its ``Expires``. Signatures are compared in constant time.
Only S3 accepts SigV2; nothing here logs.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, unquote

from podid.auth.errors import AuthError
from podid.protocol.wire import WireRequest, s3_path_style

PREFIX = "AWS "
MAX_SKEW = dt.timedelta(minutes=15)
MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your key "
            "and signing method.")
#: Query parameters that are part of the canonical resource (S3's list, as botocore signs it).
SUBRESOURCES = frozenset({
    "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete", "inventory", "lifecycle",
    "location", "logging", "metrics", "notification", "object-lock", "partNumber", "policy", "replication",
    "requestPayment", "response-cache-control", "response-content-disposition", "response-content-encoding",
    "response-content-language", "response-content-type", "response-expires", "restore", "select",
    "select-type", "storageClass", "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning",
    "versions", "website",
})


@dataclass(frozen=True)
class SigV2Parts:
    """The SigV2 parameters of one request. SigV2 names no region: the server's own applies."""

    access_key_id: str
    signature: str
    presigned: bool
    expires: int | None = None
    security_token: str | None = None
    date: str | None = None
    region: str = ""
    service: str = "s3"


def is_sigv2(request: WireRequest) -> bool:
    """Whether ``request`` carries SigV2 authentication (header or presigned query)."""
    auth = request.header("authorization")
    if auth is not None:
        return auth.startswith(PREFIX)
    return "Signature=" in request.query and "AWSAccessKeyId=" in request.query


def _query_values(request: WireRequest) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in parse_qsl(request.query, keep_blank_values=True):
        out.setdefault(key, []).append(value)
    return out


def extract(request: WireRequest) -> SigV2Parts:
    """The SigV2 parameters of a request for which :func:`is_sigv2` holds; raises AuthError."""
    auth = request.header("authorization")
    if auth is not None:
        akid, sep, signature = auth[len(PREFIX):].strip().partition(":")
        if not sep or not akid or not signature:
            raise AuthError("incomplete", "AWS authorization header is invalid.  Expected "
                            f"AwsAccessKeyId:signature: '{auth[:64]}'")
        date = request.header("x-amz-date") or request.header("date")
        if not date:
            raise AuthError("missing", "AWS authentication requires a valid Date or x-amz-date header")
        return SigV2Parts(access_key_id=akid, signature=signature, presigned=False,
                          security_token=request.header("x-amz-security-token"), date=date)
    query = _query_values(request)
    for name in ("AWSAccessKeyId", "Signature", "Expires", "x-amz-security-token"):
        if len(query.get(name, [])) > 1:
            raise AuthError("query_params", f"The '{name}' query-string parameter must appear only once.")
    expires = query.get("Expires", [""])[0]
    if not expires.isdigit():
        raise AuthError("query_params", "Query-string authentication requires the Signature, Expires and "
                        "AWSAccessKeyId parameters")
    token = query.get("x-amz-security-token", [None])[0] or request.header("x-amz-security-token")
    return SigV2Parts(access_key_id=query["AWSAccessKeyId"][0], signature=query["Signature"][0],
                      presigned=True, expires=int(expires), security_token=token)


def canonical_resource(request: WireRequest) -> str:
    """The path as sent (with the bucket of a virtual-hosted request) and S3's sub-resources."""
    path = s3_path_style(request.host, request.raw_path or "/")
    subresources = []
    for item in request.query.split("&"):
        key, sep, value = item.partition("=")
        if key in SUBRESOURCES:
            subresources.append((key, f"{key}={unquote(value)}" if sep else key))
    if subresources:
        path += "?" + "&".join(text for _, text in sorted(subresources, key=lambda kv: kv[0]))
    return path


def string_to_sign(request: WireRequest, parts: SigV2Parts) -> str:
    """AWS's SigV2 string to sign for ``request``."""
    query = _query_values(request) if parts.presigned else {}

    def standard(name: str) -> str:
        value = request.header(name)
        if value is None and name in query:
            value = query[name][0]
        return (value or "").strip()

    amz: dict[str, list[str]] = {}
    for key, value in request.headers:
        if key.lower().startswith("x-amz-"):
            amz.setdefault(key.lower(), []).append(value.strip())
    for key, values in query.items():
        if key.lower().startswith("x-amz-") and key.lower() not in amz:
            amz[key.lower()] = [v.strip() for v in values]
    if parts.presigned:
        date = str(parts.expires)
    elif request.header("x-amz-date"):
        date = ""
    else:
        date = standard("date")
    lines = [request.method.upper(), standard("content-md5"), standard("content-type"), date]
    lines += [f"{name}:{','.join(amz[name])}" for name in sorted(amz)]
    return "\n".join(lines) + "\n" + canonical_resource(request)


def _check_time(parts: SigV2Parts, now: dt.datetime) -> None:
    if parts.presigned:
        if now.timestamp() > (parts.expires or 0):
            raise AuthError("presign_expired", "Request has expired")
        return
    try:
        when = parsedate_to_datetime(parts.date or "")
    except (TypeError, ValueError):
        when = None
    if when is None or when.tzinfo is None:
        raise AuthError("missing", "AWS authentication requires a valid Date or x-amz-date header")
    if abs(now - when) > MAX_SKEW:
        raise AuthError("skew", "The difference between the request time and the current time is too large.")


def verify(request: WireRequest, parts: SigV2Parts, secret: str, *,
           now: Callable[[], dt.datetime] | None = None) -> None:
    """Verify a SigV2-signed S3 request against ``secret``; raises AuthError."""
    _check_time(parts, (now or _utcnow)())
    try:
        given = base64.b64decode(parts.signature.encode("utf-8", "replace"), validate=True)
    except (binascii.Error, ValueError):
        raise AuthError("signature", MISMATCH) from None
    expected = hmac.new(secret.encode("utf-8"), string_to_sign(request, parts).encode("utf-8"),
                        hashlib.sha1).digest()
    if not hmac.compare_digest(expected, given):
        raise AuthError("signature", MISMATCH)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
