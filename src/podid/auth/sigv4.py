"""AWS Signature Version 4 verification (server side): header auth and presigned URLs.

:func:`extract` reads the SigV4 parameters of a request (``Authorization: AWS4-HMAC-SHA256
Credential=..., SignedHeaders=..., Signature=...`` or the ``X-Amz-*`` query parameters of a
presigned URL) without needing any secret; :func:`verify` then checks the signature against a
secret, the 15-minute clock skew, the credential scope, presigned expiry and the payload hash
(``x-amz-content-sha256`` incl. ``UNSIGNED-PAYLOAD`` and ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD``
chunk signatures). The canonical request is built exactly as AWS does: S3 paths are used as sent
(decoded and re-encoded once), other services' paths are normalised and encoded again.
Signatures are compared in constant time. Nothing here logs.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote

from podid.auth.errors import AuthError
from podid.protocol.wire import WireRequest

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_PAYLOAD = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_PAYLOAD_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_SKEW = dt.timedelta(minutes=15)
MAX_PRESIGN_EXPIRES = 604800
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)
_AMZ_DATE = "%Y%m%dT%H%M%SZ"
_REGION = re.compile(r"^[a-z]{2}(-[a-z0-9]+)+-\d+$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class SigV4Parts:
    """The SigV4 parameters of one request (no secret involved)."""

    access_key_id: str
    scope_date: str
    region: str
    service: str
    terminator: str
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: str
    presigned: bool
    expires: int | None = None
    security_token: str | None = None

    @property
    def scope(self) -> str:
        return f"{self.scope_date}/{self.region}/{self.service}/{self.terminator}"


def scope_service(request: WireRequest) -> str | None:
    """The service named in the request's credential scope, without validating anything else."""
    cred = None
    auth = request.header("authorization")
    if auth and auth.startswith(ALGORITHM):
        m = re.search(r"Credential=([^,\s]+)", auth)
        cred = m.group(1) if m else None
    elif "X-Amz-Credential" in request.query:
        cred = request.query_params().get("X-Amz-Credential")
    if not cred:
        return None
    parts = cred.split("/")
    return parts[3] if len(parts) == 5 else None


def _parse_auth_header(value: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in value[len(ALGORITHM):].split(","):
        key, sep, val = item.strip().partition("=")
        if sep:
            fields[key.strip()] = val.strip()
    return fields


def _amz_date(request: WireRequest, query: dict[str, str], presigned: bool) -> str:
    if presigned:
        value = query.get("X-Amz-Date")
        if not value:
            raise AuthError("query_params", "AWS query-string parameters must include 'X-Amz-Date'.")
        return value
    value = request.header("x-amz-date")
    if value:
        return value
    date = request.header("date")
    if date:
        try:
            from email.utils import parsedate_to_datetime

            return parsedate_to_datetime(date).astimezone(dt.UTC).strftime(_AMZ_DATE)
        except (TypeError, ValueError):
            pass
    raise AuthError("incomplete",
                    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")


def extract(request: WireRequest) -> SigV4Parts | None:
    """The SigV4 parameters of ``request``; None if it is not signed at all. Raises AuthError."""
    auth = request.header("authorization")
    query = request.query_params() if "X-Amz-" in request.query else {}
    if auth is None and not query and "Signature=" in request.query:
        legacy = request.query_params()
        if "AWSAccessKeyId" in legacy and "Signature" in legacy:
            # a SigV2 presigned URL must never pass as an anonymous request: refuse it (fail closed)
            raise AuthError("query_params", "Query-string authentication version 2 (AWSAccessKeyId, "
                            "Signature, Expires) is not supported by podid; presign with AWS4-HMAC-SHA256.")
    if auth is not None:
        if not auth.startswith(ALGORITHM + " "):
            algo = auth.split(" ", 1)[0]
            raise AuthError("incomplete", f"Unsupported AWS 'algorithm': '{algo}'")
        fields = _parse_auth_header(auth)
        missing = [k for k in ("Credential", "Signature", "SignedHeaders") if not fields.get(k)]
        if missing:
            raise AuthError("incomplete", " ".join(
                f"Authorization header requires '{k}' parameter." for k in missing))
        credential, signed, signature = fields["Credential"], fields["SignedHeaders"], fields["Signature"]
        presigned, expires = False, None
        token = request.header("x-amz-security-token")
    elif "X-Amz-Credential" in query or "X-Amz-Signature" in query or "X-Amz-Algorithm" in query:
        missing = [k for k in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date",
                               "X-Amz-SignedHeaders") if not query.get(k)]
        if missing:
            names = ", ".join(f"'{k}'" for k in missing)
            raise AuthError("query_params", f"AWS query-string parameters must include {names}. "
                            "Re-examine the query-string parameters.")
        if query["X-Amz-Algorithm"] != ALGORITHM:
            raise AuthError("query_params", 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256" and '
                            '"AWS4-ECDSA-P256-SHA256"')
        credential, signed, signature = query["X-Amz-Credential"], query["X-Amz-SignedHeaders"], \
            query["X-Amz-Signature"]
        presigned = True
        raw_expires = query.get("X-Amz-Expires", "")
        if not raw_expires.isdigit():
            raise AuthError("query_params", "X-Amz-Expires should be a number")
        expires = int(raw_expires)
        if expires > MAX_PRESIGN_EXPIRES:
            raise AuthError("query_params",
                            "X-Amz-Expires must be less than a week (in seconds) that is 604800")
        token = query.get("X-Amz-Security-Token") or request.header("x-amz-security-token")
    else:
        return None
    scope = credential.split("/")
    if len(scope) != 5 or not all(scope):
        raise AuthError("incomplete", f"Credential should be scoped by a valid Credential: '{credential}'.")
    akid, date, region, service, terminator = scope
    amz_date = _amz_date(request, query, presigned)
    return SigV4Parts(
        access_key_id=akid, scope_date=date, region=region, service=service, terminator=terminator,
        signed_headers=tuple(h.strip().lower() for h in signed.split(";") if h.strip()),
        signature=signature.strip().lower(), amz_date=amz_date, presigned=presigned, expires=expires,
        security_token=token,
    )


@functools.lru_cache(maxsize=1024)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The SigV4 derived signing key for one scope."""
    key = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def canonical_uri(raw_path: str, *, s3: bool) -> str:
    """Canonical URI: S3 encodes the path once; other services normalise and encode it again."""
    path = raw_path or "/"
    if s3:
        return quote(unquote(path), safe="/~")
    segments: list[str] = []
    for segment in path.split("/"):  # RFC 3986 remove_dot_segments; AWS also drops empty segments
        if segment == "..":
            if segments:
                segments.pop()
        elif segment and segment != ".":
            segments.append(segment)
    normalized = ("/" if path.startswith("/") else "") + "/".join(segments)
    if path.endswith("/") and segments:
        normalized += "/"
    return quote(normalized, safe="/~")


def canonical_query(query: str, *, exclude_signature: bool) -> str:
    """Sorted, URI-encoded query string (``X-Amz-Signature`` dropped for presigned URLs)."""
    pairs: list[tuple[str, str]] = []
    for item in query.split("&"):
        if not item:
            continue
        key, _, value = item.partition("=")
        key, value = unquote(key), unquote(value)
        if exclude_signature and key == "X-Amz-Signature":
            continue
        pairs.append((quote(key, safe="-_.~"), quote(value, safe="-_.~")))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def canonical_headers(request: WireRequest, signed: tuple[str, ...]) -> str:
    lines = []
    for name in sorted(set(signed)):
        values = request.header_values(name)
        lines.append(f"{name}:" + ",".join(" ".join(v.split()) for v in values))
    return "\n".join(lines) + "\n"


def canonical_request(request: WireRequest, parts: SigV4Parts, payload_hash: str, *, s3: bool) -> str:
    return "\n".join([
        request.method.upper(),
        canonical_uri(request.raw_path, s3=s3),
        canonical_query(request.query, exclude_signature=parts.presigned),
        canonical_headers(request, parts.signed_headers),
        ";".join(sorted(set(parts.signed_headers))),
        payload_hash,
    ])


def string_to_sign(parts: SigV4Parts, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{parts.amz_date}\n{parts.scope}\n{digest}"


def _sign(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _check_time(parts: SigV4Parts, now: dt.datetime) -> None:
    try:
        when = dt.datetime.strptime(parts.amz_date, _AMZ_DATE).replace(tzinfo=dt.UTC)
    except ValueError as exc:
        raise AuthError("incomplete", f"Date must be in ISO-8601 'basic format'. Got '{parts.amz_date}'. "
                        "See http://en.wikipedia.org/wiki/ISO_8601") from exc
    stamp = now.strftime(_AMZ_DATE)
    if parts.presigned:
        if when - now > MAX_SKEW:
            raise AuthError("skew", f"Request is not yet valid: {parts.amz_date} is later than {stamp}")
        if now > when + dt.timedelta(seconds=parts.expires or 0):
            raise AuthError("presign_expired", "Request has expired")
        return
    if now - when > MAX_SKEW:
        raise AuthError("skew", f"Signature expired: {parts.amz_date} is now earlier than "
                        f"{(now - MAX_SKEW).strftime(_AMZ_DATE)} ({stamp} - 15 min.)")
    if when - now > MAX_SKEW:
        raise AuthError("skew", f"Signature not yet current: {parts.amz_date} is still later than "
                        f"{(now + MAX_SKEW).strftime(_AMZ_DATE)} ({stamp} + 15 min.)")


def check_scope(parts: SigV4Parts, *, global_region: str | None = None) -> None:
    """Credential scope consistency: terminator, date vs X-Amz-Date, region syntax."""
    if parts.terminator != "aws4_request":
        raise AuthError("scope", "Credential should be scoped with a valid terminator: 'aws4_request', "
                        f"not '{parts.terminator}'.")
    if parts.scope_date != parts.amz_date[:8]:
        raise AuthError("scope", "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                        f"date from HTTP: '{parts.scope_date}' != '{parts.amz_date[:8]}', from "
                        f"'{parts.amz_date}'.")
    if not _REGION.match(parts.region) or (global_region and parts.region != global_region):
        raise AuthError("scope", "Credential should be scoped to a valid region. ")
    if "host" not in parts.signed_headers and ":authority" not in parts.signed_headers:
        raise AuthError("incomplete",
                        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")


def verify(
    request: WireRequest,
    parts: SigV4Parts,
    secret: str,
    *,
    s3: bool = False,
    global_region: str | None = None,
    now: Callable[[], dt.datetime] | None = None,
) -> None:
    """Verify ``request`` (already :func:`extract`-ed into ``parts``) against ``secret``.

    Raises :class:`AuthError`; returns None when the request is authentic.
    """
    check_scope(parts, global_region=global_region)
    _check_time(parts, (now or _utcnow)())
    key = signing_key(secret, parts.scope_date, parts.region, parts.service)
    declared = request.header("x-amz-content-sha256")
    if parts.presigned:
        candidates = [declared] if declared else [UNSIGNED_PAYLOAD]
        if not declared and not s3:
            candidates.append(hashlib.sha256(request.body).hexdigest())
    else:
        candidates = [declared or hashlib.sha256(request.body).hexdigest()]
    ok = False
    for payload_hash in candidates:
        expected = _sign(key, string_to_sign(parts, canonical_request(request, parts, payload_hash, s3=s3)))
        ok = hmac.compare_digest(expected, parts.signature) or ok
    if not ok:
        raise AuthError("signature", SIGNATURE_MISMATCH)
    if declared in (STREAMING_PAYLOAD, STREAMING_PAYLOAD_TRAILER):
        verify_chunks(request.body, key, parts)
    elif declared and _HEX64.match(declared) and not hmac.compare_digest(
            declared, hashlib.sha256(request.body).hexdigest()):
        raise AuthError("content_sha", SIGNATURE_MISMATCH)
    elif declared and declared not in (UNSIGNED_PAYLOAD, STREAMING_UNSIGNED_TRAILER) \
            and not _HEX64.match(declared):
        raise AuthError("content_sha", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.")


def verify_chunks(body: bytes, key: bytes, parts: SigV4Parts) -> bytes:
    """Verify every chunk signature of an ``aws-chunked`` body; returns the decoded payload.

    Each chunk is ``hex-size;chunk-signature=SIG\\r\\nDATA\\r\\n``; chunk ``i`` is signed over
    the previous signature (the seed, for the first) and the SHA-256 of its data. The loop ends at
    the zero-length chunk or when the body is exhausted (at most one pass over the body).
    """
    previous = parts.signature
    out = bytearray()
    pos = 0
    while pos < len(body):
        eol = body.find(b"\r\n", pos)
        if eol < 0:
            raise AuthError("incomplete", "Invalid chunked upload: missing chunk header terminator")
        header = body[pos:eol].decode("latin-1")
        size_hex, _, ext = header.partition(";")
        try:
            size = int(size_hex, 16)
        except ValueError as exc:
            raise AuthError("incomplete", "Invalid chunked upload: bad chunk size") from exc
        name, _, chunk_sig = ext.partition("=")
        if name.strip() != "chunk-signature" or not chunk_sig:
            raise AuthError("incomplete", "Invalid chunked upload: missing chunk-signature")
        data = body[eol + 2:eol + 2 + size]
        if len(data) != size:
            raise AuthError("signature", SIGNATURE_MISMATCH)
        text = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", parts.amz_date, parts.scope, previous, EMPTY_SHA256,
                          hashlib.sha256(data).hexdigest()])
        expected = _sign(key, text)
        if not hmac.compare_digest(expected, chunk_sig.strip().lower()):
            raise AuthError("signature", SIGNATURE_MISMATCH)
        previous = expected
        out += data
        pos = eol + 2 + size + 2
        if size == 0:
            break
    return bytes(out)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
