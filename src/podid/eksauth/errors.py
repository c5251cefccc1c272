"""EKS Auth errors: codes, statuses and faults from botocore's ``eks-auth`` model (wire facts §3).

Note ``AccessDeniedException`` is **400** in this service, not 403 (the model says so).
"""

from __future__ import annotations

from podid.errors import ServiceError
from podid.protocol.errors import ModelErrors

_EKS_AUTH = ModelErrors("eks-auth")

invalid_token = _EKS_AUTH.factory("InvalidTokenException")
expired_token = _EKS_AUTH.factory("ExpiredTokenException")
access_denied = _EKS_AUTH.factory("AccessDeniedException")
not_found = _EKS_AUTH.factory("ResourceNotFoundException")
invalid_parameter = _EKS_AUTH.factory("InvalidParameterException")
invalid_request = _EKS_AUTH.factory("InvalidRequestException")


def throttled() -> ServiceError:
    return _EKS_AUTH.error("ThrottlingException", "Rate exceeded")
service_unavailable = _EKS_AUTH.factory("ServiceUnavailableException")
internal_server = _EKS_AUTH.factory("InternalServerException")
