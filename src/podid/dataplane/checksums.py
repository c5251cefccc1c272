"""S3's flexible checksums: an ``x-amz-checksum-<algorithm>`` header (or an announced aws-chunked
trailer, turned into a header by :mod:`podid.auth.chunked`) must match the payload, or S3 answers
``BadDigest`` and stores nothing. moto does not check them, so podid does, before the backend.

CRC32, SHA-1 and SHA-256 come from the standard library; CRC32C and CRC64NVME from ``awscrt``
(AWS's Common Runtime, the library botocore itself uses for them).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from collections.abc import Callable, Sequence

from awscrt import checksums as crt

from podid.errors import ServiceError

_ALGORITHMS: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    "x-amz-checksum-crc32": ("CRC32", lambda b: zlib.crc32(b).to_bytes(4, "big")),
    "x-amz-checksum-crc32c": ("CRC32C", lambda b: crt.crc32c(b).to_bytes(4, "big")),
    "x-amz-checksum-crc64nvme": ("CRC64NVME", lambda b: crt.crc64nvme(b).to_bytes(8, "big")),
    "x-amz-checksum-sha1": ("SHA1", lambda b: hashlib.sha1(b).digest()),
    "x-amz-checksum-sha256": ("SHA256", lambda b: hashlib.sha256(b).digest()),
}

#: Operations whose x-amz-checksum-* headers describe something other than the request body.
_NOT_BODY = frozenset({"CompleteMultipartUpload", "CreateMultipartUpload"})


def verify(operation: str, headers: Sequence[tuple[str, str]], body: bytes) -> None:
    """Refuse (ServiceError, as S3 does) a checksum header that is malformed, repeated or wrong."""
    if operation in _NOT_BODY:
        return
    given = [(k.lower(), v.strip()) for k, v in headers if k.lower() in _ALGORITHMS]
    if not given:
        return
    if len(given) > 1:
        raise ServiceError("InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum "
                           "Types are not allowed.", 400)
    name, value = given[0]
    label, compute = _ALGORITHMS[name]
    expected = compute(body)
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if len(decoded) != len(expected):
        raise ServiceError("InvalidRequest", f"Value for {name} header is invalid.", 400)
    if decoded != expected:
        raise ServiceError("BadDigest", f"The {label} you specified did not match the calculated checksum.",
                           400)
