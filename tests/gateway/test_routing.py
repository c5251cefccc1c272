"""Service routing: SigV4 scope first, then X-Amz-Target, Host, unsigned query Action, else S3."""

from __future__ import annotations

import pytest

from podid.gateway.routing import route
from podid.protocol.wire import WireRequest
from support.sigv4 import sign


def _req(
    body: bytes = b"", headers: dict[str, str] | None = None, query: str = "", path: str = "/"
) -> WireRequest:
    hdrs = [("Host", "127.0.0.1:4566"), *(headers or {}).items()]
    return WireRequest("POST" if body else "GET", path, query, hdrs, body)


def test_scope_wins() -> None:
    assert route(sign(service="sts")) == "sts"
    assert route(sign(service="monitoring")) == "cloudwatch"
    assert route(sign("GET", "http://127.0.0.1:4566/b/k", b"", service="s3", s3=True, presign=60)) == "s3"


@pytest.mark.parametrize(
    ("target", "service"),
    [
        ("DynamoDB_20120810.GetItem", "dynamodb"),
        ("TrentService.Decrypt", "kms"),
        ("secretsmanager.GetSecretValue", "secretsmanager"),
        ("AmazonSQS.SendMessage", "sqs"),
    ],
)
def test_target(target: str, service: str) -> None:
    assert route(_req(b"{}", {"X-Amz-Target": target})) == service


def test_host() -> None:
    assert route(WireRequest("GET", "/", "", [("Host", "sts.amazonaws.com")])) == "sts"
    assert route(WireRequest("GET", "/", "", [("Host", "sqs.us-east-1.localhost:4566")])) == "sqs"


def test_unsigned_web_identity() -> None:
    body = b"Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=x"
    assert route(_req(body, {"Content-Type": "application/x-www-form-urlencoded"})) == "sts"
    assert route(_req(query="Action=AssumeRoleWithWebIdentity&Version=2011-06-15")) == "sts"


def test_default_s3() -> None:
    assert route(_req(path="/bucket/key")) == "s3"
