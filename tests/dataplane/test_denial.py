"""AccessDenied on the wire, per data-plane service: built by :func:`denial_error`, serialised by
:mod:`podid.protocol` for the request each protocol's client sends, parsed back by botocore; then
end to end through a real ``podid up`` with boto3 and the aws CLI."""

from __future__ import annotations

import copy
import json
import os
import subprocess
from typing import Any
from urllib.parse import urlencode, urlsplit
from xml.etree import ElementTree

import botocore.session
import cbor2
import pytest
from botocore.awsrequest import AWSRequest, prepare_request_dict
from botocore.exceptions import ClientError
from botocore.model import ServiceModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from podid.dataplane.denial import denial_error, service_message
from podid.dataplane.kit import AuthzItem
from podid.protocol import WireRequest, serialize_error
from support.server import PodidServer

from .gateway_support import make_user

USER = "arn:aws:sts::111122223333:assumed-role/r/s"
SESSION = botocore.session.get_session()


def _msg(action: str, resource: str, user: str = USER) -> str:
    return (f"User: {user} is not authorized to perform: {action} on resource: {resource} "
            f"because no identity-based policy allows the {action} action")


def _model(service: str, protocol: str) -> ServiceModel:
    """botocore's model of ``service`` speaking only ``protocol`` (as an SDK configured for it)."""
    desc = copy.deepcopy(SESSION.get_service_model(service)._service_description)
    desc["metadata"].update(protocol=protocol, protocols=[protocol])
    return ServiceModel(desc, service)


def _client_request(service: str, protocol: str, operation: str, params: dict[str, Any]) -> WireRequest:
    """The request botocore's own serializer sends for ``operation`` in ``protocol``."""
    if protocol == "query":   # botocore no longer has SQS's query model; older SDKs send this form
        body = urlencode({"Action": operation, "Version": "2012-11-05", **params}).encode()
        form = "application/x-www-form-urlencoded; charset=utf-8"
        return WireRequest("POST", "/", "", [("Content-Type", form), ("Host", "127.0.0.1:4566")], body)
    model = _model(service, protocol)
    request = create_serializer(protocol).serialize_to_request(params, model.operation_model(operation))
    prepare_request_dict(request, endpoint_url="http://127.0.0.1:4566")
    prepared = AWSRequest(method=request["method"], url=request["url"], data=request["body"],
                          headers=request["headers"]).prepare()
    parts = urlsplit(prepared.url)
    body = prepared.body or b""
    return WireRequest(prepared.method, parts.path or "/", parts.query,
                       [(k, str(v)) for k, v in prepared.headers.items()] + [("Host", parts.netloc)],
                       body.encode() if isinstance(body, str) else body)


# (scope, botocore name, protocol, operation, params, action, resource, message resource,
#  expected code, status, content type, JSON/CBOR __type, JSON/CBOR message member)
CORAL = "com.amazon.coral.service#AccessDeniedException"
SEND = {"QueueUrl": "http://127.0.0.1/111122223333/q", "MessageBody": "x"}
CASES = [
    ("s3", "s3", "rest-xml", "GetObject", {"Bucket": "b", "Key": "k"}, "s3:GetObject", "arn:aws:s3:::b/k",
     None, "AccessDenied", 403, "application/xml", None, None),
    ("secretsmanager", "secretsmanager", "json", "GetSecretValue", {"SecretId": "db"},
     "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:111122223333:secret:db", "db",
     "AccessDeniedException", 400, "application/x-amz-json-1.1", "AccessDeniedException", "Message"),
    ("sqs", "sqs", "json", "SendMessage", SEND,
     "sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q", None,
     "AccessDenied", 403, "application/x-amz-json-1.0", CORAL, "message"),
    ("sqs", "sqs", "query", "SendMessage", SEND,
     "sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q", None,
     "AccessDenied", 403, "text/xml", None, None),
    ("dynamodb", "dynamodb", "json", "GetItem", {"TableName": "t", "Key": {"id": {"S": "1"}}},
     "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:111122223333:table/t", None,
     "AccessDeniedException", 400, "application/x-amz-json-1.0", CORAL, "Message"),
    ("kms", "kms", "json", "Decrypt", {"CiphertextBlob": b"blob"},
     "kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:key/k", None,
     "AccessDeniedException", 400, "application/x-amz-json-1.1", "AccessDeniedException", "Message"),
    ("monitoring", "cloudwatch", "smithy-rpc-v2-cbor", "PutMetricData",
     {"Namespace": "n", "MetricData": [{"MetricName": "m", "Value": 1.0}]}, "cloudwatch:PutMetricData", "*",
     None, "AccessDenied", 403, "application/cbor", CORAL, "message"),
    ("monitoring", "cloudwatch", "json", "PutMetricData",
     {"Namespace": "n", "MetricData": [{"MetricName": "m", "Value": 1.0}]}, "cloudwatch:PutMetricData", "*",
     None, "AccessDenied", 403, "application/x-amz-json-1.0", CORAL, "message"),
    ("monitoring", "cloudwatch", "query", "PutMetricData",
     {"Namespace": "n", "MetricData": [{"MetricName": "m", "Value": 1.0}]}, "cloudwatch:PutMetricData", "*",
     None, "AccessDenied", 403, "text/xml", None, None),
    ("logs", "logs", "json", "PutLogEvents",
     {"logGroupName": "g", "logStreamName": "s", "logEvents": [{"timestamp": 1, "message": "m"}]},
     "logs:PutLogEvents", "arn:aws:logs:us-east-1:111122223333:log-group:g", None,
     "AccessDeniedException", 400, "application/x-amz-json-1.1", "AccessDeniedException", "Message"),
]


def _expected_message(scope: str, action: str, resource: str, message_resource: str | None) -> str:
    """How AWS prints the denial in ``scope`` (the quirks spelled out, not computed by podid)."""
    if scope == "s3":
        return _msg(action, f'"{resource}"')
    if scope == "sqs":
        return _msg(action.lower(), resource)
    return _msg(action, message_resource or resource)


@pytest.mark.parametrize("case", CASES, ids=[f"{c[1]}-{c[2]}" for c in CASES])
def test_denial_on_the_wire(case: tuple[Any, ...]) -> None:
    (scope, service, protocol, operation, params, action, resource, message_resource,
     code, status, ctype, wire_type, member) = case
    item = AuthzItem(action, resource, message_resource=message_resource)
    wire = _client_request(service, protocol, operation, params)
    error = denial_error(scope, _msg(action, resource), item)
    assert (error.code, error.status) == (code, status)
    response = serialize_error(service, operation, error, wire, "REQ-1")
    headers = {k.decode(): v.decode() for k, v in response.raw_headers}
    body = bytes(response.body)
    expected = _expected_message(scope, action, resource, message_resource)

    assert response.status_code == status
    assert headers["content-type"] == ctype
    assert int(headers["content-length"]) == len(body)
    assert headers["x-amz-request-id" if scope == "s3" else "x-amzn-requestid"] == "REQ-1"
    query_compatible = scope in ("sqs", "monitoring")
    if query_compatible and protocol != "query":
        assert headers["x-amzn-query-error"] == "AccessDenied;Sender"
    else:
        assert "x-amzn-query-error" not in headers
    if wire_type is not None:   # JSON / CBOR: the raw body AWS prints
        raw = cbor2.loads(body) if protocol == "smithy-rpc-v2-cbor" else json.loads(body)
        assert raw == {"__type": wire_type, member: expected}
    else:                       # XML
        root = ElementTree.fromstring(body)
        if scope == "s3":
            assert [(n.tag, n.text) for n in root] == [
                ("Code", "AccessDenied"), ("Message", expected), ("RequestId", "REQ-1"),
                ("HostId", headers["x-amz-id-2"])]
            assert root.tag == "Error" and len(headers["x-amz-id-2"]) == 76
        else:
            ns = {"a": root.tag[1:].split("}")[0]}
            assert root.tag.endswith("ErrorResponse")
            assert root.findtext("a:Error/a:Code", namespaces=ns) == code
            assert root.findtext("a:Error/a:Type", namespaces=ns) == "Sender"
            assert root.findtext("a:RequestId", namespaces=ns) == "REQ-1"

    if protocol != "query" or service == "cloudwatch":   # botocore's parser (SQS query: no model left)
        model = _model(service, protocol)
        parsed = create_parser(protocol).parse({"status_code": status, "headers": headers, "body": body},
                                               model.operation_model(operation).output_shape)
        assert parsed["Error"]["Code"] == code
        assert parsed["Error"]["Message"] == expected
        assert parsed["ResponseMetadata"]["RequestId"] == "REQ-1"


def test_s3_host_id_is_fresh_per_error() -> None:
    item = AuthzItem("s3:GetObject", "arn:aws:s3:::b/k")
    wire = _client_request("s3", "rest-xml", "GetObject", {"Bucket": "b", "Key": "k"})
    ids = {dict((k.decode(), v.decode()) for k, v in
                serialize_error("s3", "GetObject", denial_error("s3", _msg(item.action, item.resource), item),
                                wire, "R").raw_headers)["x-amz-id-2"] for _ in range(3)}
    assert len(ids) == 3


def test_service_message_quirks() -> None:
    arn = "arn:aws:s3:::b"
    assert service_message("s3", _msg("s3:ListBucket", arn), AuthzItem("s3:ListBucket", arn)) == \
        _msg("s3:ListBucket", f'"{arn}"')
    assert service_message("s3", _msg("s3:ListAllMyBuckets", "*"), AuthzItem("s3:ListAllMyBuckets", "*")) == \
        _msg("s3:ListAllMyBuckets", "*")
    q = "arn:aws:sqs:us-east-1:1:q"
    assert service_message("sqs", _msg("sqs:SendMessage", q), AuthzItem("sqs:SendMessage", q)) == \
        _msg("sqs:sendmessage", q)
    sec = "arn:aws:secretsmanager:us-east-1:1:secret:db"
    assert service_message("secretsmanager", _msg("secretsmanager:GetSecretValue", sec),
                           AuthzItem("secretsmanager:GetSecretValue", sec, message_resource="db")) == \
        _msg("secretsmanager:GetSecretValue", "db")
    assert service_message("kms", "unchanged", None) == "unchanged"


# -- end to end: a real podid up, boto3 and the aws CLI ------------------------------------------------

ACCOUNT = "111122223333"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
METRIC = {"Namespace": "DenialWire", "MetricData": [{"MetricName": "m", "Value": 1.0}]}


@pytest.fixture(scope="module")
def nobody(podid_server: PodidServer) -> tuple[str, str, str]:
    """An IAM user with no policy at all: every data-plane call is an implicit deny. (akid, secret, arn)"""
    akid, secret = make_user(podid_server, "denial-wire-nobody")
    return akid, secret, f"arn:aws:iam::{ACCOUNT}:user/denial-wire-nobody"


def _call(srv: PodidServer, creds: tuple[str, str, str], service: str, op: str,
          sent: dict[str, str] | None = None, **params: Any) -> ClientError:
    """The ClientError of ``op`` called as ``creds``; ``sent`` receives the request's headers."""
    client = srv.client(service, credentials=creds[:2])
    if sent is not None:
        client.meta.events.register("before-send", lambda request, **_: sent.update(
            {k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}))
    with pytest.raises(ClientError) as info:
        getattr(client, op)(**params)
    return info.value


E2E = [
    ("s3", "get_object", {"Bucket": "denial-wire-bucket", "Key": "k"}, "AccessDenied", 403,
     "s3:GetObject", '"arn:aws:s3:::denial-wire-bucket/k"', "application/xml"),
    ("secretsmanager", "get_secret_value", {"SecretId": "denial-wire-secret"}, "AccessDeniedException", 400,
     "secretsmanager:GetSecretValue", "denial-wire-secret", "application/x-amz-json-1.1"),
    ("sqs", "send_message", {"QueueUrl": f"http://127.0.0.1/{ACCOUNT}/denial-wire-q", "MessageBody": "x"},
     "AccessDenied", 403, "sqs:sendmessage", f"arn:aws:sqs:us-east-1:{ACCOUNT}:denial-wire-q",
     "application/x-amz-json-1.0"),
    ("dynamodb", "get_item", {"TableName": "denial-wire-t", "Key": {"id": {"S": "1"}}},
     "AccessDeniedException", 400, "dynamodb:GetItem",
     f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/denial-wire-t", "application/x-amz-json-1.0"),
    ("kms", "describe_key", {"KeyId": KEY}, "AccessDeniedException", 400, "kms:DescribeKey", KEY,
     "application/x-amz-json-1.1"),
    ("cloudwatch", "put_metric_data", METRIC, "AccessDenied", 403, "cloudwatch:PutMetricData", "*",
     None),   # None: the media type of the protocol botocore picked
    ("logs", "create_log_group", {"logGroupName": "denial-wire-g"}, "AccessDeniedException", 400,
     "logs:CreateLogGroup", f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:denial-wire-g",
     "application/x-amz-json-1.1"),
]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("case", E2E, ids=[c[0] for c in E2E])
def test_boto3_sees_the_denial(podid_server: PodidServer, nobody: tuple[str, str, str],
                               case: tuple[Any, ...]) -> None:
    service, op, params, code, status, action, resource, ctype = case
    sent: dict[str, str] = {}
    exc = _call(podid_server, nobody, service, op, sent, **params)
    meta = exc.response["ResponseMetadata"]
    assert (exc.response["Error"]["Code"], meta["HTTPStatusCode"]) == (code, status)
    assert exc.response["Error"]["Message"] == _msg(action, resource, nobody[2])
    if ctype is None:   # CloudWatch answers in the protocol it was asked in (CBOR or awsJson 1.0)
        cbor = sent["content-type"] == "application/cbor"
        ctype = "application/cbor" if cbor else "application/x-amz-json-1.0"
        assert sent["content-type"] in ("application/cbor", "application/x-amz-json-1.0")
    elif service != "s3":   # awsJson: answered in the media type it was asked in
        assert sent["content-type"] == ctype
    assert meta["HTTPHeaders"]["content-type"] == ctype
    header = "x-amz-request-id" if service == "s3" else "x-amzn-requestid"
    assert meta["RequestId"] == meta["HTTPHeaders"][header]
    if service == "s3":
        assert meta["HostId"] == meta["HTTPHeaders"]["x-amz-id-2"] and meta["HostId"]
    if service in ("sqs", "cloudwatch"):
        assert meta["HTTPHeaders"]["x-amzn-query-error"] == "AccessDenied;Sender"
    events = [e for e in podid_server.audit_events() if e.get("requestID") == meta["RequestId"]]
    assert [(e["errorCode"], e["userIdentity"]["arn"]) for e in events] == [(code, nobody[2])]


@pytest.mark.timeout(300)
def test_s3_head_denial_has_no_body(podid_server: PodidServer, nobody: tuple[str, str, str]) -> None:
    exc = _call(podid_server, nobody, "s3", "head_object", Bucket="denial-wire-bucket", Key="k")
    meta = exc.response["ResponseMetadata"]
    assert (exc.response["Error"]["Code"], meta["HTTPStatusCode"]) == ("403", 403)
    assert meta["HTTPHeaders"]["x-amz-request-id"] and meta["HTTPHeaders"]["x-amz-id-2"]


@pytest.mark.timeout(300)
def test_aws_cli_prints_the_denial(podid_server: PodidServer, nobody: tuple[str, str, str]) -> None:
    env = dict(podid_server.env)
    for name in ("AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE"):
        env.pop(name, None)
    env.update(AWS_ACCESS_KEY_ID=nobody[0], AWS_SECRET_ACCESS_KEY=nobody[1], AWS_CONFIG_FILE=os.devnull,
               AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=podid_server.url, AWS_MAX_ATTEMPTS="1")
    env.pop("AWS_SESSION_TOKEN", None)
    for args, code, op, action, resource in (
        (["secretsmanager", "get-secret-value", "--secret-id", "denial-wire-secret"], "AccessDeniedException",
         "GetSecretValue", "secretsmanager:GetSecretValue", "denial-wire-secret"),
        (["sqs", "send-message", "--queue-url", f"{podid_server.url}/{ACCOUNT}/denial-wire-q",
          "--message-body", "x"], "AccessDenied", "SendMessage", "sqs:sendmessage",
         f"arn:aws:sqs:us-east-1:{ACCOUNT}:denial-wire-q"),
        (["dynamodb", "get-item", "--table-name", "denial-wire-t", "--key", '{"id": {"S": "1"}}'],
         "AccessDeniedException", "GetItem", "dynamodb:GetItem",
         f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/denial-wire-t"),
    ):
        done = subprocess.run(["aws", *args, "--endpoint-url", podid_server.url, "--region", "us-east-1"],
                              env=env, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode != 0
        assert (f"An error occurred ({code}) when calling the {op} operation: "
                f"{_msg(action, resource, nobody[2])}") in done.stderr, done.stderr
