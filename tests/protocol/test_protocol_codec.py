"""podid.protocol: parse and serialise for query, json, rest-json and rest-xml; AWS error shapes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import botocore.session
import pytest
from botocore.awsrequest import prepare_request_dict
from botocore.model import ServiceModel
from botocore.parsers import create_parser as client_parser
from botocore.serialize import create_serializer as client_serializer

from podid.errors import ServiceError
from podid.protocol import WireRequest, parse, serialize_error, serialize_result

_SESSION = botocore.session.get_session()


def _client_request(service: str, operation: str, params: dict[str, object]) -> WireRequest:
    """The request botocore's client would send (its own serializer), as the server receives it."""
    model: ServiceModel = _SESSION.get_service_model(service)
    op = model.operation_model(operation)
    request_dict = client_serializer(model.protocol, include_validation=True).serialize_to_request(params, op)
    prepare_request_dict(request_dict, endpoint_url="http://127.0.0.1:4566")
    from botocore.awsrequest import AWSRequest

    prepared = AWSRequest(
        method=request_dict["method"],
        url=request_dict["url"],
        data=request_dict["body"],
        headers=request_dict["headers"],
    ).prepare()
    from urllib.parse import urlsplit

    parts = urlsplit(prepared.url)
    body = prepared.body or b""
    headers = [(k, str(v)) for k, v in prepared.headers.items()] + [("Host", parts.netloc)]
    return WireRequest(
        prepared.method,
        parts.path or "/",
        parts.query,
        headers,
        body.encode() if isinstance(body, str) else body,
    )


def _client_parse(service: str, operation: str, response: object) -> dict[str, object]:
    model = _SESSION.get_service_model(service)
    op = model.operation_model(operation)
    http = {
        "status_code": response.status_code,  # type: ignore[attr-defined]
        "headers": {k.decode(): v.decode() for k, v in response.raw_headers},  # type: ignore[attr-defined]
        "body": response.body,
    }  # type: ignore[attr-defined]
    return client_parser(model.protocol).parse(http, op.output_shape)  # type: ignore[no-any-return]


CASES = [
    (
        "sts",
        "AssumeRole",
        {
            "RoleArn": "arn:aws:iam::111122223333:role/r",
            "RoleSessionName": "s1",
            "Tags": [{"Key": "k", "Value": "v"}],
            "DurationSeconds": 900,
        },
    ),
    ("iam", "CreateUser", {"UserName": "alice", "Path": "/x/"}),
    ("secretsmanager", "GetSecretValue", {"SecretId": "db"}),
    ("dynamodb", "GetItem", {"TableName": "t", "Key": {"id": {"S": "1"}}}),
    ("eks", "DescribeCluster", {"name": "c1"}),
    ("eks-auth", "AssumeRoleForPodIdentity", {"clusterName": "c1", "token": "jwt"}),
    ("s3", "GetObject", {"Bucket": "b", "Key": "dir/a b+c.txt"}),
    ("s3", "PutObject", {"Bucket": "b", "Key": "k", "Body": b"data"}),
    ("sqs", "SendMessage", {"QueueUrl": "http://127.0.0.1:4566/111122223333/q", "MessageBody": "hi"}),
]


@pytest.mark.parametrize(("service", "operation", "params"), CASES, ids=[f"{s}:{o}" for s, o, _ in CASES])
def test_parse_what_botocore_sends(service: str, operation: str, params: dict[str, object]) -> None:
    name, parsed = parse(service, _client_request(service, operation, params))
    assert name == operation
    for key, value in params.items():
        got = parsed[key]
        if hasattr(got, "read"):
            got = got.read()
        assert got == value, key


def test_serialize_result_round_trips_through_botocore() -> None:
    req = _client_request("sts", "GetCallerIdentity", {})
    out = {"UserId": "AIDAEXAMPLE", "Account": "111122223333", "Arn": "arn:aws:iam::111122223333:user/a"}
    response = serialize_result("sts", "GetCallerIdentity", out, req, "req-1")
    parsed = _client_parse("sts", "GetCallerIdentity", response)
    assert {k: parsed[k] for k in out} == out
    assert parsed["ResponseMetadata"]["RequestId"] == "req-1"  # type: ignore[index]

    req = _client_request("secretsmanager", "GetSecretValue", {"SecretId": "db"})
    response = serialize_result(
        "secretsmanager", "GetSecretValue", {"Name": "db", "SecretString": "s"}, req, "r"
    )
    assert json.loads(response.body) == {"Name": "db", "SecretString": "s"}


def test_error_shapes() -> None:
    err = ServiceError("AccessDenied", "nope", 403)
    query = serialize_error(
        "sts", "GetCallerIdentity", err, _client_request("sts", "GetCallerIdentity", {}), "r1"
    )
    text = query.body.decode()
    assert query.status_code == 403
    assert "<ErrorResponse" in text and "<Type>Sender</Type>" in text and "<Code>AccessDenied</Code>" in text
    assert "<Message>nope</Message>" in text and "<RequestId>r1</RequestId>" in text

    jreq = _client_request("secretsmanager", "GetSecretValue", {"SecretId": "db"})
    j = serialize_error(
        "secretsmanager", None, ServiceError("AccessDeniedException", "nope", 400), jreq, "r2"
    )
    assert json.loads(j.body)["__type"].endswith("AccessDeniedException") and j.status_code == 400

    rj = serialize_error(
        "eks",
        None,
        ServiceError("AccessDeniedException", "nope", 403),
        _client_request("eks", "DescribeCluster", {"name": "c"}),
        "r3",
    )
    headers = {k.decode(): v.decode() for k, v in rj.raw_headers}
    assert headers["x-amzn-errortype"].startswith("AccessDeniedException")
    assert json.loads(rj.body)["message"] == "nope"

    s3 = serialize_error(
        "s3",
        None,
        ServiceError("NoSuchBucket", "gone", 404),
        _client_request("s3", "GetObject", {"Bucket": "b", "Key": "k"}),
        "r4",
    )
    assert s3.body.decode().count("<Error>") == 1 and "<Code>NoSuchBucket</Code>" in s3.body.decode()
    assert s3.status_code == 404


def test_receiver_fault() -> None:
    err = ServiceError("InternalFailure", "boom", 500, sender_fault=False)
    resp = serialize_error("sts", None, err, _client_request("sts", "GetCallerIdentity", {}), "r")
    assert resp.status_code == 500 and "<Type>Sender</Type>" not in resp.body.decode()


@pytest.mark.parametrize(
    ("service", "body", "headers", "code"),
    [
        (
            "sts",
            b"Action=Nope&Version=2011-06-15",
            {"Content-Type": "application/x-www-form-urlencoded"},
            "InvalidAction",
        ),
        (
            "dynamodb",
            b"{}",
            {"X-Amz-Target": "DynamoDB_20120810.Nope", "Content-Type": "application/x-amz-json-1.0"},
            "UnknownOperationException",
        ),
    ],
)
def test_unknown_operation(service: str, body: bytes, headers: dict[str, str], code: str) -> None:
    req = WireRequest("POST", "/", "", [*headers.items(), ("Host", "localhost")], body)
    with pytest.raises(ServiceError) as info:
        parse(service, req)
    assert info.value.code == code


def test_import_starts_no_threads_and_touches_no_home(tmp_path: Path) -> None:
    code = (
        "import threading, podid.protocol as p; p.service_model('s3'); p.service_model('sts');"
        "print(threading.active_count())"
    )
    env = dict(os.environ, HOME=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"
    assert list(tmp_path.iterdir()) == []
