"""The resource and data-source types `podid plan` understands: what object each creates (AWS or
Kubernetes), how it is named, the attributes known before apply (``arn``, ``id``, ...) and which of
its arguments are policy documents (and of which kind: identity, trust, resource).

Types not listed still appear in the plan (as ``TYPE.NAME``); their attributes are the arguments
as written, anything computed is Unknown."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from podid.tfplan.expressions import Unknown
from podid.tfplan.policy_document import render, render_json


@dataclass(frozen=True)
class Account:
    """Where the plan is for: ARNs name this account, region and partition."""

    account_id: str
    region: str
    partition: str = "aws"


Args = Mapping[str, Any]


@dataclass(frozen=True)
class ResourceType:
    service: str                 # "IAM", "EKS", "S3", ... or "Kubernetes"
    kind: str                    # "Role", "PodIdentityAssociation", "ServiceAccount", ...
    label: Callable[[Args], str]
    computed: Callable[[Args, Account], dict[str, Any]] = lambda args, acct: {}
    policies: tuple[tuple[str, str], ...] = ()   # (argument path, policy kind); path "a[*].b" = blocks


def _arg(name: str, default: str = "?") -> Callable[[Args], str]:
    return lambda a: str(a.get(name, default))


def _name(args: Args, key: str = "name") -> Any:
    if key in args:
        return args[key]
    prefix = args.get(f"{key}_prefix")
    return Unknown(f"{prefix}<generated>") if prefix is not None else Unknown(f"<generated {key}>")


def _iam(kind: str, key: str = "name") -> Callable[[Args, Account], dict[str, Any]]:
    def computed(a: Args, acct: Account) -> dict[str, Any]:
        name = _name(a, key)
        path = a.get("path", "/")
        arn = (Unknown(f"arn of {name}") if isinstance(name, Unknown)
               else f"arn:{acct.partition}:iam::{acct.account_id}:{kind}{path}{name}")
        return {"name": name, "arn": arn, "id": arn if kind == "policy" else name,
                "unique_id": Unknown(f"unique_id of {name}")}
    return computed


def _regional(service: str, resource: str, key: str = "name") -> Callable[[Args, Account], dict[str, Any]]:
    def computed(a: Args, acct: Account) -> dict[str, Any]:
        name = _name(a, key)
        arn = (Unknown(f"arn of {name}") if isinstance(name, Unknown)
               else f"arn:{acct.partition}:{service}:{acct.region}:{acct.account_id}:{resource}{name}")
        return {"arn": arn, "id": name}
    return computed


def _bucket(a: Args, acct: Account) -> dict[str, Any]:
    name = _name(a, "bucket")
    return {"bucket": name, "id": name,
            "arn": f"arn:{acct.partition}:s3:::{name}" if isinstance(name, str)
            else Unknown(f"arn of {name}")}


def _queue(a: Args, acct: Account) -> dict[str, Any]:
    out = _regional("sqs", "")(a, acct)
    if isinstance(out["id"], str):
        out["url"] = out["id"] = f"https://sqs.{acct.region}.amazonaws.com/{acct.account_id}/{out['id']}"
    return out


def _oidc_provider(a: Args, acct: Account) -> dict[str, Any]:
    url = a.get("url")
    if not isinstance(url, str):
        return {"arn": Unknown("aws_iam_openid_connect_provider arn (its url is known after apply)")}
    host = re.sub(r"^https://", "", url)
    return {"arn": f"arn:{acct.partition}:iam::{acct.account_id}:oidc-provider/{host}", "url": host}


def _cluster(a: Args, acct: Account) -> dict[str, Any]:
    name = a.get("name")
    return {"arn": f"arn:{acct.partition}:eks:{acct.region}:{acct.account_id}:cluster/{name}", "id": name,
            "identity": Unknown(f"the identity (OIDC issuer) of cluster {name}")}


def _association(a: Args) -> str:
    return f"{a.get('cluster_name')}: {a.get('namespace')}/{a.get('service_account')} -> {a.get('role_arn')}"


def _attachment(a: Args) -> str:
    return f"{a.get('role') or a.get('user') or a.get('group')} <- {a.get('policy_arn')}"


AWS_TYPES: dict[str, ResourceType] = {
    "aws_iam_role": ResourceType("IAM", "Role", _arg("name"), _iam("role"),
                                 (("assume_role_policy", "trust"), ("inline_policy[*].policy", "identity"))),
    "aws_iam_policy": ResourceType("IAM", "Policy", _arg("name"), _iam("policy"), (("policy", "identity"),)),
    "aws_iam_role_policy": ResourceType("IAM", "RolePolicy", lambda a: f"{a.get('role')}/{a.get('name')}",
                                        policies=(("policy", "identity"),)),
    "aws_iam_user_policy": ResourceType("IAM", "UserPolicy", lambda a: f"{a.get('user')}/{a.get('name')}",
                                        policies=(("policy", "identity"),)),
    "aws_iam_group_policy": ResourceType("IAM", "GroupPolicy", lambda a: f"{a.get('group')}/{a.get('name')}",
                                         policies=(("policy", "identity"),)),
    "aws_iam_role_policy_attachment": ResourceType("IAM", "RolePolicyAttachment", _attachment),
    "aws_iam_user_policy_attachment": ResourceType("IAM", "UserPolicyAttachment", _attachment),
    "aws_iam_user": ResourceType("IAM", "User", _arg("name"), _iam("user")),
    "aws_iam_openid_connect_provider": ResourceType("IAM", "OpenIDConnectProvider", _arg("url"),
                                                    _oidc_provider),
    "aws_eks_cluster": ResourceType("EKS", "Cluster", _arg("name"), _cluster),
    "aws_eks_addon": ResourceType("EKS", "Addon", lambda a: f"{a.get('cluster_name')}/{a.get('addon_name')}"),
    "aws_eks_pod_identity_association": ResourceType("EKS", "PodIdentityAssociation", _association),
    "aws_s3_bucket": ResourceType("S3", "Bucket", _arg("bucket"), _bucket),
    "aws_s3_object": ResourceType("S3", "Object", lambda a: f"{a.get('bucket')}/{a.get('key')}"),
    "aws_s3_bucket_policy": ResourceType("S3", "BucketPolicy", _arg("bucket"),
                                         policies=(("policy", "resource"),)),
    "aws_sqs_queue": ResourceType("SQS", "Queue", _arg("name"), _queue, (("policy", "resource"),)),
    "aws_sqs_queue_policy": ResourceType("SQS", "QueuePolicy", _arg("queue_url"),
                                         policies=(("policy", "resource"),)),
    "aws_dynamodb_table": ResourceType("DynamoDB", "Table", _arg("name"), _regional("dynamodb", "table/")),
    "aws_secretsmanager_secret": ResourceType(
        "SecretsManager", "Secret", _arg("name"),
        lambda a, acct: {"arn": Unknown(f"arn of secret {a.get('name')} (random suffix)")},
        (("policy", "resource"),)),
    "aws_secretsmanager_secret_version": ResourceType("SecretsManager", "SecretVersion", _arg("secret_id")),
    "aws_secretsmanager_secret_policy": ResourceType("SecretsManager", "SecretPolicy", _arg("secret_arn"),
                                                     policies=(("policy", "resource"),)),
    "aws_kms_key": ResourceType("KMS", "Key", _arg("description", ""),
                                lambda a, acct: {"arn": Unknown("arn of a new KMS key"),
                                                 "key_id": Unknown("id of a new KMS key")},
                                (("policy", "resource"),)),
    "aws_kms_alias": ResourceType("KMS", "Alias", _arg("name"), _regional("kms", "", key="name")),
    "aws_cloudwatch_log_group": ResourceType("Logs", "LogGroup", _arg("name"),
                                             _regional("logs", "log-group:")),
}


def kubernetes_type(type_name: str) -> ResourceType | None:
    """``kubernetes_service_account[_v1]`` -> ServiceAccount, ``kubernetes_manifest`` -> its kind."""
    if not type_name.startswith("kubernetes_"):
        return None
    base = type_name.removeprefix("kubernetes_").removesuffix("_v1")
    kind = "".join(part.capitalize() for part in base.split("_"))

    def label(a: Args) -> str:
        meta = a.get("metadata") or (a.get("manifest") or {}).get("metadata") or {}
        meta = meta[0] if isinstance(meta, list) and meta else meta
        if not isinstance(meta, Mapping):
            return "?"
        name = meta.get("name", meta.get("generate_name", "?"))
        return f"{meta['namespace']}/{name}" if meta.get("namespace") else str(name)

    if base == "manifest":
        return ResourceType("Kubernetes", "manifest", label)
    return ResourceType("Kubernetes", kind, label)


def resource_type(type_name: str) -> ResourceType | None:
    return AWS_TYPES.get(type_name) or kubernetes_type(type_name)


def data_attributes(type_name: str, args: Args, acct: Account) -> dict[str, Any] | None:
    """Attributes of a data source known without calling AWS (None: unknown type)."""
    if type_name == "aws_iam_policy_document":
        minified = json.dumps(render(args), separators=(",", ":"), default=str)
        return {"json": render_json(args), "minified_json": minified}
    if type_name == "aws_caller_identity":
        return {"account_id": acct.account_id, "id": acct.account_id,
                "arn": Unknown("data.aws_caller_identity arn"), "user_id": Unknown("user_id")}
    if type_name == "aws_region":
        return {"name": acct.region, "id": acct.region, "region": acct.region}
    if type_name == "aws_partition":
        return {"partition": acct.partition, "dns_suffix": "amazonaws.com", "id": acct.partition}
    if type_name == "aws_eks_cluster":
        return _cluster(args, acct)
    return None
