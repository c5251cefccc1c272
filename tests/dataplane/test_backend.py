"""Embedded moto backend: real botocore requests forwarded in-process, state across restarts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from podid.dataplane.backend import Backend, RawRequest, is_mutating
from podid.dataplane.lookup import MotoLookup
from podid.protocol.wire import s3_path_style

from .helpers import backend_client

ACCOUNT = "111122223333"


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def backend(state: Path) -> Any:
    be = Backend(state, ACCOUNT, "us-east-1")
    yield be
    be.close()


def test_s3_round_trip_and_restart(state: Path) -> None:
    be = Backend(state, ACCOUNT)
    s3 = backend_client(be, "s3")
    s3.create_bucket(Bucket="bucket")
    s3.put_object(Bucket="bucket", Key="allowed/a.txt", Body=b"hello", Tagging="team=a")
    s3.put_object(Bucket="bucket", Key="denied/b.txt", Body=b"x" * 5000)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="bucket", Prefix="allowed/")["Contents"]]
    assert keys == ["allowed/a.txt"]
    assert s3.get_object(Bucket="bucket", Key="allowed/a.txt")["Body"].read() == b"hello"
    s3.put_object(Bucket="bucket", Key="denied/b.txt", Body=b"overwritten")
    be.close()

    be2 = Backend(state, ACCOUNT)  # restart: a new instance on the same directory
    s3 = backend_client(be2, "s3")
    assert s3.get_object(Bucket="bucket", Key="allowed/a.txt")["Body"].read() == b"hello"
    assert s3.get_object(Bucket="bucket", Key="denied/b.txt")["Body"].read() == b"overwritten"
    assert MotoLookup(be2).s3_object_tags("bucket", "allowed/a.txt", None) == {"team": "a"}
    from moto.s3.models import s3_backends

    assert s3_backends.bucket_accounts["bucket"] == ("aws", ACCOUNT)  # global name registry survived
    be2.close()


def test_sync_durability_without_close(state: Path) -> None:
    be = Backend(state, ACCOUNT)
    s3 = backend_client(be, "s3")
    s3.create_bucket(Bucket="durable")
    s3.put_object(Bucket="durable", Key="k", Body=b"v")
    # no close(): an acknowledged write is already on disk
    be2 = Backend(state, ACCOUNT)
    assert backend_client(be2, "s3").get_object(Bucket="durable", Key="k")["Body"].read() == b"v"
    be2.close()


def test_async_durability_flushes_on_close(state: Path) -> None:
    be = Backend(state, ACCOUNT, durability="async", flush_delay=0.01)
    sqs = backend_client(be, "sqs")
    sqs.create_queue(QueueName="q1")
    be.close()
    be2 = Backend(state, ACCOUNT)
    assert backend_client(be2, "sqs").get_queue_url(QueueName="q1")["QueueUrl"].endswith("/111122223333/q1")
    be2.close()


def test_all_services_round_trip_and_restart(state: Path) -> None:
    be = Backend(state, ACCOUNT)
    sm = backend_client(be, "secretsmanager")
    arn = sm.create_secret(Name="db", SecretString="pw", Tags=[{"Key": "env", "Value": "dev"}])["ARN"]
    assert arn.startswith(f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:db-")
    assert len(arn.rsplit("-", 1)[1]) == 6
    sqs = backend_client(be, "sqs")
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    assert url == f"http://localhost:4566/{ACCOUNT}/jobs"
    sqs.send_message(QueueUrl=url, MessageBody="m1")
    ddb = backend_client(be, "dynamodb")
    ddb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.put_item(TableName="t", Item={"pk": {"S": "1"}, "v": {"N": "5"}})
    kms = backend_client(be, "kms")
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    blob = kms.encrypt(KeyId="alias/app", Plaintext=b"secret")["CiphertextBlob"]
    cw = backend_client(be, "monitoring")
    cw.put_metric_data(Namespace="app", MetricData=[{"MetricName": "hits", "Value": 1.0}])
    logs = backend_client(be, "logs")
    logs.create_log_group(logGroupName="g", tags={"team": "a"})
    logs.create_log_stream(logGroupName="g", logStreamName="s")
    be.close()

    be2 = Backend(state, ACCOUNT)
    assert backend_client(be2, "secretsmanager").get_secret_value(SecretId="db")["SecretString"] == "pw"
    msgs = backend_client(be2, "sqs").receive_message(QueueUrl=url)["Messages"]
    assert [m["Body"] for m in msgs] == ["m1"]
    item = backend_client(be2, "dynamodb").get_item(TableName="t", Key={"pk": {"S": "1"}})["Item"]
    assert item["v"] == {"N": "5"}
    assert backend_client(be2, "kms").decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"
    names = [
        m["MetricName"] for m in backend_client(be2, "monitoring").list_metrics(Namespace="app")["Metrics"]
    ]
    assert names == ["hits"]
    streams = backend_client(be2, "logs").describe_log_streams(logGroupName="g")["logStreams"]
    assert [s["logStreamName"] for s in streams] == ["s"]

    lk = MotoLookup(be2)
    assert lk.secret_arn("us-east-1", "db") == arn
    assert lk.secret_tags("us-east-1", "db") == {"env": "dev"}
    assert lk.kms_key_id("us-east-1", "alias/app") == key["KeyId"]
    assert lk.kms_key_id_from_ciphertext("us-east-1", blob) == key["KeyId"]
    assert "Statement" in (lk.kms_policy("us-east-1", key["KeyId"]) or "")
    assert lk.dynamodb_key_schema("us-east-1", "t") == ("pk", None)
    assert lk.logs_group_tags("us-east-1", "g") == {"team": "a"}
    be2.close()


def test_account_is_podids(backend: Backend) -> None:
    s3 = backend_client(backend, "s3")
    s3.create_bucket(Bucket="acct-check")
    assert "acct-check" in backend.service_backend("s3").buckets
    q = backend_client(backend, "sqs").create_queue(QueueName="acct")["QueueUrl"]
    assert f"/{ACCOUNT}/" in q


def test_resource_policies_visible_to_lookup(backend: Backend) -> None:
    s3 = backend_client(backend, "s3")
    s3.create_bucket(Bucket="pol")
    policy = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",'
        '"Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/*"}]}'
    )
    s3.put_bucket_policy(Bucket="pol", Policy=policy)
    lk = MotoLookup(backend)
    assert lk.s3_bucket_policy("pol") == policy
    sqs = backend_client(backend, "sqs")
    url = sqs.create_queue(QueueName="pq", Attributes={"Policy": policy.replace("s3:GetObject", "sqs:*")})[
        "QueueUrl"
    ]
    assert "sqs:*" in (lk.sqs_policy("us-east-1", "pq") or "")
    assert url.endswith("/pq")
    sm = backend_client(backend, "secretsmanager")
    sm.create_secret(Name="ps", SecretString="x")
    sm.put_resource_policy(SecretId="ps", ResourcePolicy=policy.replace("s3:GetObject", "secretsmanager:*"))
    assert "secretsmanager:*" in (lk.secret_policy("us-east-1", "ps") or "")


def test_virtual_host_s3_is_rewritten(backend: Backend) -> None:
    backend_client(backend, "s3").create_bucket(Bucket="vhost")
    put = RawRequest("PUT", "/dir/k.txt", "", [("Host", "vhost.s3.localhost:4566")], b"data")
    assert backend.forward("s3", put, operation="PutObject").status == 200
    get = RawRequest("GET", "/dir/k.txt", "", [("Host", "vhost.s3.localhost:4566")])
    resp = backend.forward("s3", get, operation="GetObject")
    assert resp.status == 200 and resp.body == b"data"
    assert s3_path_style("bkt.s3.us-east-1.amazonaws.com", "/a") == "/bkt/a"
    assert s3_path_style("localhost:4566", "/bkt/a") == "/bkt/a"


def test_errors_pass_through(backend: Backend) -> None:
    resp = backend.forward(
        "s3", RawRequest("GET", "/nosuchbucket/k", "", [("Host", "localhost")]), operation="GetObject"
    )
    assert resp.status == 404 and b"NoSuchBucket" in resp.body


def test_is_mutating() -> None:
    assert not is_mutating("GetObject", "GET")
    assert not is_mutating("Decrypt", "POST")
    assert is_mutating("PutItem", "POST")
    assert is_mutating(None, "PUT") and not is_mutating(None, "GET")


def test_moto_does_not_judge_bucket_policies(backend: Backend) -> None:
    """podid's judge evaluates bucket policies; moto must not apply its own (condition-blind) Deny."""
    s3 = backend_client(backend, "s3")
    s3.create_bucket(Bucket="tls-only")
    s3.put_object(Bucket="tls-only", Key="k", Body=b"v")
    deny = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*",'
        '"Resource":["arn:aws:s3:::tls-only","arn:aws:s3:::tls-only/*"],'
        '"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}'
    )
    s3.put_bucket_policy(Bucket="tls-only", Policy=deny)
    assert s3.get_object(Bucket="tls-only", Key="k")["Body"].read() == b"v"
    anon = backend.forward(
        "s3", RawRequest("GET", "/tls-only/k", "", [("Host", "localhost")]), operation="GetObject"
    )
    assert anon.status == 200 and anon.body == b"v"


def test_empty_receives_are_not_snapshotted(state: Path) -> None:
    """Workers polling an empty queue cause no disk writes; a receive that hands out a message
    (it changes the message's visibility) and one on a queue with a dead-letter queue do."""
    be = Backend(state, ACCOUNT)
    sqs = backend_client(be, "sqs")
    plain = sqs.create_queue(QueueName="plain")["QueueUrl"]
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redriven = sqs.create_queue(QueueName="redriven", Attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1"})})["QueueUrl"]
    written = be.persister.snapshots_written
    for _ in range(3):
        assert "Messages" not in sqs.receive_message(QueueUrl=plain)
    assert be.persister.snapshots_written == written
    sqs.send_message(QueueUrl=plain, MessageBody="x")
    assert sqs.receive_message(QueueUrl=plain)["Messages"]
    assert be.persister.snapshots_written == written + 2          # the send and the receive
    sqs.receive_message(QueueUrl=redriven)
    assert be.persister.snapshots_written == written + 3          # moto may have moved messages
    be.close()
