"""EKS Auth errors: codes and statuses of botocore's ``eks-auth`` model (wire facts §3).

Note ``AccessDeniedException`` is **400** in this service, not 403.
"""

from __future__ import annotations

from podid.gateway.errors import ServiceError


def invalid_token(message: str) -> ServiceError:
    return ServiceError("InvalidTokenException", message, 400)


def expired_token(message: str) -> ServiceError:
    return ServiceError("ExpiredTokenException", message, 400)


def access_denied(message: str) -> ServiceError:
    return ServiceError("AccessDeniedException", message, 400)


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, 404)


def invalid_parameter(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message, 400)


def invalid_request(message: str) -> ServiceError:
    return ServiceError("InvalidRequestException", message, 400)


def throttled() -> ServiceError:
    return ServiceError("ThrottlingException", "Rate exceeded", 429)
