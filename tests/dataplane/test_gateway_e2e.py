"""The enforced data plane end to end: a real ``podid up``, real boto3 clients and the real aws CLI.

One private server per module (the tests create users, buckets and policies). Principals are IAM
users with the seeds' S3 reader policy (a real principal, like a role session).
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from support.server import PodidServer, start_podid
from support.sigv4 import error_code, http, send, sign

from .gateway_support import LAB_BUCKET, error, lab_policy, make_user, streaming_put

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PodidServer]:
    with start_podid(tmp_path_factory.mktemp("dp-e2e") / "state") as server:
        s3 = server.client("s3")
        s3.create_bucket(Bucket=LAB_BUCKET)
        s3.create_bucket(Bucket="other-bucket")
        for key in ("allowed/a.txt", "allowed/sub/b.txt", "blocked/c.txt"):
            s3.put_object(Bucket=LAB_BUCKET, Key=key, Body=f"body of {key}".encode())
        s3.put_object(Bucket="other-bucket", Key="allowed/x.txt", Body=b"x")
        yield server


@pytest.fixture(scope="module")
def reader(srv: PodidServer) -> tuple[str, str]:
    return make_user(srv, "lab-reader", lab_policy())


def _reader_env(srv: PodidServer, creds: tuple[str, str]) -> dict[str, str]:
    env = dict(srv.env)
    for name in ("AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE"):
        env.pop(name, None)
    env.update(AWS_ACCESS_KEY_ID=creds[0], AWS_SECRET_ACCESS_KEY=creds[1], AWS_CONFIG_FILE=os.devnull)
    return env


def _aws(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["aws", *args], env=env, capture_output=True, text=True, timeout=120, check=False)


# -- the seeds' S3 lab ------------------------------------------------------------------------------
def test_lab_with_the_aws_cli(srv: PodidServer, reader: tuple[str, str], tmp_path: Path) -> None:
    env = _reader_env(srv, reader)
    ok = _aws(env, "s3", "ls", f"s3://{LAB_BUCKET}/allowed/")
    assert ok.returncode == 0, ok.stderr
    assert "a.txt" in ok.stdout and "sub/" in ok.stdout
    blocked = _aws(env, "s3", "ls", f"s3://{LAB_BUCKET}/blocked/")
    assert blocked.returncode != 0
    assert "AccessDenied" in blocked.stderr
    assert "is not authorized to perform: s3:ListBucket" in blocked.stderr
    dest = tmp_path / "a.txt"
    cp = _aws(env, "s3", "cp", f"s3://{LAB_BUCKET}/allowed/a.txt", str(dest))
    assert cp.returncode == 0, cp.stderr
    assert dest.read_bytes() == b"body of allowed/a.txt"
    api = _aws(env, "s3api", "get-object", "--bucket", LAB_BUCKET, "--key", "allowed/sub/b.txt",
               str(tmp_path / "b.txt"))
    assert api.returncode == 0, api.stderr
    assert json.loads(api.stdout)["ContentLength"] == len(b"body of allowed/sub/b.txt")
    denied = _aws(env, "s3api", "get-object", "--bucket", LAB_BUCKET, "--key", "blocked/c.txt",
                  str(tmp_path / "c.txt"))
    assert denied.returncode != 0 and "AccessDenied" in denied.stderr
    # admin (the state dir's profile) uploads with the CLI
    up = srv.aws("s3", "cp", str(dest), f"s3://{LAB_BUCKET}/allowed/from-cli.txt")
    assert up.returncode == 0, up.stderr
    assert _aws(env, "s3", "ls", f"s3://{LAB_BUCKET}/allowed/from-cli").stdout.count("from-cli.txt") == 1


def test_lab_with_boto3(srv: PodidServer, reader: tuple[str, str]) -> None:
    s3 = srv.client("s3", credentials=reader)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=LAB_BUCKET, Prefix="allowed/")["Contents"]]
    assert "allowed/a.txt" in keys and "blocked/c.txt" not in keys
    with pytest.raises(ClientError) as info:
        s3.list_objects_v2(Bucket=LAB_BUCKET, Prefix="blocked/")
    assert error(info.value) == (
        "AccessDenied",
        "User: arn:aws:iam::111122223333:user/lab-reader is not authorized to perform: s3:ListBucket on "
        f'resource: "arn:aws:s3:::{LAB_BUCKET}" because no identity-based policy allows the s3:ListBucket '
        "action", 403)
    with pytest.raises(ClientError) as info:
        s3.list_objects_v2(Bucket=LAB_BUCKET)           # no prefix: the condition cannot match
    assert error(info.value)[0] == "AccessDenied"
    with pytest.raises(ClientError) as info:
        s3.list_objects_v2(Bucket="other-bucket", Prefix="allowed/")
    assert '"arn:aws:s3:::other-bucket"' in error(info.value)[1]
    assert s3.get_object(Bucket=LAB_BUCKET, Key="allowed/sub/b.txt")["Body"].read() == \
        b"body of allowed/sub/b.txt"
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=LAB_BUCKET, Key="blocked/c.txt")
    assert error(info.value) == (
        "AccessDenied",
        "User: arn:aws:iam::111122223333:user/lab-reader is not authorized to perform: s3:GetObject on "
        f'resource: "arn:aws:s3:::{LAB_BUCKET}/blocked/c.txt" because no identity-based policy allows the '
        "s3:GetObject action", 403)
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket="other-bucket", Key="allowed/x.txt")
    assert error(info.value)[0] == "AccessDenied"
    with pytest.raises(ClientError) as info:
        s3.head_object(Bucket=LAB_BUCKET, Key="blocked/c.txt")
    assert error(info.value)[2] == 403
    assert s3.head_object(Bucket=LAB_BUCKET, Key="allowed/a.txt")["ContentLength"] == 21
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket=LAB_BUCKET, Key="allowed/new.txt", Body=b"no")
    assert "s3:PutObject" in error(info.value)[1]
    with pytest.raises(ClientError):
        s3.list_buckets()


def test_denials_are_audited(srv: PodidServer, reader: tuple[str, str]) -> None:
    s3 = srv.client("s3", credentials=reader)
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=LAB_BUCKET, Key="blocked/c.txt")
    request_id = info.value.response["ResponseMetadata"]["RequestId"]
    events = [e for e in srv.audit_events() if e["requestID"] == request_id]
    assert len(events) == 1
    event = events[0]
    assert event["eventName"] == "GetObject" and event["errorCode"] == "AccessDenied"
    assert event["podid"]["decision"] == "implicit_deny"
    assert event["podid"]["eventCategory"] == "Data"
    assert event["podid"]["resources"] == [f"arn:aws:s3:::{LAB_BUCKET}/blocked/c.txt"]
    assert event["errorMessage"] == error(info.value)[1]
    assert event["userIdentity"]["arn"].endswith(":user/lab-reader")
    ok = s3.get_object(Bucket=LAB_BUCKET, Key="allowed/a.txt")
    rid = ok["ResponseMetadata"]["RequestId"]
    allowed = [e for e in srv.audit_events() if e["requestID"] == rid]
    assert allowed and allowed[0]["podid"]["decision"] == "allowed"
    assert allowed[0]["podid"]["deciding"].startswith("identity:inline:Statement[1]")


def test_presigned_urls(srv: PodidServer, reader: tuple[str, str]) -> None:
    s3 = srv.client("s3", credentials=reader, signature_version="s3v4")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": LAB_BUCKET, "Key": "allowed/a.txt"})
    assert "X-Amz-Signature=" in url
    ok = http("GET", url)
    assert ok.status_code == 200 and ok.content == b"body of allowed/a.txt"
    url = s3.generate_presigned_url("get_object", Params={"Bucket": LAB_BUCKET, "Key": "blocked/c.txt"})
    denied = http("GET", url)
    assert denied.status_code == 403
    assert "<Code>AccessDenied</Code>" in denied.text and "user/lab-reader is not authorized" in denied.text
    tampered = http("GET", url.replace("blocked/c.txt", "allowed/a.txt"))
    assert tampered.status_code == 403 and "SignatureDoesNotMatch" in tampered.text
    admin = srv.client("s3", signature_version="s3v4")
    put_url = admin.generate_presigned_url("put_object", Params={"Bucket": LAB_BUCKET, "Key": "up/p.txt"})
    assert http("PUT", put_url, content=b"presigned put").status_code == 200
    assert admin.get_object(Bucket=LAB_BUCKET, Key="up/p.txt")["Body"].read() == b"presigned put"
    # a SigV2 presigned URL (botocore signature_version="s3") is verified and authorised like any other
    v2 = srv.client("s3", credentials=reader, signature_version="s3")
    v2_url = v2.generate_presigned_url("get_object", Params={"Bucket": LAB_BUCKET, "Key": "allowed/a.txt"})
    assert "AWSAccessKeyId=" in v2_url and "Signature=" in v2_url
    served = http("GET", v2_url)
    assert served.status_code == 200 and served.content == b"body of allowed/a.txt", served.text
    v2_blocked = v2.generate_presigned_url(
        "get_object", Params={"Bucket": LAB_BUCKET, "Key": "blocked/c.txt"}
    )
    refused = http("GET", v2_blocked)
    assert refused.status_code == 403 and "<Code>AccessDenied</Code>" in refused.text, refused.text


def test_virtual_host_style(srv: PodidServer, reader: tuple[str, str]) -> None:
    host = f"{LAB_BUCKET}.s3.localhost:{srv.port}"
    for key, status in (("allowed/a.txt", 200), ("blocked/c.txt", 403)):
        req = sign("GET", f"http://{host}/{key}", b"", service="s3", akid=reader[0], secret=reader[1],
                   s3=True)
        resp = send(srv.url, req)
        assert resp.status_code == status, resp.text
        if status == 200:
            assert resp.content == f"body of {key}".encode()
        else:
            assert error_code(resp) == "AccessDenied"
            assert f'"arn:aws:s3:::{LAB_BUCKET}/{key}"' in resp.text
    listing = send(srv.url, sign("GET", f"http://{host}/?list-type=2&prefix=allowed%2F", b"", service="s3",
                                 akid=reader[0], secret=reader[1], s3=True))
    assert listing.status_code == 200 and "<Key>allowed/a.txt</Key>" in listing.text


def test_streaming_chunked_upload(srv: PodidServer) -> None:
    payload = bytes(range(256)) * 100   # 25600 bytes -> 4 chunks
    resp = streaming_put(srv.url, f"127.0.0.1:{srv.port}", f"/{LAB_BUCKET}/stream/obj.bin", payload,
                         srv.access_key_id, srv.secret_access_key)
    assert resp.status_code == 200, resp.text
    got = srv.client("s3").get_object(Bucket=LAB_BUCKET, Key="stream/obj.bin")["Body"].read()
    assert got == payload


def test_multipart_upload(srv: PodidServer) -> None:
    s3 = srv.client("s3")
    parts_data = [os.urandom(5 * 1024 * 1024), b"tail" * 1000]
    upload = s3.create_multipart_upload(Bucket=LAB_BUCKET, Key="mp/big.bin")["UploadId"]
    parts = []
    for n, data in enumerate(parts_data, start=1):
        etag = s3.upload_part(Bucket=LAB_BUCKET, Key="mp/big.bin", UploadId=upload, PartNumber=n,
                              Body=data)["ETag"]
        parts.append({"ETag": etag, "PartNumber": n})
    s3.complete_multipart_upload(Bucket=LAB_BUCKET, Key="mp/big.bin", UploadId=upload,
                                 MultipartUpload={"Parts": parts})
    body = s3.get_object(Bucket=LAB_BUCKET, Key="mp/big.bin")["Body"].read()
    assert body == b"".join(parts_data)


# -- bucket policies -------------------------------------------------------------------------------
def test_bucket_policy_grants_and_denies(srv: PodidServer) -> None:
    creds = make_user(srv, "bp-user", None)
    admin, user = srv.client("s3"), srv.client("s3", credentials=creds)
    admin.create_bucket(Bucket="bp-bucket")
    admin.put_object(Bucket="bp-bucket", Key="pub/x", Body=b"1")
    admin.put_object(Bucket="bp-bucket", Key="secret/y", Body=b"2")
    with pytest.raises(ClientError):
        user.get_object(Bucket="bp-bucket", Key="pub/x")
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/bp-user"},
         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bp-bucket/*"},
        {"Sid": "NoSecrets", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::bp-bucket/secret/*"}]}
    admin.put_bucket_policy(Bucket="bp-bucket", Policy=json.dumps(policy))
    assert user.get_object(Bucket="bp-bucket", Key="pub/x")["Body"].read() == b"1"
    with pytest.raises(ClientError) as info:
        user.get_object(Bucket="bp-bucket", Key="secret/y")
    code, message, status = error(info.value)
    assert (code, status) == ("AccessDenied", 403)
    assert message.endswith("with an explicit deny in a resource-based policy")
    with pytest.raises(ClientError) as info:   # the admin is denied too: explicit deny wins
        admin.get_object(Bucket="bp-bucket", Key="secret/y")
    assert error(info.value)[0] == "AccessDenied"
    with pytest.raises(ClientError) as info:
        admin.put_bucket_policy(Bucket="bp-bucket", Policy='{"Version": "2012-10-17", "Statement": [}')
    assert error(info.value)[0] == "MalformedPolicy"
    admin.delete_bucket_policy(Bucket="bp-bucket")
    assert admin.get_object(Bucket="bp-bucket", Key="secret/y")["Body"].read() == b"2"


# -- the other services: one allowed and one denied call each through real boto3 clients -----------
SERVICE_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:GetQueueUrl"],
     "Resource": "arn:aws:sqs:us-east-1:111122223333:ok-queue"},
    {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
     "Resource": "arn:aws:secretsmanager:us-east-1:111122223333:secret:ok-secret-*"},
    {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
     "Resource": "arn:aws:dynamodb:us-east-1:111122223333:table/ok-table"},
    {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"},
    {"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*",
     "Condition": {"StringEquals": {"cloudwatch:namespace": "OkApp"}}},
    {"Effect": "Allow", "Action": ["logs:PutLogEvents", "logs:CreateLogStream"],
     "Resource": "arn:aws:logs:us-east-1:111122223333:log-group:ok-group:*"},
]}


@pytest.fixture(scope="module")
def svc_user(srv: PodidServer) -> tuple[str, str]:
    sqs = srv.client("sqs")
    for name in ("ok-queue", "no-queue"):
        sqs.create_queue(QueueName=name)
    sm = srv.client("secretsmanager")
    for name in ("ok-secret", "no-secret"):
        sm.create_secret(Name=name, SecretString=f"value of {name}")
    ddb = srv.client("dynamodb")
    for name in ("ok-table", "no-table"):
        ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        ddb.put_item(TableName=name, Item={"pk": {"S": "1"}, "v": {"S": name}})
    logs = srv.client("logs")
    for name in ("ok-group", "no-group"):
        logs.create_log_group(logGroupName=name)
        logs.create_log_stream(logGroupName=name, logStreamName="s")
    return make_user(srv, "svc-user", SERVICE_POLICY)


def _denied(fn: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as info:
        fn()
    return error(info.value)


def test_sqs(srv: PodidServer, svc_user: tuple[str, str]) -> None:
    sqs = srv.client("sqs", credentials=svc_user)
    url = sqs.get_queue_url(QueueName="ok-queue")["QueueUrl"]
    assert url.startswith(srv.url)
    sent = sqs.send_message(QueueUrl=url, MessageBody="hello")["MessageId"]
    assert sent
    no_url = url.replace("ok-queue", "no-queue")
    code, message, status = _denied(lambda: sqs.send_message(QueueUrl=no_url, MessageBody="x"))
    assert (code, status) == ("AccessDenied", 403)
    assert "not authorized to perform: sqs:sendmessage on resource: " \
           "arn:aws:sqs:us-east-1:111122223333:no-queue" in message
    # the queue is the module's: test_sqs_query_protocol may have sent to it too
    received = srv.client("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=0, MaxNumberOfMessages=10)
    assert {m["MessageId"]: m["Body"] for m in received["Messages"]}[sent] == "hello"


def test_sqs_query_protocol(srv: PodidServer, svc_user: tuple[str, str]) -> None:
    base = f"{srv.url}/111122223333/"
    for queue, status in (("ok-queue", 200), ("no-queue", 403)):
        body = f"Action=SendMessage&Version=2012-11-05&MessageBody=q&QueueUrl={base}{queue}".replace(
            ":", "%3A").replace("/", "%2F").encode()
        req = sign("POST", f"{srv.url}/", body, service="sqs", akid=svc_user[0], secret=svc_user[1])
        resp = send(srv.url, req)
        assert resp.status_code == status, resp.text
        if status == 200:
            assert "<SendMessageResponse" in resp.text and "<MessageId>" in resp.text
        else:
            assert "<Code>AccessDenied</Code>" in resp.text and "sqs:sendmessage" in resp.text


def test_sqs_long_poll_is_answered_by_a_concurrent_send(srv: PodidServer) -> None:
    """A worker long-polling an empty queue gets the message another client sends meanwhile; the
    send does not wait for the poll (moto waits inside its handler: podid polls outside its lock)."""
    admin = srv.client("sqs")
    url = admin.create_queue(QueueName="long-poll")["QueueUrl"]
    received: dict[str, Any] = {}
    sent = threading.Event()

    def worker() -> None:
        received["answer"] = srv.client("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=20)
        received["after_send"] = sent.is_set()

    thread = threading.Thread(target=worker)
    thread.start()
    time.sleep(0.5)                                      # the worker is waiting by now
    admin.send_message(QueueUrl=url, MessageBody="work item")
    sent.set()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert [m["Body"] for m in received["answer"]["Messages"]] == ["work item"]
    assert received["after_send"]                        # the send ended the poll, not its 20 s


def test_many_long_polls_do_not_starve_other_calls(srv: PodidServer) -> None:
    """More waiting workers than anyio's default 40 threads: STS still answers while they wait."""
    admin = srv.client("sqs")
    url = admin.create_queue(QueueName="many-pollers")["QueueUrl"]
    clients = [srv.client("sqs") for _ in range(45)]
    got: list[str] = []

    def worker(client: Any) -> None:
        answer = client.receive_message(QueueUrl=url, WaitTimeSeconds=15)
        got.extend(m["Body"] for m in answer.get("Messages", []))

    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    time.sleep(1.0)                                          # every worker is waiting by now
    assert srv.client("sts").get_caller_identity()["Account"] == srv.account_id
    assert all(t.is_alive() for t in threads) and not got    # answered while all 45 still wait
    for i in range(45):
        admin.send_message(QueueUrl=url, MessageBody=f"m{i}")
    for t in threads:
        t.join(timeout=30)
    assert sorted(got) == sorted(f"m{i}" for i in range(45))


def test_sqs_queue_wait_attribute_and_empty_answer(srv: PodidServer) -> None:
    admin = srv.client("sqs")
    url = admin.create_queue(QueueName="waiting",
                             Attributes={"ReceiveMessageWaitTimeSeconds": "1"})["QueueUrl"]
    started = time.monotonic()
    assert "Messages" not in admin.receive_message(QueueUrl=url)          # waits the queue's 1 s
    assert time.monotonic() - started >= 0.9
    with pytest.raises(ClientError) as info:                              # out of range: SQS's error
        admin.receive_message(QueueUrl=url, WaitTimeSeconds=21)
    assert error(info.value)[0] in ("InvalidParameterValue", "InvalidParameterValueException")


def test_sqs_queue_policy(srv: PodidServer) -> None:
    creds = make_user(srv, "qp-user", None)
    admin, user = srv.client("sqs"), srv.client("sqs", credentials=creds)
    url = admin.create_queue(QueueName="qp-queue")["QueueUrl"]
    _denied(lambda: user.send_message(QueueUrl=url, MessageBody="x"))
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/qp-user"},
        "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:111122223333:qp-queue"}]}
    admin.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    assert user.send_message(QueueUrl=url, MessageBody="x")["MessageId"]
    code = _denied(lambda: admin.set_queue_attributes(QueueUrl=url, Attributes={"Policy": "{not json"}))[0]
    assert code == "InvalidAttributeValue"


def test_secretsmanager(srv: PodidServer, svc_user: tuple[str, str]) -> None:
    sm = srv.client("secretsmanager", credentials=svc_user)
    assert sm.get_secret_value(SecretId="ok-secret")["SecretString"] == "value of ok-secret"
    code, message, status = _denied(lambda: sm.get_secret_value(SecretId="no-secret"))
    assert (code, status) == ("AccessDeniedException", 400)
    assert message == ("User: arn:aws:iam::111122223333:user/svc-user is not authorized to perform: "
                       "secretsmanager:GetSecretValue on resource: no-secret because no identity-based "
                       "policy allows the secretsmanager:GetSecretValue action")


def test_secret_resource_policy_denies(srv: PodidServer, svc_user: tuple[str, str]) -> None:
    admin = srv.client("secretsmanager")
    admin.create_secret(Name="ok-secret-locked", SecretString="v")
    sm = srv.client("secretsmanager", credentials=svc_user)
    assert sm.get_secret_value(SecretId="ok-secret-locked")["SecretString"] == "v"
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111122223333:user/svc-user"},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
    admin.put_resource_policy(SecretId="ok-secret-locked", ResourcePolicy=json.dumps(policy))
    code, message, _ = _denied(lambda: sm.get_secret_value(SecretId="ok-secret-locked"))
    assert code == "AccessDeniedException"
    assert message.endswith("with an explicit deny in a resource-based policy")
    code = _denied(lambda: admin.put_resource_policy(SecretId="ok-secret-locked", ResourcePolicy="[]"))[0]
    assert code == "MalformedPolicyDocumentException"


def test_dynamodb(srv: PodidServer, svc_user: tuple[str, str]) -> None:
    ddb = srv.client("dynamodb", credentials=svc_user)
    assert ddb.get_item(TableName="ok-table", Key={"pk": {"S": "1"}})["Item"]["v"]["S"] == "ok-table"
    code, message, status = _denied(lambda: ddb.get_item(TableName="no-table", Key={"pk": {"S": "1"}}))
    assert (code, status) == ("AccessDeniedException", 400)
    assert "dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:111122223333:table/no-table" in message


def test_dynamodb_table_policy(srv: PodidServer) -> None:
    creds = make_user(srv, "tp-user", None)
    admin = srv.client("dynamodb")
    table = admin.create_table(TableName="tp-table", BillingMode="PAY_PER_REQUEST",
                               AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                               KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    arn = table["TableDescription"]["TableArn"]
    user = srv.client("dynamodb", credentials=creds)
    _denied(lambda: user.get_item(TableName="tp-table", Key={"pk": {"S": "1"}}))
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/tp-user"},
        "Action": "dynamodb:GetItem", "Resource": arn}]}
    admin.put_resource_policy(ResourceArn=arn, Policy=json.dumps(policy))
    assert "Item" not in user.get_item(TableName="tp-table", Key={"pk": {"S": "1"}})


def test_kms(srv: PodidServer, svc_user: tuple[str, str]) -> None:
    admin = srv.client("kms")
    delegating = admin.create_key()["KeyMetadata"]["KeyId"]      # default policy: delegates to the account
    kms = srv.client("kms", credentials=svc_user)
    blob = kms.encrypt(KeyId=delegating, Plaintext=b"data")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"data"
    admin_arn = srv.client("sts").get_caller_identity()["Arn"]
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "AdminOnly", "Effect": "Allow", "Principal": {"AWS": admin_arn}, "Action": "kms:*",
        "Resource": "*"}]}
    closed = admin.create_key(Policy=json.dumps(policy))["KeyMetadata"]["KeyId"]
    assert admin.encrypt(KeyId=closed, Plaintext=b"x")["CiphertextBlob"]
    code, message, status = _denied(lambda: kms.encrypt(KeyId=closed, Plaintext=b"x"))
    assert (code, status) == ("AccessDeniedException", 400)
    assert f"kms:Encrypt on resource: arn:aws:kms:us-east-1:111122223333:key/{closed}" in message
    # PutKeyPolicy that delegates to the account again opens it to the identity policy
    root = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*",
        "Resource": "*"}]}
    admin.put_key_policy(KeyId=closed, PolicyName="default", Policy=json.dumps(root))
    assert kms.encrypt(KeyId=closed, Plaintext=b"x")["CiphertextBlob"]


def test_cloudwatch_cbor(srv: PodidServer, svc_user: tuple[str, str]) -> None:
    cw = srv.client("cloudwatch", credentials=svc_user)
    cw.put_metric_data(Namespace="OkApp", MetricData=[{"MetricName": "m", "Value": 1.0}])
    code, message, status = _denied(
        lambda: cw.put_metric_data(Namespace="Other", MetricData=[{"MetricName": "m", "Value": 1.0}]))
    assert (code, status) == ("AccessDenied", 403)
    assert "cloudwatch:PutMetricData" in message
    names = [m["MetricName"] for m in srv.client("cloudwatch").list_metrics(Namespace="OkApp")["Metrics"]]
    assert names == ["m"]


def test_logs(srv: PodidServer, svc_user: tuple[str, str]) -> None:
    logs = srv.client("logs", credentials=svc_user)
    event = [{"timestamp": 1_700_000_000_000, "message": "hi"}]
    logs.put_log_events(logGroupName="ok-group", logStreamName="s", logEvents=event)
    code, message, status = _denied(
        lambda: logs.put_log_events(logGroupName="no-group", logStreamName="s", logEvents=event))
    assert (code, status) == ("AccessDeniedException", 400)
    assert "logs:PutLogEvents" in message


def test_abac_principal_tags(srv: PodidServer) -> None:
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
        "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}}]}
    creds = make_user(srv, "abac-user", policy, tags={"team": "blue"})
    admin = srv.client("secretsmanager")
    admin.create_secret(Name="blue-secret", SecretString="b", Tags=[{"Key": "team", "Value": "blue"}])
    admin.create_secret(Name="red-secret", SecretString="r", Tags=[{"Key": "team", "Value": "red"}])
    sm = srv.client("secretsmanager", credentials=creds)
    assert sm.get_secret_value(SecretId="blue-secret")["SecretString"] == "b"
    assert _denied(lambda: sm.get_secret_value(SecretId="red-secret"))[0] == "AccessDeniedException"


# -- durability and record mode (private servers) ---------------------------------------------------
def test_objects_survive_restart(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with start_podid(state) as first:
        s3 = first.client("s3")
        s3.create_bucket(Bucket="durable")
        s3.put_object(Bucket="durable", Key="k", Body=b"persisted")
        first.client("sqs").create_queue(QueueName="durable-q")
    with start_podid(state) as second:
        assert second.client("s3").get_object(Bucket="durable", Key="k")["Body"].read() == b"persisted"
        urls = second.client("sqs").list_queues()["QueueUrls"]
        assert any(u.endswith("/durable-q") for u in urls)


def test_acknowledged_writes_survive_a_crash(tmp_path: Path) -> None:
    """Default sync durability: what the aws CLI saw succeed is on disk even after SIGKILL (single
    PutObject and a CLI multipart upload go through the S3 journal, bucket creation a snapshot)."""
    state = tmp_path / "state"
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * (20 * 4096))   # 20 MiB: the CLI uploads it in 3 parts
    with start_podid(state) as first:
        first.aws("s3", "mb", "s3://crash-test", check=True)
        first.aws("s3", "cp", str(big), "s3://crash-test/big.bin", check=True)
        first.client("s3").put_object(Bucket="crash-test", Key="small", Body=b"acknowledged")
        first.process.kill()                       # no shutdown, no final flush
        first.process.wait(timeout=15)
    with start_podid(state) as second:
        s3 = second.client("s3")
        assert s3.get_object(Bucket="crash-test", Key="small")["Body"].read() == b"acknowledged"
        assert s3.get_object(Bucket="crash-test", Key="big.bin")["Body"].read() == big.read_bytes()
        assert s3.head_object(Bucket="crash-test", Key="big.bin")["ETag"].endswith('-3"')  # 3 parts


def test_record_mode(tmp_path: Path) -> None:
    with start_podid(tmp_path / "state", extra_args=["--mode", "record"]) as server:
        server.client("s3").create_bucket(Bucket=LAB_BUCKET)
        server.client("s3").put_object(Bucket=LAB_BUCKET, Key="blocked/c.txt", Body=b"c")
        creds = make_user(server, "rec-user", lab_policy())
        s3 = server.client("s3", credentials=creds)
        got = s3.get_object(Bucket=LAB_BUCKET, Key="blocked/c.txt")
        assert got["Body"].read() == b"c"
        rid = got["ResponseMetadata"]["RequestId"]
        event = next(e for e in server.audit_events() if e["requestID"] == rid)
        assert event["podid"]["decision"] == "implicit_deny"
        assert event["podid"]["enforced"] is False
        assert event["podid"]["note"] == \
            f"would be denied: needs s3:GetObject on arn:aws:s3:::{LAB_BUCKET}/blocked/c.txt"
        assert "errorCode" not in event
