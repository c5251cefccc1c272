"""AWS Signature Version 4 verification (server side): header auth and presigned URLs.

:func:`extract` reads the SigV4 parameters of a request (``Authorization: AWS4-HMAC-SHA256
Credential=..., SignedHeaders=..., Signature=...`` or the ``X-Amz-*`` query parameters of a
presigned URL) without needing any secret; :func:`verify` then checks the signature against a
secret, the 15-minute clock skew, the credential scope, presigned expiry and the payload hash
(only S3 accepts ``UNSIGNED-PAYLOAD`` and the ``aws-chunked`` streaming forms, whose chunk and
trailer signatures are verified too; every other service signs ``sha256(body)``), and that every
``x-amz-*`` header sent was signed. The canonical request is built exactly as AWS does: S3 paths
are used as sent (decoded and re-encoded once), other services' paths are normalised and encoded
again. Signatures are compared in constant time, as bytes. Nothing here logs.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote, unquote_to_bytes

from podid.auth import chunked
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
UNSIGNED_HEADERS = "There were headers present in the request which were not signed"
#: Query parameters of a presigned URL that may appear only once.
_QUERY_AUTH_PARAMS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date",
                      "X-Amz-SignedHeaders", "X-Amz-Expires", "X-Amz-Security-Token")
#: Headers that may appear only once in a signed request.
_SINGLE_HEADERS = ("authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256")


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
            if key.strip() in fields:
                raise AuthError("incomplete",
                                f"Authorization header has the '{key.strip()}' parameter twice.")
            fields[key.strip()] = val.strip()
    return fields


def check_single(request: WireRequest) -> None:
    """Refuse a request that repeats an authentication header or presigned-URL parameter (an
    ambiguous request: the signer and podid could read different values) or mixes both forms."""
    for name in _SINGLE_HEADERS:
        if len(request.header_values(name)) > 1:
            raise AuthError("incomplete", f"The '{name}' header must appear only once.")
    if "X-Amz-" not in request.query:
        return
    from urllib.parse import parse_qsl

    names = [k for k, _ in parse_qsl(request.query, keep_blank_values=True)]
    for name in _QUERY_AUTH_PARAMS:
        if names.count(name) > 1:
            raise AuthError("query_params", f"The '{name}' query-string parameter must appear only once.")
    if request.header("authorization") is not None and any(
            n in names for n in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature")):
        raise AuthError("incomplete", "Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                        "parameter, Signature query string parameter or the Authorization header should be "
                        "specified")


def check_token_text(token: str | None) -> None:
    """A session token is taken exactly as issued: no surrounding whitespace, never empty."""
    if token is not None and (not token or token != token.strip()):
        raise AuthError("invalid_token", "The security token included in the request is invalid.")


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
    check_single(request)
    auth = request.header("authorization")
    query = request.query_params() if "X-Amz-" in request.query else {}
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
    check_token_text(token)
    return SigV4Parts(
        access_key_id=akid, scope_date=date, region=region, service=service, terminator=terminator,
        signed_headers=tuple(h.strip().lower() for h in signed.split(";") if h.strip()),
        signature=signature.strip(), amz_date=amz_date, presigned=presigned, expires=expires,
        security_token=token,
    )


@functools.lru_cache(maxsize=1024)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The SigV4 derived signing key for one scope."""
    key = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _wire_bytes(text: str) -> bytes:
    """The bytes of a request-line string (the server decodes them as latin-1)."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def canonical_uri(raw_path: str, *, s3: bool) -> str:
    """Canonical URI: S3 encodes the path once; other services normalise and encode it again."""
    path = raw_path or "/"
    if s3:
        return quote(unquote_to_bytes(_wire_bytes(path)), safe="/~")
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
    return quote(_wire_bytes(normalized), safe="/~")


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


def same(expected: str, given: str) -> bool:
    """Constant-time comparison of a computed signature with the one sent (any text, as bytes)."""
    return hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8", "replace"))


def check_signed_headers(request: WireRequest, signed: tuple[str, ...]) -> None:
    """Every ``x-amz-*`` header sent must be signed: an unsigned one could change the operation."""
    unsigned = sorted({k.lower() for k, _ in request.headers
                       if k.lower().startswith("x-amz-") and k.lower() not in signed})
    if unsigned:
        raise AuthError("unsigned_headers", UNSIGNED_HEADERS)


def payload_hashes(request: WireRequest, parts: SigV4Parts, *, s3: bool) -> list[str]:
    """The payload hashes the canonical request may carry. S3 takes the declared
    ``x-amz-content-sha256`` (``UNSIGNED-PAYLOAD`` for a presigned URL without one); every other
    service signs ``sha256(body)``, and a presigned URL ``UNSIGNED-PAYLOAD`` only with no body."""
    declared = request.header("x-amz-content-sha256")
    if s3:
        if parts.presigned:
            return [declared or UNSIGNED_PAYLOAD]
        return [declared or hashlib.sha256(request.body).hexdigest()]
    actual = hashlib.sha256(request.body).hexdigest()
    return [UNSIGNED_PAYLOAD, actual] if parts.presigned and not request.body else [actual]


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
    check_signed_headers(request, parts.signed_headers)
    if not _HEX64.match(parts.signature):
        raise AuthError("signature", SIGNATURE_MISMATCH)
    key = signing_key(secret, parts.scope_date, parts.region, parts.service)
    ok = False
    for payload_hash in payload_hashes(request, parts, s3=s3):
        expected = _sign(key, string_to_sign(parts, canonical_request(request, parts, payload_hash, s3=s3)))
        ok = same(expected, parts.signature) or ok
    if not ok:
        raise AuthError("signature", SIGNATURE_MISMATCH)
    if s3:
        verify_s3_body(request, key, parts)


def verify_s3_body(request: WireRequest, key: bytes, parts: SigV4Parts) -> None:
    """The body matches what was signed: its declared SHA-256, or every chunk and trailer signature
    of an ``aws-chunked`` upload, whose trailer may only carry the announced checksums."""
    declared = request.header("x-amz-content-sha256") or ""
    if chunked.is_aws_chunked(request.headers):
        if declared in (STREAMING_PAYLOAD, STREAMING_PAYLOAD_TRAILER):
            payload = verify_chunks(request.body, key, parts, trailer=declared == STREAMING_PAYLOAD_TRAILER,
                                    headers=request.headers)
        else:
            try:
                body = chunked.parse(request.body)
                chunked.check_trailers(request.headers, body)
            except chunked.ChunkedError as exc:
                raise AuthError("incomplete_body", f"Invalid chunked upload: {exc}") from exc
            except chunked.TrailerError as exc:
                raise AuthError("trailer", str(exc)) from exc
            if body.trailer_signature is not None or any(c.signature is not None for c in body.chunks):
                raise AuthError("trailer" if body.trailer_signature is not None else "incomplete_body",
                                chunked.MALFORMED_TRAILER)
            payload = body.payload
        decoded = request.header("x-amz-decoded-content-length")
        if decoded is not None and decoded.strip() != str(len(payload)):
            raise AuthError("incomplete_body", "You did not provide the number of bytes specified by the "
                            "Content-Length HTTP header.")
    if declared in (UNSIGNED_PAYLOAD, STREAMING_UNSIGNED_TRAILER, STREAMING_PAYLOAD,
                    STREAMING_PAYLOAD_TRAILER):
        return
    if _HEX64.match(declared):
        if not same(hashlib.sha256(request.body).hexdigest(), declared):
            raise AuthError("content_sha", SIGNATURE_MISMATCH)
    elif declared:
        raise AuthError("content_sha", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.")


def verify_chunks(body: bytes, key: bytes, parts: SigV4Parts, *, trailer: bool = False,
                  headers: list[tuple[str, str]] | None = None) -> bytes:
    """Verify every chunk signature of an ``aws-chunked`` body; returns the decoded payload.

    Each chunk is ``hex-size;chunk-signature=SIG\\r\\nDATA\\r\\n``; chunk ``i`` is signed over
    the previous signature (the seed, for the first) and the SHA-256 of its data, up to the
    zero-length chunk. With ``trailer`` (``...-PAYLOAD-TRAILER``) the trailer must carry only the
    checksums announced in ``x-amz-trailer`` and an ``x-amz-trailer-signature`` over them, chained
    to the last chunk's signature; without, no trailer is allowed.
    """
    try:
        parsed = chunked.parse(body)
        if trailer:
            chunked.check_trailers(headers or [], parsed)
    except chunked.ChunkedError as exc:
        raise AuthError("incomplete_body", f"Invalid chunked upload: {exc}") from exc
    except chunked.TrailerError as exc:
        raise AuthError("trailer", str(exc)) from exc
    previous = parts.signature
    for chunk in parsed.chunks:
        if not chunk.signature:
            raise AuthError("incomplete_body", "Invalid chunked upload: missing chunk-signature")
        text = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", parts.amz_date, parts.scope, previous, EMPTY_SHA256,
                          hashlib.sha256(parsed.data(chunk)).hexdigest()])
        expected = _sign(key, text)
        if not same(expected, chunk.signature):
            raise AuthError("signature", SIGNATURE_MISMATCH)
        previous = expected
    if not trailer:
        if parsed.trailers or parsed.trailer_signature is not None:
            raise AuthError("trailer", chunked.MALFORMED_TRAILER)
    else:
        if parsed.trailer_signature is None:
            raise AuthError("trailer", chunked.MALFORMED_TRAILER)
        text = "\n".join(["AWS4-HMAC-SHA256-TRAILER", parts.amz_date, parts.scope, previous,
                          hashlib.sha256(parsed.canonical_trailer().encode()).hexdigest()])
        if not same(_sign(key, text), parsed.trailer_signature):
            raise AuthError("signature", SIGNATURE_MISMATCH)
    return parsed.payload


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
