"""Credentials for a pod from STS, obtained with the broker's own credentials (boto3).

One ``AssumeRole`` of the association's role, session name ``eks-<cluster>-<pod>-<uuid>``, the six
EKS session tags (all transitive, unless the association disables session tags) and the
association's ``policy`` as session policy; with a ``targetRoleArn``, that session assumes the
target role (``ExternalId`` = the association's ``externalId``; the transitive tags carry over by
STS's own rule), as EKS Auth does for cross-account access.

On AWS a role trusting only ``pods.eks.amazonaws.com`` cannot be assumed by the broker (no normal
principal can act as that service): the roles must trust the broker's principal for
``sts:AssumeRole`` and ``sts:TagSession`` (docs/decisions.md). STS's refusal comes back as EKS
Auth's AccessDeniedException (400) with STS's message.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from podid.broker.associations import Association
from podid.eksauth import errors as eks_errors
from podid.errors import ServiceError

log = logging.getLogger("podid.broker")

#: STS error code -> EKS Auth error factory (the rest: InvalidParameterException)
_CODES = {
    "AccessDenied": eks_errors.access_denied,
    "PackedPolicyTooLarge": eks_errors.invalid_request,
    "RegionDisabledException": eks_errors.invalid_request,
    "ExpiredToken": eks_errors.service_unavailable,      # the broker's own credentials
    "InvalidClientTokenId": eks_errors.service_unavailable,
    "SignatureDoesNotMatch": eks_errors.service_unavailable,
}


@dataclass(frozen=True)
class IssuedCredentials:
    """AssumeRole's answer, in the shape the EKS Auth response needs."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: Any
    assumed_role_arn: str
    assumed_role_id: str


def _error(exc: ClientError) -> ServiceError:
    err = exc.response.get("Error", {})
    code, message = str(err.get("Code", "")), str(err.get("Message", ""))
    if code in ("Throttling", "ThrottlingException"):
        return eks_errors.throttled()
    return _CODES.get(code, eks_errors.invalid_parameter)(message or code)


class StsCredentialSource:
    """AssumeRole (+ chaining) through an STS endpoint, signed with the broker's credentials."""

    def __init__(self, *, region: str, endpoint_url: str | None = None, verify: str | bool | None = None,
                 session: boto3.Session | None = None, session_seconds: int = 3600,
                 chained_session_seconds: int = 3600) -> None:
        self.region, self.endpoint_url, self.verify = region, endpoint_url, verify
        self.session = session or boto3.Session(region_name=region)
        self.session_seconds, self.chained_session_seconds = session_seconds, chained_session_seconds
        self._config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5,
                              read_timeout=10)
        self.sts = self._client(self.session)

    def _client(self, session: boto3.Session) -> Any:
        return session.client("sts", region_name=self.region, endpoint_url=self.endpoint_url,
                              verify=self.verify, config=self._config)

    def _assume(self, sts: Any, **kwargs: Any) -> IssuedCredentials:
        try:
            out = sts.assume_role(**kwargs)
        except ClientError as exc:
            raise _error(exc) from None
        except BotoCoreError as exc:
            log.warning("STS unreachable: %s", type(exc).__name__)
            raise eks_errors.service_unavailable("STS could not be reached") from None
        creds, user = out["Credentials"], out["AssumedRoleUser"]
        return IssuedCredentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"],
                                 creds["Expiration"], user["Arn"], user["AssumedRoleId"])

    def assume(self, association: Association, session_name: str,
               tags: Mapping[str, str]) -> IssuedCredentials:
        """The pod's credentials for ``association`` (both hops when it has a target role)."""
        first: dict[str, Any] = {"RoleArn": association.role_arn, "RoleSessionName": session_name,
                                 "DurationSeconds": self.session_seconds}
        if tags:
            first["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
            first["TransitiveTagKeys"] = list(tags)
        if association.policy and not association.target_role_arn:
            first["Policy"] = association.policy
        issued = self._assume(self.sts, **first)
        if not association.target_role_arn:
            return issued
        hop = boto3.Session(aws_access_key_id=issued.access_key_id,
                            aws_secret_access_key=issued.secret_access_key,
                            aws_session_token=issued.session_token, region_name=self.region)
        second: dict[str, Any] = {"RoleArn": association.target_role_arn, "RoleSessionName": session_name,
                                  "DurationSeconds": self.chained_session_seconds}
        if association.external_id:
            second["ExternalId"] = association.external_id
        if association.policy:
            second["Policy"] = association.policy
        return self._assume(self._client(hop), **second)
