"""Agent errors and their mapping to HTTP (mirrors eks-pod-identity-agent `pkg/errors`).

Every error the credential handler can answer carries its own status. `error_response` turns any
exception into the `(text/plain body, status)` pair the real agent writes with `http.Error`.
"""

from __future__ import annotations

from dataclasses import dataclass


class AgentError(Exception):
    """An error with an HTTP status; `str(err)` is the exact response body (without newline)."""

    status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class RequestValidationError(AgentError):
    """400: empty token, unparsable token, failed basic claim validations."""

    status = 400


class AccessDeniedError(AgentError):
    """403: called through an address the agent does not serve."""

    status = 403

    def __str__(self) -> str:
        return f"Access Denied. {self.message}"


class ThrottledError(AgentError):
    """429: more than the allowed request rate. The real middleware answers exactly this body."""

    status = 429

    def __init__(self) -> None:
        super().__init__("Too Many Requests")


class CredentialsTooShortError(AgentError):
    """500: EKS Auth answered credentials that expire within the minimum TTL."""

    status = 500


@dataclass
class UpstreamError(Exception):
    """An error answered by EKS Auth (`AssumeRoleForPodIdentity`).

    `code` is the modeled error code (`InvalidTokenException`, ...), `status` the HTTP status EKS
    Auth answered (0 if unknown), `fault` is `client` or `server` (`unknown` when not modeled).
    """

    code: str
    message: str
    status: int = 0
    request_id: str = ""
    fault: str = "unknown"

    def __str__(self) -> str:
        return f"[{self.request_id}]: ({self.code}): {self.message}, fault: {self.fault}"


class UpstreamUnavailableError(Exception):
    """EKS Auth could not be reached or answered garbage (no modeled error): maps to 500."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"unable to fetch credentials from EKS Auth: {self.message}"


#: EKS Auth error codes after which cached credentials are evicted (`internal/cloud/eksauth/errors.go`).
IRRECOVERABLE_CODES = frozenset(
    {
        "ResourceNotFoundException",
        "ExpiredTokenException",
        "InvalidTokenException",
        "AccessDeniedException",
    }
)


def is_irrecoverable(exc: BaseException) -> bool:
    """True when `exc` means the pod's credentials are gone for good (evict them)."""
    return isinstance(exc, UpstreamError) and exc.code in IRRECOVERABLE_CODES


def error_response(exc: BaseException) -> tuple[str, int]:
    """`(body, status)` for a failed credential fetch, as `HandleCredentialFetchingError` does.

    Agent errors carry their status; EKS Auth errors answer its status (500 when unknown) and the
    body `[<reqId>]: (<Code>): <msg>, fault: <client|server>`; anything else is a 500 with a
    description of the failure.
    """
    if isinstance(exc, AgentError):
        return str(exc), exc.status
    if isinstance(exc, UpstreamError):
        return str(exc), exc.status or 500
    if isinstance(exc, UpstreamUnavailableError):
        return f"error getting credentials to cache: {exc}", 500
    return f"error getting credentials to cache: {type(exc).__name__}: {exc}", 500
