"""The agent's upstream: EKS Auth `AssumeRoleForPodIdentity` (mirrors `internal/cloud/eksauth`).

`Upstream` is the injectable seam: a *synchronous* callable `(cluster_name, token) -> PodCredentials`
that raises `UpstreamError` for modeled EKS Auth errors and `UpstreamUnavailableError` when EKS
Auth cannot be reached. The agent runs it in a bounded thread pool. `EksAuthUpstream` is the real
one: a boto3 `eks-auth` client signed with the node's credentials from the normal boto3 chain, so
the same code talks to podid's EKS Auth (`--endpoint` / `AWS_ENDPOINT_URL_EKS_AUTH`) or to AWS.
"""

from __future__ import annotations

import os
from typing import Any, Protocol

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from podid.agent.credentials import PodCredentials, account_from_arn
from podid.agent.errors import UpstreamError, UpstreamUnavailableError


class Upstream(Protocol):
    """Exchange a pod's service-account token for IAM credentials (blocking; thread-safe)."""

    def __call__(self, cluster_name: str, token: str) -> PodCredentials: ...


def _fault_table() -> dict[str, str]:
    """Error code -> `client`/`server`, from the eks-auth service model (smithy ErrorFault)."""
    model = botocore.session.get_session().get_service_model("eks-auth")
    table: dict[str, str] = {}
    for shape in model.error_shapes:
        error = shape.metadata.get("error", {})
        table[shape.name] = (
            "client" if error.get("senderFault") or error.get("httpStatusCode", 500) < 500 else "server"
        )
    return table


_FAULTS: dict[str, str] | None = None


def error_from_client_error(exc: ClientError) -> UpstreamError:
    """Map a botocore `ClientError` from EKS Auth to `UpstreamError` (code, message, status, reqId, fault)."""
    global _FAULTS
    if _FAULTS is None:
        _FAULTS = _fault_table()
    error: dict[str, Any] = exc.response.get("Error", {})
    meta: dict[str, Any] = exc.response.get("ResponseMetadata", {})
    code = str(error.get("Code") or "UnknownError")
    return UpstreamError(
        code=code,
        message=str(error.get("Message") or ""),
        status=int(meta.get("HTTPStatusCode") or 0),
        request_id=str(meta.get("RequestId") or ""),
        fault=_FAULTS.get(code, "unknown"),
    )


def credentials_from_response(resp: dict[str, Any]) -> PodCredentials:
    """Build `PodCredentials` from an `AssumeRoleForPodIdentity` output (AccountId from the role ARN)."""
    creds = resp.get("credentials")
    user = resp.get("assumedRoleUser")
    if not creds or not user:
        raise UpstreamUnavailableError("invalid response from server: credentials or assumed role empty")
    try:
        account = account_from_arn(str(user["arn"]))
    except (KeyError, ValueError) as exc:
        raise UpstreamUnavailableError(f"unable to parse arn from assumed role: {exc}") from None
    expiration = creds["expiration"]
    epoch = expiration.timestamp() if hasattr(expiration, "timestamp") else float(expiration)
    return PodCredentials(
        access_key_id=str(creds["accessKeyId"]),
        secret_access_key=str(creds["secretAccessKey"]),
        session_token=str(creds["sessionToken"]),
        expiration=epoch,
        account_id=account,
        association_id=str((resp.get("podIdentityAssociation") or {}).get("associationId", "")),
        role_arn=str(user["arn"]),
    )


class EksAuthUpstream:
    """Real EKS Auth client (boto3 `eks-auth`), SigV4-signed as the node role.

    `endpoint_url=None` lets botocore resolve the endpoint (honouring `AWS_ENDPOINT_URL_EKS_AUTH`,
    else `https://eks-auth.<region>.api.aws`). Region: `region`, else AWS_REGION, else the boto3 chain.
    """

    def __init__(
        self,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        session: boto3.Session | None = None,
        connect_timeout: float = 1.0,
        read_timeout: float = 5.0,
        max_attempts: int = 3,
        max_pool_connections: int = 16,
    ) -> None:
        self._session = session or boto3.Session()
        # The Go agent reads AWS_REGION; boto3 alone reads only AWS_DEFAULT_REGION / the profile.
        region = region or os.environ.get("AWS_REGION") or self._session.region_name
        if not region:
            raise ValueError("no AWS region: pass --region or set AWS_REGION")
        self.region = region
        config = Config(
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"mode": "standard", "max_attempts": max_attempts},
            max_pool_connections=max_pool_connections,
        )
        self._client = self._session.client(
            "eks-auth", region_name=region, endpoint_url=endpoint_url, config=config
        )

    @property
    def endpoint_url(self) -> str:
        """The resolved EKS Auth endpoint (for logs and status)."""
        return str(self._client.meta.endpoint_url)

    def __call__(self, cluster_name: str, token: str) -> PodCredentials:
        try:
            resp = self._client.assume_role_for_pod_identity(clusterName=cluster_name, token=token)
        except ClientError as exc:
            raise error_from_client_error(exc) from None
        except BotoCoreError as exc:
            raise UpstreamUnavailableError(str(exc)) from None
        return credentials_from_response(resp)
