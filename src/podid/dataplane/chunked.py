"""Strip S3's ``aws-chunked`` content encoding before a request reaches the backend.

SigV4 streaming uploads (``x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]``)
and the unsigned-payload-with-trailing-checksum form (``STREAMING-UNSIGNED-PAYLOAD-TRAILER``)
send the body as ``hex-size[;chunk-signature=SIG]\\r\\nDATA\\r\\n`` chunks, a zero-size chunk,
then optional trailer headers (``x-amz-checksum-crc32:...``). The gateway has already verified
the chunk signatures (``podid.auth.sigv4.verify_chunks``); this module only decodes, so the
backend stores the payload, and turns trailers into ordinary headers. One bounded pass.
"""

from __future__ import annotations

from collections.abc import Sequence

STREAMING_HASHES = frozenset({
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
    "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
})

#: Headers that describe the chunked encoding and must not reach the backend once it is removed.
_ENCODING_HEADERS = frozenset({"x-amz-decoded-content-length", "x-amz-trailer", "content-length"})


class ChunkedError(ValueError):
    """The body does not follow the aws-chunked framing."""


def _header(headers: Sequence[tuple[str, str]], name: str) -> str:
    low = name.lower()
    return next((v for k, v in headers if k.lower() == low), "")


def is_aws_chunked(headers: Sequence[tuple[str, str]]) -> bool:
    """Whether the request body uses the aws-chunked encoding."""
    encodings = [e.strip().lower() for e in _header(headers, "content-encoding").split(",") if e.strip()]
    return "aws-chunked" in encodings or _header(headers, "x-amz-content-sha256") in STREAMING_HASHES


def decode(body: bytes) -> tuple[bytes, list[tuple[str, str]]]:
    """(payload, trailer headers) of an aws-chunked ``body``."""
    out = bytearray()
    pos = 0
    end = len(body)
    while pos < end:
        eol = body.find(b"\r\n", pos)
        if eol < 0:
            raise ChunkedError("missing chunk header terminator")
        size_hex = body[pos:eol].split(b";", 1)[0].strip()
        try:
            size = int(size_hex, 16)
        except ValueError as exc:
            raise ChunkedError(f"bad chunk size {size_hex!r}") from exc
        start = eol + 2
        if size == 0:
            pos = start
            break
        if start + size > end:
            raise ChunkedError("chunk longer than the body")
        out += body[start:start + size]
        pos = start + size
        if body[pos:pos + 2] == b"\r\n":
            pos += 2
    trailers: list[tuple[str, str]] = []
    for line in body[pos:].split(b"\r\n"):
        name, sep, value = line.decode("latin-1").partition(":")
        if sep and name.strip() and name.strip().lower() != "x-amz-trailer-signature":
            trailers.append((name.strip(), value.strip()))
    return bytes(out), trailers


def strip(headers: Sequence[tuple[str, str]], body: bytes) -> tuple[list[tuple[str, str]], bytes]:
    """Headers and body with the aws-chunked encoding removed (unchanged if not chunked)."""
    if not is_aws_chunked(headers):
        return list(headers), body
    payload, trailers = decode(body)
    out: list[tuple[str, str]] = []
    for key, value in headers:
        low = key.lower()
        if low in _ENCODING_HEADERS:
            continue
        if low == "content-encoding":
            rest = [e.strip() for e in value.split(",") if e.strip() and e.strip().lower() != "aws-chunked"]
            if rest:
                out.append((key, ", ".join(rest)))
            continue
        if low == "x-amz-content-sha256":
            out.append((key, "UNSIGNED-PAYLOAD"))
            continue
        out.append((key, value))
    out += trailers
    return out, payload
