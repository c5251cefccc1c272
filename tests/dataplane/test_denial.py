"""AccessDenied wire shapes, parsed back by botocore the way SDKs will see them."""

from __future__ import annotations

import json

import botocore.session
from botocore.parsers import create_parser

from podid.dataplane.denial import denial_response, service_message
from podid.dataplane.kit import AuthzItem

USER = "arn:aws:sts::111122223333:assumed-role/r/s"


def _msg(action: str, resource: str) -> str:
    return (
        f"User: {USER} is not authorized to perform: {action} on resource: {resource} "
        f"because no identity-based policy allows the {action} action"
    )


def _parse(service: str, op: str, status: int, headers: list[tuple[str, str]], body: bytes) -> dict:
    model = botocore.session.get_session().get_service_model(service)
    parser = create_parser(model.protocol)
    return parser.parse(
        {"status_code": status, "headers": dict(headers), "body": body},
        model.operation_model(op).output_shape,
    )


def test_s3_denial_xml() -> None:
    item = AuthzItem("s3:ListBucket", "arn:aws:s3:::b")
    resp = denial_response("s3", _msg(item.action, item.resource), request_id="RID", item=item, host_id="HID")
    assert resp.status == 403
    assert resp.body.decode().endswith(
        "<Error><Code>AccessDenied</Code><Message>User: arn:aws:sts::111122223333:assumed-role/r/s is not "
        'authorized to perform: s3:ListBucket on resource: "arn:aws:s3:::b" because no identity-based policy '
        "allows the s3:ListBucket action</Message><RequestId>RID</RequestId><HostId>HID</HostId></Error>"
    )
    parsed = _parse("s3", "ListObjectsV2", resp.status, resp.headers, resp.body)
    assert parsed["Error"]["Code"] == "AccessDenied"


def test_json_services() -> None:
    for service, op, action in (
        ("secretsmanager", "GetSecretValue", "secretsmanager:GetSecretValue"),
        ("dynamodb", "GetItem", "dynamodb:GetItem"),
        ("kms", "Decrypt", "kms:Decrypt"),
        ("logs", "PutLogEvents", "logs:PutLogEvents"),
    ):
        item = AuthzItem(action, "arn:aws:x", message_resource="db" if service == "secretsmanager" else None)
        resp = denial_response(service, _msg(action, "arn:aws:x"), request_id="RID", item=item)
        assert resp.status == 400
        parsed = _parse(service, op, resp.status, resp.headers, resp.body)
        assert parsed["Error"]["Code"] == "AccessDeniedException"
        assert parsed["Error"]["Message"].startswith(f"User: {USER} is not authorized")
    body = json.loads(
        denial_response(
            "secretsmanager",
            _msg("secretsmanager:GetSecretValue", "arn:aws:x"),
            request_id="R",
            item=AuthzItem("secretsmanager:GetSecretValue", "arn:aws:x", message_resource="db"),
        ).body
    )
    assert "on resource: db because" in body["Message"]


def test_sqs_query_compatible_code() -> None:
    item = AuthzItem("sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q")
    assert "perform: sqs:sendmessage on" in service_message("sqs", _msg(item.action, item.resource), item)
    resp = denial_response(
        "sqs",
        _msg(item.action, item.resource),
        request_id="RID",
        item=item,
        request_headers={"Content-Type": "application/x-amz-json-1.0"},
    )
    assert resp.status == 403
    parsed = _parse("sqs", "SendMessage", resp.status, resp.headers, resp.body)
    assert parsed["Error"]["Code"] == "AccessDenied"


def test_cloudwatch_cbor() -> None:
    item = AuthzItem("cloudwatch:PutMetricData", "*")
    resp = denial_response(
        "monitoring",
        _msg(item.action, "*"),
        request_id="RID",
        item=item,
        request_headers={"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"},
    )
    parsed = _parse("cloudwatch", "PutMetricData", resp.status, resp.headers, resp.body)
    assert resp.status == 403 and parsed["Error"]["Code"] == "AccessDenied"
