"""EKS errors: codes, statuses and faults from botocore's ``eks`` model (wire facts §4)."""

from __future__ import annotations

from podid.errors import ServiceError
from podid.protocol.errors import ModelErrors

_EKS = ModelErrors("eks")

not_found = _EKS.factory("ResourceNotFoundException")          # 404
in_use = _EKS.factory("ResourceInUseException")                # 409
invalid_parameter = _EKS.factory("InvalidParameterException")  # 400
invalid_request = _EKS.factory("InvalidRequestException")      # 400


def no_cluster(name: str) -> ServiceError:
    """EKS's wording: ``No cluster found for name: NAME.``"""
    return not_found(f"No cluster found for name: {name}.")
