"""What exists in a podid, by boto3 list calls: the before/after picture of ``terraform destroy``."""

from __future__ import annotations

from typing import Any

from podid.cluster.node import NODE_ROLE_PREFIX
from support.server import PodidServer


def inventory(srv: PodidServer, clusters: tuple[str, ...]) -> dict[str, set[str]]:
    """Every role, customer policy, OIDC provider, association, add-on, bucket, secret, queue,
    table, live KMS key and alias, by name or ARN. The clusters' node roles (``podid-node-<cluster>``,
    made when the agent add-on first runs, as an EKS node group's role) belong to the cluster, not to
    the HCL, and stay."""
    iam, eks = srv.client("iam"), srv.client("eks")
    kms = srv.client("kms")
    out: dict[str, set[str]] = {
        "roles": {r["RoleName"] for r in iam.list_roles()["Roles"]
                  if not r["RoleName"].startswith(NODE_ROLE_PREFIX)},
        "policies": {p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"]},
        "oidc": {p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]},
        "associations": set(), "addons": set(),
        "buckets": {b["Name"] for b in srv.client("s3").list_buckets()["Buckets"]},
        "secrets": {s["Name"] for s in srv.client("secretsmanager").list_secrets()["SecretList"]},
        "queues": set(srv.client("sqs").list_queues().get("QueueUrls", [])),
        "tables": set(srv.client("dynamodb").list_tables()["TableNames"]),
        "keys": {k["KeyId"] for k in kms.list_keys()["Keys"]
                 if kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] != "PendingDeletion"},
        "aliases": {a["AliasName"] for a in kms.list_aliases()["Aliases"]
                    if not a["AliasName"].startswith("alias/aws/")},
    }
    for cluster in clusters:
        found: list[dict[str, Any]] = eks.list_pod_identity_associations(clusterName=cluster)["associations"]
        out["associations"] |= {f"{cluster}/{a['associationId']}" for a in found}
        out["addons"] |= {f"{cluster}/{name}" for name in eks.list_addons(clusterName=cluster)["addons"]}
    return out
