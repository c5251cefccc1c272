"""EKS error constructors (codes and statuses from botocore's ``eks`` model, wire facts §4)."""

from __future__ import annotations

from podid.gateway.errors import ServiceError


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, 404)


def in_use(message: str) -> ServiceError:
    return ServiceError("ResourceInUseException", message, 409)


def invalid_parameter(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message, 400)


def invalid_request(message: str) -> ServiceError:
    return ServiceError("InvalidRequestException", message, 400)


def no_cluster(name: str) -> ServiceError:
    """EKS's wording: ``No cluster found for name: NAME.``"""
    return not_found(f"No cluster found for name: {name}.")
