"""Build S3 ``aws-chunked`` uploads as a client would, from AWS's published spec (not podid's code).

Three forms (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html and
sigv4-streaming-trailers.html): signed chunks (``STREAMING-AWS4-HMAC-SHA256-PAYLOAD``), signed
chunks with a signed trailer (``...-PAYLOAD-TRAILER``) and unsigned chunks with a trailer
(``STREAMING-UNSIGNED-PAYLOAD-TRAILER``). Trailers and headers are free-form so tests can smuggle
what an attacker would.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

import httpx

SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
_EMPTY = hashlib.sha256(b"").hexdigest()


def crc32(payload: bytes) -> str:
    """The ``x-amz-checksum-crc32`` value of ``payload`` (base64 of the big-endian CRC)."""
    return base64.b64encode(zlib.crc32(payload).to_bytes(4, "big")).decode()


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


@dataclass
class Upload:
    """What to send: the signed headers and the encoded body."""

    headers: dict[str, str]
    body: bytes


def build(host: str, path: str, payload: bytes, akid: str, secret: str, *, mode: str = SIGNED,
          trailers: Sequence[tuple[str, str]] = (), announce: str | None = None,
          signed_headers: dict[str, str] | None = None, token: str | None = None,
          region: str = "us-east-1", chunk: int = 8192, trailer_signature: str | None = None,
          when: dt.datetime | None = None) -> Upload:
    """An aws-chunked PUT of ``payload`` to ``path``.

    ``trailers``: the trailer lines (name, value); ``announce``: the ``x-amz-trailer`` header
    (defaults to the trailer names); ``signed_headers``: extra headers, all signed;
    ``trailer_signature``: force this value instead of the correct trailer signature."""
    now = when or dt.datetime.now(dt.UTC)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    scope = f"{day}/{region}/s3/aws4_request"
    key = _hmac(_hmac(_hmac(_hmac(("AWS4" + secret).encode(), day), region), "s3"), "aws4_request")
    pieces = [payload[i:i + chunk] for i in range(0, len(payload), chunk)]
    headers = {
        "content-encoding": "aws-chunked",
        "host": host,
        "x-amz-content-sha256": mode,
        "x-amz-date": amz_date,
        "x-amz-decoded-content-length": str(len(payload)),
    }
    if trailers or announce is not None:
        headers["x-amz-trailer"] = announce if announce is not None else ",".join(n for n, _ in trailers)
    if token:
        headers["x-amz-security-token"] = token
    headers.update({k.lower(): v for k, v in (signed_headers or {}).items()})
    names = sorted(headers)
    canonical = "\n".join(["PUT", quote(path, safe="/~"), "",
                           "".join(f"{n}:{headers[n]}\n" for n in names), ";".join(names), mode])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    seed = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    body, previous = bytearray(), seed
    for piece in [*pieces, b""]:
        if mode == UNSIGNED_TRAILER:
            body += f"{len(piece):x}\r\n".encode() + piece
        else:
            text = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous, _EMPTY,
                              hashlib.sha256(piece).hexdigest()])
            previous = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
            body += f"{len(piece):x};chunk-signature={previous}\r\n".encode() + piece
        if piece or mode == SIGNED:
            body += b"\r\n"
    if mode != SIGNED:
        canonical_trailer = "".join(f"{n}:{v}\n" for n, v in trailers)
        body += "".join(f"{n}:{v}\r\n" for n, v in trailers).encode()
        if mode == SIGNED_TRAILER:
            text = "\n".join(["AWS4-HMAC-SHA256-TRAILER", amz_date, scope, previous,
                              hashlib.sha256(canonical_trailer.encode()).hexdigest()])
            sig = trailer_signature or hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
            body += f"x-amz-trailer-signature:{sig}\r\n".encode()
        body += b"\r\n"
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={akid}/{scope}, "
                                f"SignedHeaders={';'.join(names)}, Signature={seed}")
    return Upload(headers, bytes(body))


def put(base_url: str, path: str, upload: Upload, extra: dict[str, str] | None = None) -> httpx.Response:
    """Send ``upload`` (plus ``extra`` unsigned headers) as a PUT to ``base_url + path``."""
    headers = dict(upload.headers, **(extra or {}))
    with httpx.Client(timeout=30, trust_env=False) as client:
        return client.put(base_url + quote(path, safe="/~"), headers=headers, content=upload.body)
