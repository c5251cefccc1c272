"""S3's ``aws-chunked`` content encoding: one strict parser for verification and decoding.

SigV4 streaming uploads (``x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]``)
and the unsigned-payload-with-trailing-checksum form (``STREAMING-UNSIGNED-PAYLOAD-TRAILER``)
send the body as ``hex-size[;chunk-signature=SIG]\\r\\nDATA\\r\\n`` chunks, a zero-size chunk,
then the trailer: ``name:value\\r\\n`` lines (``x-amz-checksum-crc32:...``, and for a signed
trailer ``x-amz-trailer-signature:SIG``) and an empty line.

:func:`parse` reads that framing in one bounded pass. :func:`check_trailers` enforces S3's rule
for what a trailer may carry: only the checksum headers the request announced in its (signed)
``x-amz-trailer`` header -- so nothing unsigned (``x-amz-acl``, ``x-amz-tagging``,
``x-amz-copy-source``...) can ride in a trailer and change the request after it was authorised.
:mod:`podid.auth.sigv4` verifies the chunk and trailer signatures on the parse; :func:`strip`
(used by the data plane before the backend) turns the body into the plain payload and the
announced checksums into ordinary headers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

STREAMING_HASHES = frozenset({
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
    "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
})

#: The only headers S3 accepts in a trailer (``x-amz-trailer`` must name one of them).
CHECKSUM_TRAILERS = frozenset({
    "x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-crc64nvme", "x-amz-checksum-sha1",
    "x-amz-checksum-sha256",
})
TRAILER_SIGNATURE = "x-amz-trailer-signature"
MALFORMED_TRAILER = ("The request contained trailing data that was not well-formed or did not conform to our "
                     "published schema.")

#: Headers that describe the chunked encoding and must not reach the backend once it is removed.
_ENCODING_HEADERS = frozenset({"x-amz-decoded-content-length", "x-amz-trailer", "content-length"})
#: At most this many trailer lines are read (S3 allows one checksum; the signature is another).
_MAX_TRAILER_LINES = 8


class ChunkedError(ValueError):
    """The body does not follow the aws-chunked framing."""


class TrailerError(ValueError):
    """The trailer carries something S3 does not accept there (``MalformedTrailerError``)."""


@dataclass(frozen=True)
class Chunk:
    """One chunk: its ``chunk-signature`` extension (None when unsigned) and data span."""

    signature: str | None
    start: int
    end: int


@dataclass
class ChunkedBody:
    """A parsed aws-chunked body."""

    body: bytes
    chunks: list[Chunk] = field(default_factory=list)
    trailers: list[tuple[str, str]] = field(default_factory=list)
    trailer_signature: str | None = None

    def data(self, chunk: Chunk) -> bytes:
        return self.body[chunk.start:chunk.end]

    @property
    def payload(self) -> bytes:
        return b"".join(self.data(c) for c in self.chunks)

    def canonical_trailer(self) -> str:
        """The trailer as its signature covers it: ``name:value\\n`` per header, in order."""
        return "".join(f"{name}:{value}\n" for name, value in self.trailers)


def _header(headers: Sequence[tuple[str, str]], name: str) -> str:
    low = name.lower()
    return next((v for k, v in headers if k.lower() == low), "")


def is_aws_chunked(headers: Sequence[tuple[str, str]]) -> bool:
    """Whether the request body uses the aws-chunked encoding."""
    encodings = [e.strip().lower() for e in _header(headers, "content-encoding").split(",") if e.strip()]
    return "aws-chunked" in encodings or _header(headers, "x-amz-content-sha256") in STREAMING_HASHES


def parse(body: bytes) -> ChunkedBody:
    """The chunks and trailer of an aws-chunked ``body``; raises ChunkedError / TrailerError."""
    parsed = ChunkedBody(body)
    pos, end = 0, len(body)
    while True:
        eol = body.find(b"\r\n", pos)
        if eol < 0:
            raise ChunkedError("missing chunk header terminator")
        size_hex, _, ext = body[pos:eol].partition(b";")
        size_text = size_hex.strip()
        if not size_text or any(c not in b"0123456789abcdefABCDEF" for c in size_text):
            raise ChunkedError(f"bad chunk size {size_text[:32]!r}")
        size = int(size_text, 16)
        signature: str | None = None
        if ext:
            name, sep, value = ext.decode("latin-1").partition("=")
            if name.strip() != "chunk-signature" or not sep:
                raise ChunkedError("unknown chunk extension")
            signature = value.strip()
        start = eol + 2
        if start + size > end:
            raise ChunkedError("chunk longer than the body")
        parsed.chunks.append(Chunk(signature, start, start + size))
        if size == 0:
            pos = start
            break
        if body[start + size:start + size + 2] != b"\r\n":
            raise ChunkedError("chunk data not followed by CRLF")
        pos = start + size + 2
    _parse_trailer(parsed, body[pos:])
    return parsed


def _parse_trailer(parsed: ChunkedBody, rest: bytes) -> None:
    if rest in (b"", b"\r\n"):
        return
    lines = rest.split(b"\r\n")
    if len(lines) > _MAX_TRAILER_LINES + 2 or lines[-1] != b"" or (len(lines) > 1 and lines[-2] != b""):
        raise TrailerError(MALFORMED_TRAILER)
    for line in lines[:-2]:
        try:
            text = line.decode("ascii")
        except UnicodeDecodeError:
            raise TrailerError(MALFORMED_TRAILER) from None
        name, sep, value = text.partition(":")
        name = name.strip().lower()
        if not sep or not name or parsed.trailer_signature is not None:
            raise TrailerError(MALFORMED_TRAILER)
        if name == TRAILER_SIGNATURE:
            parsed.trailer_signature = value.strip()
        else:
            parsed.trailers.append((name, value.strip()))


def announced_trailers(headers: Sequence[tuple[str, str]]) -> list[str]:
    """The names in ``x-amz-trailer``; raises TrailerError for a name S3 does not accept there."""
    names = [n.strip().lower() for n in _header(headers, "x-amz-trailer").split(",") if n.strip()]
    for name in names:
        if name not in CHECKSUM_TRAILERS:
            raise TrailerError(f"The value specified in the x-amz-trailer header is not supported: {name}")
    return names


def check_trailers(headers: Sequence[tuple[str, str]], parsed: ChunkedBody) -> None:
    """Only announced checksum headers, each at most once, may appear in the trailer."""
    announced = announced_trailers(headers)
    seen = [name for name, _ in parsed.trailers]
    if len(set(seen)) != len(seen) or any(name not in announced for name in seen):
        raise TrailerError(MALFORMED_TRAILER)


def decode(body: bytes) -> tuple[bytes, list[tuple[str, str]]]:
    """(payload, trailer headers) of an aws-chunked ``body`` (the trailer signature dropped)."""
    parsed = parse(body)
    return parsed.payload, parsed.trailers


def strip(headers: Sequence[tuple[str, str]], body: bytes) -> tuple[list[tuple[str, str]], bytes]:
    """Headers and body with the aws-chunked encoding removed (unchanged if not chunked); the
    trailer's announced checksums become headers, anything else in it is refused (TrailerError)."""
    if not is_aws_chunked(headers):
        return list(headers), body
    parsed = parse(body)
    check_trailers(headers, parsed)
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
    out += parsed.trailers
    return out, parsed.payload
