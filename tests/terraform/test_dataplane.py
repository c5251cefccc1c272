"""The data-plane resources users create next to their identities (S3 bucket + object, Secrets
Manager secret + version, SQS queue, DynamoDB table, KMS key + alias) through the real provider:
apply -> the objects read back through boto3 -> plan shows no changes -> destroy leaves nothing."""

from __future__ import annotations

import json
from pathlib import Path

from support.server import PodidServer
from terraform.conftest import CLUSTERS, module
from terraform.inventory import inventory


def test_dataplane_resources_apply_plan_destroy(tf_server: PodidServer, tmp_path: Path) -> None:
    srv = tf_server
    before = inventory(srv, CLUSTERS)
    tf = module(tmp_path, srv, "dataplane")
    seen = len(srv.audit_events())
    tf.apply()
    _assert_queue_waiter_satisfied_at_once([e for e in srv.audit_events()[seen:]
                                            if e.get("eventSource") == "sqs.amazonaws.com"])
    tf.assert_no_changes()

    body = srv.client("s3").get_object(Bucket="podid-tf-data", Key="allowed/report.txt")
    assert body["Body"].read() == b"quarterly numbers"
    assert body["ContentType"] == "text/plain"
    secret = srv.client("secretsmanager").get_secret_value(SecretId="podid-tf/db")["SecretString"]
    assert json.loads(secret) == {"username": "app", "password": "not-a-real-one"}
    sqs = srv.client("sqs")
    url = sqs.get_queue_url(QueueName="podid-tf-jobs")["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "60"
    table = srv.client("dynamodb").describe_table(TableName="podid-tf-items")["Table"]
    assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    kms = srv.client("kms")
    alias = next(a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/podid-tf-data")
    assert kms.describe_key(KeyId=alias["TargetKeyId"])["KeyMetadata"]["Description"] == "podid-tf data key"
    assert sorted(tf.state_list()) == sorted([
        "aws_dynamodb_table.items", "aws_kms_alias.data", "aws_kms_key.data", "aws_s3_bucket.data",
        "aws_s3_object.report", "aws_secretsmanager_secret.db", "aws_secretsmanager_secret_version.db",
        "aws_sqs_queue.jobs"])

    tf.destroy()
    assert inventory(srv, CLUSTERS) == before


def _assert_queue_waiter_satisfied_at_once(events: list[dict[str, object]]) -> None:
    """``aws_sqs_queue`` create: CreateQueue, then the provider's attribute-propagation waiter, which
    wants 6 consecutive matching ``GetQueueAttributes`` answers (its fixed minimum, decisions.md), then
    its read. Every poll is answered (no error, no retry) and the first already matches, so the waiter
    costs exactly its minimum: no more than 6 + 1 (read) + 1 (tags/refresh) polls."""
    names = [str(e.get("eventName")) for e in events]
    assert "CreateQueue" in names, names
    after = names[names.index("CreateQueue") + 1:]
    polls = [n for n in after if n == "GetQueueAttributes"]
    assert 6 <= len(polls) <= 8, names
    assert not [e for e in events if e.get("errorCode")], [e.get("errorCode") for e in events]
