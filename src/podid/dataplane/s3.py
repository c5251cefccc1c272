"""S3: operation -> IAM action(s), bucket/object ARNs and S3 condition keys."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote

from podid.dataplane.kit import (
    AuthzItem,
    Context,
    DataplaneRequest,
    Lookup,
    PolicyParam,
    ServiceSpec,
    action_for,
    owner,
    tag_context,
)

IAM_PREFIX = "s3"

#: Operations whose IAM action is not ``s3:<Operation>``.
ACTIONS: dict[str, str] = {
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
    "HeadBucket": "ListBucket",
    "HeadObject": "GetObject",
    "SelectObjectContent": "GetObject",
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "CompleteMultipartUpload": "PutObject",
    "UploadPartCopy": "PutObject",
    "CopyObject": "PutObject",
    "ListParts": "ListMultipartUploadParts",
    "ListMultipartUploads": "ListBucketMultipartUploads",
    "DeleteObjects": "DeleteObject",
    "ListBuckets": "ListAllMyBuckets",
    "ListDirectoryBuckets": "ListAllMyBuckets",
    "GetBucketCors": "GetBucketCORS",
    "PutBucketCors": "PutBucketCORS",
    "DeleteBucketCors": "PutBucketCORS",
    "GetBucketLifecycle": "GetLifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
    "PutBucketLifecycle": "PutLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
    "DeleteBucketLifecycle": "PutLifecycleConfiguration",
    "GetBucketEncryption": "GetEncryptionConfiguration",
    "PutBucketEncryption": "PutEncryptionConfiguration",
    "DeleteBucketEncryption": "PutEncryptionConfiguration",
    "GetBucketNotification": "GetBucketNotification",
    "GetBucketNotificationConfiguration": "GetBucketNotification",
    "PutBucketNotificationConfiguration": "PutBucketNotification",
    "GetBucketReplication": "GetReplicationConfiguration",
    "PutBucketReplication": "PutReplicationConfiguration",
    "DeleteBucketReplication": "PutReplicationConfiguration",
    "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
    "PutObjectLockConfiguration": "PutBucketObjectLockConfiguration",
    "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
    "PutPublicAccessBlock": "PutBucketPublicAccessBlock",
    "DeletePublicAccessBlock": "PutBucketPublicAccessBlock",
    "DeleteBucketOwnershipControls": "PutBucketOwnershipControls",
    "GetBucketAccelerateConfiguration": "GetAccelerateConfiguration",
    "PutBucketAccelerateConfiguration": "PutAccelerateConfiguration",
    "GetBucketAnalyticsConfiguration": "GetAnalyticsConfiguration",
    "PutBucketAnalyticsConfiguration": "PutAnalyticsConfiguration",
    "DeleteBucketAnalyticsConfiguration": "PutAnalyticsConfiguration",
    "ListBucketAnalyticsConfigurations": "GetAnalyticsConfiguration",
    "GetBucketInventoryConfiguration": "GetInventoryConfiguration",
    "PutBucketInventoryConfiguration": "PutInventoryConfiguration",
    "DeleteBucketInventoryConfiguration": "PutInventoryConfiguration",
    "ListBucketInventoryConfigurations": "GetInventoryConfiguration",
    "GetBucketMetricsConfiguration": "GetMetricsConfiguration",
    "PutBucketMetricsConfiguration": "PutMetricsConfiguration",
    "DeleteBucketMetricsConfiguration": "PutMetricsConfiguration",
    "ListBucketMetricsConfigurations": "GetMetricsConfiguration",
    "GetBucketIntelligentTieringConfiguration": "GetIntelligentTieringConfiguration",
    "PutBucketIntelligentTieringConfiguration": "PutIntelligentTieringConfiguration",
    "DeleteBucketIntelligentTieringConfiguration": "PutIntelligentTieringConfiguration",
    "ListBucketIntelligentTieringConfigurations": "GetIntelligentTieringConfiguration",
    "DeleteBucketWebsite": "DeleteBucketWebsite",
    "GetBucketMetadataTableConfiguration": "GetBucketMetadataTableConfiguration",
    "DeleteBucketMetadataTableConfiguration": "DeleteBucketMetadataTableConfiguration",
    "GetBucketMetadataConfiguration": "GetBucketMetadataTableConfiguration",
    "DeleteBucketMetadataConfiguration": "DeleteBucketMetadataTableConfiguration",
    "CreateBucketMetadataConfiguration": "CreateBucketMetadataTableConfiguration",
    "UpdateBucketMetadataInventoryTableConfiguration": "UpdateBucketMetadataInventoryTableConfiguration",
    "UpdateBucketMetadataJournalTableConfiguration": "UpdateBucketMetadataJournalTableConfiguration",
    "DeleteBucketTagging": "PutBucketTagging",
    "DeleteObjectTagging": "DeleteObjectTagging",
    "GetObjectTorrent": "GetObjectTorrent",
    "WriteGetObjectResponse": "GetObject",   # S3 Object Lambda; checked as s3-object-lambda in AWS
    "PutBucketAcl": "PutBucketAcl",
    "RenameObject": "PutObject",
    "UpdateObjectEncryption": "PutObject",
}

#: With a VersionId, these act on the version: action name -> versioned action name.
VERSIONED: dict[str, str] = {
    "GetObject": "GetObjectVersion",
    "GetObjectAcl": "GetObjectVersionAcl",
    "PutObjectAcl": "PutObjectVersionAcl",
    "GetObjectTagging": "GetObjectVersionTagging",
    "PutObjectTagging": "PutObjectVersionTagging",
    "DeleteObjectTagging": "DeleteObjectVersionTagging",
    "DeleteObject": "DeleteObjectVersion",
    "GetObjectAttributes": "GetObjectVersionAttributes",
    "GetObjectTorrent": "GetObjectVersionTorrent",
    "RestoreObject": "RestoreObject",
}

#: Actions AWS evaluates s3:ExistingObjectTag/<key> for (they act on an existing object).
EXISTING_TAG_ACTIONS = frozenset({
    "GetObject", "GetObjectVersion", "GetObjectAcl", "GetObjectVersionAcl", "GetObjectTagging",
    "GetObjectVersionTagging", "PutObjectTagging", "PutObjectVersionTagging", "DeleteObjectTagging",
    "DeleteObjectVersionTagging", "PutObjectAcl", "PutObjectVersionAcl", "GetObjectAttributes",
    "GetObjectVersionAttributes", "DeleteObject", "DeleteObjectVersion",
})

#: Write operations whose headers set more than the object itself: parameter -> the extra action
#: AWS also requires (PutObject's "you must also have s3:PutObjectAcl / s3:PutObjectTagging ...").
HEADER_ACTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "ACL": (("object", "PutObjectAcl"), ("bucket", "PutBucketAcl")),
    "GrantRead": (("object", "PutObjectAcl"), ("bucket", "PutBucketAcl")),
    "GrantReadACP": (("object", "PutObjectAcl"), ("bucket", "PutBucketAcl")),
    "GrantWrite": (("object", "PutObjectAcl"), ("bucket", "PutBucketAcl")),
    "GrantWriteACP": (("object", "PutObjectAcl"), ("bucket", "PutBucketAcl")),
    "GrantFullControl": (("object", "PutObjectAcl"), ("bucket", "PutBucketAcl")),
    "Tagging": (("object", "PutObjectTagging"),),
    "ObjectLockMode": (("object", "PutObjectRetention"),),
    "ObjectLockRetainUntilDate": (("object", "PutObjectRetention"),),
    "ObjectLockLegalHoldStatus": (("object", "PutObjectLegalHold"),),
    "ObjectLockEnabledForBucket": (("bucket", "PutBucketObjectLockConfiguration"),
                                   ("bucket", "PutBucketVersioning")),
    "ObjectOwnership": (("bucket", "PutBucketOwnershipControls"),),
}

#: Operations whose headers (HEADER_ACTIONS) are authorised with their own actions.
HEADER_ACTION_OPS: dict[str, str] = {
    "PutObject": "object", "CopyObject": "object", "CreateMultipartUpload": "object",
    "CreateBucket": "bucket",
}

#: Service-wide operations (resource "*").
GLOBAL_OPS = frozenset({"ListBuckets", "ListDirectoryBuckets"})

#: Request parameter -> condition key (request headers that S3 exposes as condition keys).
HEADER_KEYS: dict[str, str] = {
    "ACL": "s3:x-amz-acl",
    "ServerSideEncryption": "s3:x-amz-server-side-encryption",
    "SSEKMSKeyId": "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "StorageClass": "s3:x-amz-storage-class",
    "MetadataDirective": "s3:x-amz-metadata-directive",
    "GrantRead": "s3:x-amz-grant-read",
    "GrantWrite": "s3:x-amz-grant-write",
    "GrantReadACP": "s3:x-amz-grant-read-acp",
    "GrantWriteACP": "s3:x-amz-grant-write-acp",
    "GrantFullControl": "s3:x-amz-grant-full-control",
    "ObjectLockMode": "s3:object-lock-mode",
    "ObjectLockLegalHoldStatus": "s3:object-lock-legal-hold",
}


@functools.lru_cache(maxsize=1)
def object_operations() -> frozenset[str]:
    """Operations acting on an object: those whose botocore input shape has a ``Key`` member."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("s3")
    ops = set()
    for name in model.operation_names:
        shape = model.operation_model(name).input_shape
        if shape is not None and "Key" in shape.members:
            ops.add(name)
    return frozenset(ops)


def bucket_arn(bucket: str) -> str:
    """``arn:aws:s3:::bucket``"""
    return f"arn:aws:s3:::{bucket}"


def object_arn(bucket: str, key: str) -> str:
    """``arn:aws:s3:::bucket/key``"""
    return f"arn:aws:s3:::{bucket}/{key}"


def _str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_copy_source(source: Any) -> tuple[str, str, str | None]:
    """``CopySource`` (``bkt/key?versionId=v``, URL-encoded, or a dict) -> (bucket, key, version)."""
    if isinstance(source, Mapping):
        return str(source["Bucket"]), str(source["Key"]), source.get("VersionId")
    text = str(source)
    version = None
    if "?" in text:
        text, _, query = text.partition("?")
        version = dict(parse_qsl(query)).get("versionId")
    text = unquote(text).lstrip("/")
    bucket, _, key = text.partition("/")
    return bucket, key, version


def _request_object_tags(params: Mapping[str, Any]) -> dict[str, str] | None:
    tagging = params.get("Tagging")
    if tagging is None:
        return None
    if isinstance(tagging, str):     # PutObject / CopyObject / CreateMultipartUpload header form
        return dict(parse_qsl(tagging, keep_blank_values=True))
    if isinstance(tagging, Mapping):  # PutObjectTagging body
        return {str(t.get("Key")): str(t.get("Value", "")) for t in tagging.get("TagSet") or []
                if isinstance(t, Mapping)}
    return None


def _base_context(req: DataplaneRequest) -> Context:
    p = req.params
    ctx: Context = {}
    for param, cond in HEADER_KEYS.items():
        if p.get(param) is not None:
            ctx[cond] = _str(p[param])
    if req.operation in ("ListObjects", "ListObjectsV2", "ListObjectVersions", "ListMultipartUploads"):
        if "Prefix" in p and p["Prefix"] is not None:
            ctx["s3:prefix"] = _str(p["Prefix"])
        if p.get("Delimiter") is not None:
            ctx["s3:delimiter"] = _str(p["Delimiter"])
        max_keys = p.get("MaxKeys", p.get("MaxUploads"))
        if max_keys is not None:
            ctx["s3:max-keys"] = _str(max_keys)
    if p.get("CopySource") is not None:
        src = p["CopySource"]
        ctx["s3:x-amz-copy-source"] = src if isinstance(src, str) else "/".join(parse_copy_source(src)[:2])
    tags = _request_object_tags(p)
    if tags is not None and req.operation in ("PutObject", "CopyObject", "CreateMultipartUpload",
                                              "PutObjectTagging"):
        tag_context(ctx, tags, "s3:RequestObjectTag/")
        ctx["s3:RequestObjectTagKeys"] = list(tags)
    if req.operation == "CreateBucket" and isinstance(p.get("CreateBucketConfiguration"), Mapping):
        loc = p["CreateBucketConfiguration"].get("LocationConstraint")
        if loc:
            ctx["s3:LocationConstraint"] = str(loc)
    return ctx


def _object_item(req: DataplaneRequest, lookup: Lookup, action: str, bucket: str, key: str,
                 version: str | None, base: Context) -> AuthzItem:
    if version is not None:
        action = VERSIONED.get(action, action)
    ctx = dict(base)
    if version is not None:
        ctx["s3:VersionId"] = version
    if action in EXISTING_TAG_ACTIONS:
        tags = lookup.s3_object_tags(bucket, key, version)
        if tags:
            tag_context(ctx, tags, "s3:ExistingObjectTag/")
    return AuthzItem(f"s3:{action}", object_arn(bucket, key), ctx,
                     owner(req.account, lambda: lookup.s3_bucket_policy(bucket)))


def _header_items(req: DataplaneRequest, lookup: Lookup, bucket: str, key: str,
                  base: Context) -> list[AuthzItem]:
    """The extra actions a write's ACL, tagging and object-lock headers need (each its own item)."""
    target = HEADER_ACTION_OPS.get(req.operation)
    if target is None:
        return []
    wanted: list[str] = []
    for param, actions in HEADER_ACTIONS.items():
        value = req.params.get(param)
        if value is None or value is False or value == "":
            continue
        for kind, action in actions:
            if kind == target and action not in wanted:
                wanted.append(action)
    if target == "bucket":
        policy = owner(req.account, lambda: lookup.s3_bucket_policy(bucket))
        return [AuthzItem(f"s3:{a}", bucket_arn(bucket), base, policy) for a in wanted]
    return [AuthzItem(f"s3:{a}", object_arn(bucket, key), base,
                      owner(req.account, lambda: lookup.s3_bucket_policy(bucket))) for a in wanted]


def items(req: DataplaneRequest, lookup: Lookup) -> list[AuthzItem]:
    """Authorization items for one S3 call."""
    op, p = req.operation, req.params
    action = action_for(IAM_PREFIX, op, ACTIONS)
    name = action.partition(":")[2]
    if op in GLOBAL_OPS:
        return [AuthzItem(action, "*", {})]
    bucket = req.bucket or p.get("Bucket")
    if not bucket:
        return [AuthzItem(action, "*", {})]
    bucket = str(bucket)
    base = _base_context(req)
    policy = owner(req.account, lambda: lookup.s3_bucket_policy(bucket))
    if op == "DeleteObjects":
        objects = (p.get("Delete") or {}).get("Objects") or []
        return [_object_item(req, lookup, "DeleteObject", bucket, str(o["Key"]), o.get("VersionId"), base)
                for o in objects]
    if op in ("CopyObject", "UploadPartCopy"):
        sb, sk, sv = parse_copy_source(p.get("CopySource", ""))
        key = str(req.key or p.get("Key", ""))
        return [_object_item(req, lookup, "GetObject", sb, sk, sv, {}),
                _object_item(req, lookup, "PutObject", bucket, key, None, base),
                *_header_items(req, lookup, bucket, key, base)]
    if op in object_operations():
        key = str(req.key if req.key is not None else p.get("Key", ""))
        version = p.get("VersionId")
        items_ = [_object_item(req, lookup, name, bucket, key, version, base)]
        if op == "GetObjectAttributes":  # AWS wants read access to the object as well
            items_.append(_object_item(req, lookup, "GetObject", bucket, key, version, {}))
        return items_ + _header_items(req, lookup, bucket, key, base)
    return [AuthzItem(action, bucket_arn(bucket), base, policy),
            *_header_items(req, lookup, bucket, "", base)]


SPEC = ServiceSpec(
    scope="s3", botocore="s3", iam_prefix=IAM_PREFIX, moto="s3", items=items,
    access_denied=("AccessDenied", 403), actions=ACTIONS, policy_name="bucket policy",
    policy_params={
        "PutBucketPolicy": PolicyParam(("Policy",), "MalformedPolicy"),
    },
)
