"""Authentication failures, and how each service spells them on the wire.

:mod:`podid.auth` raises :class:`AuthError` with a protocol-neutral ``kind``; the gateway turns it
into the :class:`~podid.errors.ServiceError` the called service would send
(:func:`to_service_error`): STS/IAM (query) say ``SignatureDoesNotMatch``/403, JSON services say
``InvalidSignatureException``/400, S3 says ``SignatureDoesNotMatch``/``RequestTimeTooSkewed``...
"""

from __future__ import annotations

from typing import Literal

from podid.errors import ServiceError

AuthErrorKind = Literal[
    "missing",          # no Authorization header / X-Amz-Credential at all
    "incomplete",       # malformed or partial SigV4 parameters
    "query_params",     # malformed presigned-URL parameters (S3: AuthorizationQueryParametersError)
    "scope",            # credential scope inconsistent (date, region, terminator)
    "unknown_key",      # access key id not known, or inactive
    "invalid_token",    # X-Amz-Security-Token tampered, missing, from an unknown master key, wrong binding
    "expired_token",    # temporary credentials past their expiry
    "signature",        # signature (or signed body hash) does not match
    "skew",             # X-Amz-Date more than 15 minutes away from now
    "presign_expired",  # presigned URL past X-Amz-Expires
    "content_sha",      # x-amz-content-sha256 does not match the body (S3)
    "unsigned_headers",  # an x-amz-* header was sent but not signed
    "trailer",          # an aws-chunked trailer carries what was not announced, or is malformed (S3)
    "incomplete_body",  # an aws-chunked body does not follow the framing (S3)
]


class AuthError(Exception):
    """An authentication failure of one ``kind`` with AWS's message text."""

    def __init__(self, kind: AuthErrorKind, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind: AuthErrorKind = kind
        self.message = message


_INVALID_TOKEN = "The security token included in the request is invalid."
_EXPIRED_TOKEN = "The security token included in the request is expired"

# kind -> (code, status, message override or None) per protocol family
_QUERY: dict[str, tuple[str, int, str | None]] = {
    "missing": ("MissingAuthenticationToken", 403, "Request is missing Authentication Token"),
    "incomplete": ("IncompleteSignature", 400, None),
    "query_params": ("IncompleteSignature", 400, None),
    "scope": ("SignatureDoesNotMatch", 403, None),
    "unknown_key": ("InvalidClientTokenId", 403, _INVALID_TOKEN),
    "invalid_token": ("InvalidClientTokenId", 403, _INVALID_TOKEN),
    "expired_token": ("ExpiredToken", 403, _EXPIRED_TOKEN),
    "signature": ("SignatureDoesNotMatch", 403, None),
    "skew": ("SignatureDoesNotMatch", 403, None),
    "presign_expired": ("AccessDenied", 403, "Request has expired"),
    "content_sha": ("SignatureDoesNotMatch", 403, None),
    "unsigned_headers": ("SignatureDoesNotMatch", 403, None),
    "trailer": ("IncompleteSignature", 400, None),
    "incomplete_body": ("IncompleteSignature", 400, None),
}
_JSON: dict[str, tuple[str, int, str | None]] = {
    "missing": ("MissingAuthenticationTokenException", 400, "Missing Authentication Token"),
    "incomplete": ("IncompleteSignatureException", 400, None),
    "query_params": ("IncompleteSignatureException", 400, None),
    "scope": ("InvalidSignatureException", 400, None),
    "unknown_key": ("UnrecognizedClientException", 400, _INVALID_TOKEN),
    "invalid_token": ("UnrecognizedClientException", 400, _INVALID_TOKEN),
    "expired_token": ("ExpiredTokenException", 400, _EXPIRED_TOKEN),
    "signature": ("InvalidSignatureException", 400, None),
    "skew": ("InvalidSignatureException", 400, None),
    "presign_expired": ("AccessDeniedException", 403, "Request has expired"),
    "content_sha": ("InvalidSignatureException", 400, None),
    "unsigned_headers": ("InvalidSignatureException", 400, None),
    "trailer": ("IncompleteSignatureException", 400, None),
    "incomplete_body": ("IncompleteSignatureException", 400, None),
}
_REST_JSON = {
    **_JSON,
    "missing": ("MissingAuthenticationTokenException", 403, "Missing Authentication Token"),
    "unknown_key": ("UnrecognizedClientException", 403, _INVALID_TOKEN),
    "invalid_token": ("UnrecognizedClientException", 403, _INVALID_TOKEN),
    "expired_token": ("ExpiredTokenException", 403, _EXPIRED_TOKEN),
    "signature": ("InvalidSignatureException", 403, None),
    "skew": ("InvalidSignatureException", 403, None),
    "unsigned_headers": ("InvalidSignatureException", 403, None),
}
_S3: dict[str, tuple[str, int, str | None]] = {
    "missing": ("AccessDenied", 403, "Access Denied"),
    "incomplete": ("AuthorizationHeaderMalformed", 400, None),
    "query_params": ("AuthorizationQueryParametersError", 400, None),
    "scope": ("AuthorizationHeaderMalformed", 400, None),
    "unknown_key": ("InvalidAccessKeyId", 403,
                    "The AWS Access Key Id you provided does not exist in our records."),
    "invalid_token": ("InvalidToken", 400, "The provided token is malformed or otherwise invalid."),
    "expired_token": ("ExpiredToken", 400, "The provided token has expired."),
    "signature": ("SignatureDoesNotMatch", 403, None),
    "skew": ("RequestTimeTooSkewed", 403,
             "The difference between the request time and the current time is too large."),
    "presign_expired": ("AccessDenied", 403, "Request has expired"),
    "content_sha": ("XAmzContentSHA256Mismatch", 400,
                    "The provided 'x-amz-content-sha256' header does not match what was computed."),
    "unsigned_headers": ("AccessDenied", 403, None),
    "trailer": ("MalformedTrailerError", 400, None),
    "incomplete_body": ("IncompleteBody", 400, None),
}
_EC2 = {**_QUERY, "skew": ("RequestExpired", 400, None), "presign_expired": ("RequestExpired", 400, None)}

_BY_PROTOCOL = {"query": _QUERY, "ec2": _EC2, "json": _JSON, "smithy-rpc-v2-cbor": _JSON,
                "rest-json": _REST_JSON, "rest-xml": _S3}

#: (service, kind) -> (code, status): per-service exceptions to the protocol table.
SERVICE_OVERRIDES: dict[tuple[str, str], tuple[str, int]] = {}


def to_service_error(error: AuthError, service: str, protocol: str) -> ServiceError:
    """The ServiceError ``service`` (speaking ``protocol``) sends for ``error``."""
    table = _BY_PROTOCOL.get(protocol, _QUERY)
    code, status, fixed = table[error.kind]
    if (service, error.kind) in SERVICE_OVERRIDES:
        code, status = SERVICE_OVERRIDES[(service, error.kind)]
    return ServiceError(code, fixed or error.message, status)
