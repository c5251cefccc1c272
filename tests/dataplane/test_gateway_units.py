"""Unit tests of the forwarder's helpers: aws-chunked stripping, policy validation, response conversion."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from podid.auth import chunked
from podid.dataplane.backend import RawResponse
from podid.dataplane.gateway import _to_response, record_mode
from podid.dataplane.policycheck import check_policy_update, policy_text
from podid.errors import ServiceError

SIG = "a" * 64


def test_decode_signed_chunks() -> None:
    body = (f"5;chunk-signature={SIG}\r\nhello\r\n3;chunk-signature={SIG}\r\nabc\r\n"
            f"0;chunk-signature={SIG}\r\n\r\n").encode()
    assert chunked.decode(body) == (b"helloabc", [])


def test_decode_unsigned_trailer() -> None:
    body = b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"
    assert chunked.decode(body) == (b"hello", [("x-amz-checksum-crc32", "AAAAAA==")])


@pytest.mark.parametrize("body", [b"zz;chunk-signature=x\r\n", b"10\r\nshort\r\n", b"5"])
def test_decode_rejects_bad_framing(body: bytes) -> None:
    with pytest.raises(chunked.ChunkedError):
        chunked.decode(body)


def test_strip_rewrites_headers() -> None:
    headers = [("Content-Encoding", "aws-chunked,gzip"),
               ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
               ("x-amz-decoded-content-length", "5"), ("x-amz-trailer", "x-amz-checksum-crc32"),
               ("Content-Length", "40"), ("x-amz-meta-a", "b")]
    out, body = chunked.strip(headers, b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n")
    assert body == b"hello"
    assert out == [("Content-Encoding", "gzip"), ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
                   ("x-amz-meta-a", "b"), ("x-amz-checksum-crc32", "AAAAAA==")]
    plain = [("Content-Type", "text/plain")]
    assert chunked.strip(plain, b"5\r\nhello") == (plain, b"5\r\nhello")


def test_policy_text_and_validation() -> None:
    statement = {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"}
    good = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    bad_effect = '{"Version": "2012-10-17", "Statement": [{"Effect": "Maybe"}]}'
    malformed = "MalformedPolicyDocumentException"
    assert policy_text("sqs", "SetQueueAttributes", {"Attributes": {"Policy": good}}) == good
    assert policy_text("sqs", "SetQueueAttributes", {"Attributes": {"VisibilityTimeout": "3"}}) is None
    assert policy_text("s3", "GetObject", {"Policy": good}) is None
    check_policy_update("kms", "CreateKey", {"Policy": good})
    check_policy_update("kms", "CreateKey", {})
    for service, op, params, code in (
            ("s3", "PutBucketPolicy", {"Policy": "{"}, "MalformedPolicy"),
            ("secretsmanager", "PutResourcePolicy", {"ResourcePolicy": "[]"}, malformed),
            ("kms", "PutKeyPolicy", {"Policy": bad_effect}, malformed),
            ("sqs", "CreateQueue", {"Attributes": {"Policy": "nope"}}, "InvalidAttributeValue")):
        with pytest.raises(ServiceError) as info:
            check_policy_update(service, op, params)
        assert (info.value.code, info.value.status) == (code, 400)


def test_to_response_keeps_head_length_and_replaces_request_id() -> None:
    raw = RawResponse(200, [("Content-Length", "1234"), ("x-amz-request-id", "moto"), ("ETag", '"e"'),
                            ("Server", "moto")], b"")
    resp = _to_response(raw, "rid-1", head=True)
    assert resp.body == b""
    assert dict(resp.raw_headers) == {b"content-length": b"1234", b"x-amz-request-id": b"rid-1",
                                      b"etag": b'"e"'}
    resp = _to_response(RawResponse(200, [("Content-Length", "3")], b"hello"), "r", head=False)
    assert resp.raw_headers == [(b"content-length", b"5")]
    assert _to_response(RawResponse(204, [], b""), "r", head=False).raw_headers == []


def test_record_mode_follows_the_config_flag() -> None:
    state = SimpleNamespace(config=SimpleNamespace(state_dir=Path("."), mode="enforce"))
    assert not record_mode(state)  # type: ignore[arg-type]
    state.config.mode = "record"
    assert record_mode(state)  # type: ignore[arg-type]
