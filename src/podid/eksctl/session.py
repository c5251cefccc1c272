"""AWS clients and the cluster's Kubernetes client, obtained as eksctl obtains them: boto3's usual
credential chain and endpoint configuration (``AWS_ENDPOINT_URL``, profiles), the Kubernetes
endpoint and CA from EKS ``DescribeCluster``, and a bearer token ``k8s-aws-v1.<presigned STS
GetCallerIdentity with x-k8s-aws-id>`` (aws-iam-authenticator's format, what ``aws eks get-token``
prints). Nothing here knows it talks to podid."""

from __future__ import annotations

import base64
import tempfile
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import ClientError
from kubernetes import client as k8s

from podid.eksctl.errors import EksctlError

TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_HEADER = "x-k8s-aws-id"


def eks_token(session: boto3.Session, cluster: str) -> str:
    sts = session.client("sts")

    def add_header(request: Any, **_: Any) -> None:
        request.headers[CLUSTER_HEADER] = cluster

    sts.meta.events.register("before-sign.sts.GetCallerIdentity", add_header)
    url = sts.generate_presigned_url("get_caller_identity", Params={}, ExpiresIn=60, HttpMethod="GET")
    return TOKEN_PREFIX + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


@dataclass
class Ctl:
    """One eksctl invocation's view of a cluster."""

    cluster: str
    region: str | None = None
    session: boto3.Session = field(init=False)
    _clients: dict[str, Any] = field(default_factory=dict, init=False)
    _core: Any = field(default=None, init=False)
    _description: dict[str, Any] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if not self.cluster:
            raise EksctlError("--cluster must be set")
        self.session = boto3.Session(region_name=self.region) if self.region else boto3.Session()

    def aws(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service)
        return self._clients[service]

    def describe(self) -> dict[str, Any]:
        if self._description is None:
            try:
                self._description = dict(self.aws("eks").describe_cluster(name=self.cluster)["cluster"])
            except ClientError as err:
                code = err.response.get("Error", {}).get("Code")
                if code == "ResourceNotFoundException":
                    region = self.session.region_name
                    raise EksctlError(f"cluster \"{self.cluster}\" does not exist in \"{region}\" region"
                                      " or is not owned by this account") from err
                raise EksctlError(f"unable to describe cluster control plane: {err}") from err
        return self._description

    @property
    def issuer(self) -> str:
        return str(self.describe()["identity"]["oidc"]["issuer"])

    @property
    def account(self) -> str:
        return str(self.describe()["arn"].split(":")[4])

    def core(self) -> Any:
        """kubernetes.client.CoreV1Api for the cluster."""
        if self._core is None:
            info = self.describe()
            config = k8s.Configuration()
            config.host = info["endpoint"]
            ca = tempfile.NamedTemporaryFile(prefix="eksctl-ca-", suffix=".crt", delete=False)  # noqa: SIM115
            with ca:
                ca.write(base64.b64decode(info["certificateAuthority"]["data"]))
            config.ssl_ca_cert = ca.name
            config.api_key = {"authorization": eks_token(self.session, self.cluster)}
            config.api_key_prefix = {"authorization": "Bearer"}
            self._core = k8s.CoreV1Api(k8s.ApiClient(config))
        return self._core


def error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))
