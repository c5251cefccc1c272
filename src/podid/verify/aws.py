"""What `podid verify` reads from AWS (EKS add-on and associations, IAM roles and their policies),
through boto3 only: a named profile and an optional endpoint URL, so the same calls reach a real
account or `podid up`."""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

ADDON = "eks-pod-identity-agent"


class AwsReadError(Exception):
    """An AWS call `podid verify` needs failed (message is the service's own code and text)."""


@dataclass(frozen=True)
class PolicyDoc:
    label: str               # "policy/s3-reader (attached)", "inline s3 on role/r", ...
    document: dict[str, Any]


@dataclass(frozen=True)
class RoleView:
    arn: str
    name: str
    trust: dict[str, Any]
    policies: tuple[PolicyDoc, ...]
    boundary: PolicyDoc | None = None


@dataclass(frozen=True)
class AssociationView:
    association_id: str
    namespace: str
    service_account: str
    role_arn: str
    target_role_arn: str | None = None


@dataclass
class AwsView:
    profile: str | None = None
    endpoint_url: str | None = None
    region: str | None = None
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            session = boto3.Session(profile_name=self.profile, region_name=self.region)
            config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10,
                            read_timeout=30)
            self._clients[service] = session.client(service, endpoint_url=self.endpoint_url,
                                                    config=config)
        return self._clients[service]

    def _call(self, service: str, op: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client(service), op)(**kwargs)
        except ClientError as exc:
            err = exc.response.get("Error", {})
            raise AwsReadError(f"{service} {op}: ({err.get('Code')}) {err.get('Message')}") from exc
        except BotoCoreError as exc:
            raise AwsReadError(f"{service} {op}: {exc}") from exc

    def account(self) -> str:
        return str(self._call("sts", "get_caller_identity")["Account"])

    def addon_status(self, cluster: str) -> str | None:
        """The add-on's status, or None when it is not installed."""
        try:
            out = self.client("eks").describe_addon(clusterName=cluster, addonName=ADDON)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return None
            err = exc.response.get("Error", {})
            raise AwsReadError(f"eks DescribeAddon: ({err.get('Code')}) {err.get('Message')}") from exc
        return str(out["addon"]["status"])

    def associations(self, cluster: str, namespace: str | None = None,
                     service_account: str | None = None) -> list[AssociationView]:
        kwargs: dict[str, Any] = {"clusterName": cluster}
        if namespace:
            kwargs["namespace"] = namespace
        if service_account:
            kwargs["serviceAccount"] = service_account
        out: list[AssociationView] = []
        for _page in range(100):   # bounded pagination
            page = self._call("eks", "list_pod_identity_associations", **kwargs)
            for summary in page.get("associations", []):
                full = self._call("eks", "describe_pod_identity_association", clusterName=cluster,
                                  associationId=summary["associationId"])["association"]
                out.append(AssociationView(full["associationId"], full["namespace"],
                                           full["serviceAccount"], full["roleArn"],
                                           full.get("targetRoleArn")))
            if not page.get("nextToken"):
                break
            kwargs["nextToken"] = page["nextToken"]
        return out

    def oidc_issuer(self, cluster: str) -> str | None:
        out = self._call("eks", "describe_cluster", name=cluster)["cluster"]
        return (out.get("identity") or {}).get("oidc", {}).get("issuer")

    def role(self, role_arn: str) -> RoleView:
        name = role_arn.rsplit("/", 1)[-1]
        role = self._call("iam", "get_role", RoleName=name)["Role"]
        trust = _doc(role["AssumeRolePolicyDocument"])
        docs: list[PolicyDoc] = []
        for attached in self._paged("list_attached_role_policies", "AttachedPolicies", RoleName=name):
            docs.append(self._managed(attached["PolicyArn"], f"{attached['PolicyArn']} (attached)"))
        for inline in self._paged("list_role_policies", "PolicyNames", RoleName=name):
            got = self._call("iam", "get_role_policy", RoleName=name, PolicyName=inline)
            docs.append(PolicyDoc(f"inline {inline} on role/{name}", _doc(got["PolicyDocument"])))
        boundary_arn = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        boundary = self._managed(boundary_arn, f"{boundary_arn} (boundary)") if boundary_arn else None
        return RoleView(str(role["Arn"]), name, trust, tuple(docs), boundary)

    def _managed(self, arn: str, label: str) -> PolicyDoc:
        version = self._call("iam", "get_policy", PolicyArn=arn)["Policy"]["DefaultVersionId"]
        got = self._call("iam", "get_policy_version", PolicyArn=arn, VersionId=version)
        return PolicyDoc(label, _doc(got["PolicyVersion"]["Document"]))

    def _paged(self, op: str, key: str, **kwargs: Any) -> list[Any]:
        items: list[Any] = []
        for _page in range(100):
            page = self._call("iam", op, **kwargs)
            items.extend(page.get(key, []))
            if not page.get("IsTruncated"):
                break
            kwargs["Marker"] = page["Marker"]
        return items


def _doc(value: Any) -> dict[str, Any]:
    """IAM returns documents as dicts (boto3 decodes) or URL-encoded JSON strings."""
    if isinstance(value, dict):
        return value
    text = str(value)
    if text.startswith("%7B") or text.startswith("%7b"):
        text = urllib.parse.unquote(text)
    loaded = json.loads(text)
    return loaded if isinstance(loaded, dict) else {}
