"""Existing resources and their resource-based policies, listed with boto3 (podid or real AWS).

Owns one lister per service: S3 buckets (bucket policy) and up to `max_objects` object keys per
bucket, SQS queues (queue policy), Secrets Manager secrets (resource policy), KMS keys (the
default key policy), DynamoDB tables (resource policy) and CloudWatch Logs groups. A policy that
cannot be read is reported in the inventory's notes, never silently treated as absent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from podid.matrix.model import Resource

Clients = Callable[[str], Any]
_ABSENT = {"NoSuchBucketPolicy", "ResourceNotFoundException", "PolicyNotFoundException", "NotFoundException"}


def _policy(call: Callable[..., Any], key: str, notes: list[str], what: str, **params: Any) -> str | None:
    """`call(**params)[key]`: the policy text, None when the resource has none."""
    try:
        got = call(**params).get(key)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code not in _ABSENT:
            notes.append(f"{what}: policy not readable ({code})")
        return None
    if got is None or got == "":
        return None
    return got if isinstance(got, str) else json.dumps(got)


def s3(clients: Clients, account: str, notes: list[str], max_objects: int) -> list[Resource]:
    c = clients("s3")
    out: list[Resource] = []
    for bucket in c.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        arn = f"arn:aws:s3:::{name}"
        policy = _policy(c.get_bucket_policy, "Policy", notes, arn, Bucket=name)
        out.append(Resource("s3", arn, account, policy, "bucket policy"))
        if max_objects <= 0:
            continue
        listed = c.list_objects_v2(Bucket=name, MaxKeys=max_objects)
        for obj in listed.get("Contents", [])[:max_objects]:
            out.append(Resource("s3", f"{arn}/{obj['Key']}", account, policy, "bucket policy", parent=arn))
        if listed.get("IsTruncated"):
            notes.append(f"{arn}: only the first {max_objects} objects are in the matrix")
    return out


def sqs(clients: Clients, account: str, notes: list[str], max_objects: int) -> list[Resource]:
    c = clients("sqs")
    out: list[Resource] = []
    for url in c.list_queues().get("QueueUrls", []):
        attrs = c.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn", "Policy"])["Attributes"]
        arn = attrs["QueueArn"]
        out.append(Resource("sqs", arn, arn.split(":")[4], attrs.get("Policy") or None, "queue policy"))
    return out


def _items(client: Any, operation: str, key: str) -> Iterator[Any]:
    """Every item under `key` of a paginated list operation."""
    for page in client.get_paginator(operation).paginate():
        yield from page.get(key, [])


def _owned(service: str, arn: str, policy: str | None, policy_name: str) -> Resource:
    """A resource owned by the account in its ARN."""
    return Resource(service, arn, arn.split(":")[4], policy, policy_name)


def secretsmanager(clients: Clients, account: str, notes: list[str], max_objects: int) -> list[Resource]:
    c = clients("secretsmanager")
    return [
        _owned(
            "secretsmanager",
            s["ARN"],
            _policy(c.get_resource_policy, "ResourcePolicy", notes, s["ARN"], SecretId=s["ARN"]),
            "secret policy",
        )
        for s in _items(c, "list_secrets", "SecretList")
    ]


def kms(clients: Clients, account: str, notes: list[str], max_objects: int) -> list[Resource]:
    c = clients("kms")
    return [
        _owned(
            "kms",
            k["KeyArn"],
            _policy(c.get_key_policy, "Policy", notes, k["KeyArn"], KeyId=k["KeyId"], PolicyName="default"),
            "key policy",
        )
        for k in _items(c, "list_keys", "Keys")
    ]


def dynamodb(clients: Clients, account: str, notes: list[str], max_objects: int) -> list[Resource]:
    c = clients("dynamodb")
    arns = [
        c.describe_table(TableName=n)["Table"]["TableArn"] for n in _items(c, "list_tables", "TableNames")
    ]
    return [
        _owned(
            "dynamodb", a, _policy(c.get_resource_policy, "Policy", notes, a, ResourceArn=a), "table policy"
        )
        for a in arns
    ]


def logs(clients: Clients, account: str, notes: list[str], max_objects: int) -> list[Resource]:
    groups = _items(clients("logs"), "describe_log_groups", "logGroups")
    return [_owned("logs", str(g["arn"]).removesuffix(":*"), None, "resource policy") for g in groups]


LISTERS: dict[str, Callable[[Clients, str, list[str], int], list[Resource]]] = {
    "s3": s3,
    "sqs": sqs,
    "secretsmanager": secretsmanager,
    "kms": kms,
    "dynamodb": dynamodb,
    "logs": logs,
}


def list_resources(
    clients: Clients, account: str, services: list[str], notes: list[str], max_objects: int = 100
) -> list[Resource]:
    """Every existing resource of `services` (IAM prefixes with a lister); failures go to `notes`."""
    out: list[Resource] = []
    for service in services:
        lister = LISTERS.get(service)
        if lister is None:
            continue
        try:
            out.extend(lister(clients, account, notes, max_objects))
        except (ClientError, BotoCoreError) as exc:
            notes.append(f"{service}: resources not listed ({exc})")
    return out
