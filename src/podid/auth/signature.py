"""Which signature a request carries -- SigV4 (every service) or SigV2 (S3 only) -- and its parts.

:func:`extract` needs no secret; :class:`podid.auth.authenticate.Authenticator` verifies the parts
with the caller's secret through :func:`verify`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from podid.auth import sigv2, sigv4
from podid.auth.errors import AuthError
from podid.protocol.wire import WireRequest

Signed = sigv4.SigV4Parts | sigv2.SigV2Parts


def extract(request: WireRequest) -> Signed | None:
    """The signature parameters of ``request``; None if it is not signed at all. Raises AuthError."""
    if sigv2.is_sigv2(request):
        sigv4.check_single(request)
        parts = sigv2.extract(request)
        sigv4.check_token_text(parts.security_token)
        return parts
    return sigv4.extract(request)


def verify(request: WireRequest, parts: Signed, secret: str, *, s3: bool, global_region: str | None = None,
           now: Callable[[], dt.datetime] | None = None) -> None:
    """Verify ``parts`` of ``request`` with ``secret``; SigV2 only for S3. Raises AuthError."""
    if isinstance(parts, sigv2.SigV2Parts):
        if not s3:
            raise AuthError("incomplete",
                            "Unsupported AWS 'algorithm': 'AWS' (Signature Version 2 is S3 only)")
        sigv2.verify(request, parts, secret, now=now)
        return
    sigv4.verify(request, parts, secret, s3=s3, global_region=global_region, now=now)
