"""podid.auth.sigv4 against requests signed by botocore's own signers (header, presigned, S3)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib

import pytest

from podid.auth import sigv4
from podid.auth.errors import AuthError
from podid.protocol.wire import WireRequest
from support.sigv4 import AKID, SECRET, sign


def _verify(
    req: WireRequest, secret: str = SECRET, *, s3: bool = False, now: dt.datetime | None = None
) -> None:
    parts = sigv4.extract(req)
    assert parts is not None
    sigv4.verify(req, parts, secret, s3=s3, now=(lambda: now) if now else None)


def _kind(req: WireRequest, secret: str = SECRET, **kw: object) -> str:
    with pytest.raises(AuthError) as info:
        _verify(req, secret, **kw)  # type: ignore[arg-type]
    return info.value.kind


def _with_header(req: WireRequest, name: str, value: str) -> WireRequest:
    headers = [(k, value if k.lower() == name.lower() else v) for k, v in req.headers]
    return dataclasses.replace(req, headers=headers)


def test_header_auth_query_service() -> None:
    req = sign()
    parts = sigv4.extract(req)
    assert parts is not None and parts.access_key_id == AKID and parts.service == "sts"
    assert not parts.presigned and "host" in parts.signed_headers
    _verify(req)


def test_header_auth_json_service_with_target() -> None:
    req = sign(
        body=b'{"SecretId":"x"}',
        service="secretsmanager",
        headers={
            "X-Amz-Target": "secretsmanager.GetSecretValue",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    _verify(req)


@pytest.mark.parametrize(
    "path", ["/", "/a/b", "/a%20b/c", "/with%2Fslash/x", "/a/./b/../c", "/a//b", "/%E2%82%AC/~tilde"]
)
def test_paths_non_s3(path: str) -> None:
    _verify(sign("GET", f"http://127.0.0.1:4566{path}?b=2&a=1&a=0&e=&sp=a%20b", b"", service="eks"))


@pytest.mark.parametrize("key", ["k", "dir/sub/k.txt", "a%20b", "a%2Bb", "%E2%82%AC", "x//y", "./x/../y"])
def test_paths_s3_no_double_encoding(key: str) -> None:
    _verify(
        sign(
            "GET", f"http://127.0.0.1:4566/bucket/{key}?list-type=2&prefix=a%2Fb", b"", service="s3", s3=True
        ),
        s3=True,
    )


def test_s3_put_with_payload_hash() -> None:
    body = b"hello world" * 100
    req = sign(
        "PUT", "http://127.0.0.1:4566/bucket/key", body, {"Content-Type": "text/plain"}, service="s3", s3=True
    )
    assert req.header("x-amz-content-sha256") == hashlib.sha256(body).hexdigest()
    _verify(req, s3=True)
    tampered = dataclasses.replace(req, body=body + b"!")
    assert _kind(tampered, s3=True) == "content_sha"


def test_unsigned_payload() -> None:
    req = sign(
        "PUT",
        "https://127.0.0.1:4566/bucket/key",
        b"data",
        {"Content-Type": "text/plain"},
        service="s3",
        s3=True,
        unsigned_payload=True,
    )
    assert req.header("x-amz-content-sha256") == "UNSIGNED-PAYLOAD"
    _verify(req, s3=True)
    _verify(dataclasses.replace(req, body=b"other data"), s3=True)  # unsigned: body not covered


def test_presigned_sts() -> None:
    req = sign("GET", "http://127.0.0.1:4566/?Action=GetCallerIdentity&Version=2011-06-15", b"", presign=60)
    parts = sigv4.extract(req)
    assert parts is not None and parts.presigned and parts.expires == 60
    _verify(req)


def test_presigned_s3() -> None:
    req = sign("GET", "http://127.0.0.1:4566/bucket/some%20key.txt", b"", service="s3", s3=True, presign=3600)
    _verify(req, s3=True)


def test_presigned_expired() -> None:
    when = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=120)
    req = sign(
        "GET",
        "http://127.0.0.1:4566/?Action=GetCallerIdentity&Version=2011-06-15",
        b"",
        presign=60,
        when=when,
    )
    assert _kind(req) == "presign_expired"


def test_presigned_too_long() -> None:
    req = sign("GET", "http://127.0.0.1:4566/bucket/k", b"", service="s3", s3=True, presign=3600)
    req = dataclasses.replace(req, query=req.query.replace("X-Amz-Expires=3600", "X-Amz-Expires=604801"))
    with pytest.raises(AuthError) as info:
        sigv4.extract(req)
    assert info.value.kind == "query_params"


def test_wrong_secret() -> None:
    assert _kind(sign(), "x" * 40) == "signature"


def test_modified_body() -> None:
    req = sign()
    assert _kind(dataclasses.replace(req, body=b"Action=GetCallerIdentity&Version=2011-06-16")) == "signature"


def test_modified_signed_header() -> None:
    req = sign(headers={"X-Amz-Meta-Foo": "bar"})
    assert _kind(_with_header(req, "X-Amz-Meta-Foo", "baz")) == "signature"


def test_modified_query_and_method() -> None:
    req = sign("GET", "http://127.0.0.1:4566/x?a=1", b"", service="eks")
    assert _kind(dataclasses.replace(req, query="a=2")) == "signature"
    assert _kind(dataclasses.replace(req, method="DELETE")) == "signature"


def test_modified_presigned_signature() -> None:
    req = sign("GET", "http://127.0.0.1:4566/bucket/k", b"", service="s3", s3=True, presign=60)
    flipped = req.query.replace("X-Amz-Signature=", "X-Amz-Signature=0")[:-1]
    assert _kind(dataclasses.replace(req, query=flipped), s3=True) == "signature"


@pytest.mark.parametrize("minutes", [-16, 16, -60 * 24])
def test_clock_skew(minutes: int) -> None:
    req = sign(when=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes))
    assert _kind(req) == "skew"


def test_within_skew_accepted() -> None:
    _verify(sign(when=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=14)))


def test_skew_message_is_aws_wording() -> None:
    req = sign(when=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(AuthError) as info:
        _verify(req)
    assert info.value.message.startswith("Signature expired: 20200101T000000Z is now earlier than ")
    assert info.value.message.endswith(" - 15 min.)")


def test_scope_date_mismatch() -> None:
    req = sign()
    auth = req.header("authorization") or ""
    date = auth.split("Credential=")[1].split("/")[1]
    other = (dt.datetime.strptime(date, "%Y%m%d") - dt.timedelta(days=1)).strftime("%Y%m%d")
    assert _kind(_with_header(req, "Authorization", auth.replace(f"/{date}/", f"/{other}/"))) == "scope"


def test_bad_terminator_and_region() -> None:
    req = sign()
    auth = req.header("authorization") or ""
    assert _kind(_with_header(req, "Authorization", auth.replace("aws4_request", "aws5_request"))) == "scope"
    assert _kind(sign(region="nowhere")) == "scope"


@pytest.mark.parametrize("drop", ["Credential", "Signature", "SignedHeaders"])
def test_incomplete_authorization(drop: str) -> None:
    req = sign()
    auth = req.header("authorization") or ""
    fields = [f for f in auth[len("AWS4-HMAC-SHA256 ") :].split(", ") if not f.startswith(drop + "=")]
    broken = _with_header(req, "Authorization", "AWS4-HMAC-SHA256 " + ", ".join(fields))
    with pytest.raises(AuthError) as info:
        sigv4.extract(broken)
    assert info.value.kind == "incomplete"
    assert f"requires '{drop}' parameter" in info.value.message


def test_missing_date() -> None:
    req = sign()
    no_date = dataclasses.replace(req, headers=[(k, v) for k, v in req.headers if k.lower() != "x-amz-date"])
    with pytest.raises(AuthError) as info:
        sigv4.extract(no_date)
    assert info.value.kind == "incomplete"


def test_unsigned_request_has_no_parts() -> None:
    assert sigv4.extract(WireRequest("POST", "/", "", [("Host", "x")], b"Action=X")) is None


def test_streaming_chunk_signatures_aws_example() -> None:
    """The chunked upload example of AWS's SigV4 streaming documentation (65536 + 1024 bytes of 'a')."""
    seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
    sigs = [
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
        "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
    ]
    body = (
        b"10000;chunk-signature="
        + sigs[0].encode()
        + b"\r\n"
        + b"a" * 65536
        + b"\r\n"
        + b"400;chunk-signature="
        + sigs[1].encode()
        + b"\r\n"
        + b"a" * 1024
        + b"\r\n"
        + b"0;chunk-signature="
        + sigs[2].encode()
        + b"\r\n\r\n"
    )
    headers = [
        ("Host", "s3.amazonaws.com"),
        ("x-amz-date", "20130524T000000Z"),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        (
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
            f"x-amz-decoded-content-length;x-amz-storage-class,Signature={seed}",
        ),
        ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        ("Content-Encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"),
        ("Content-Length", str(len(body))),
    ]
    req = WireRequest("PUT", "/examplebucket/chunkObject.txt", "", headers, body)
    now = dt.datetime(2013, 5, 24, 0, 5, tzinfo=dt.UTC)
    _verify(req, s3=True, now=now)
    parts = sigv4.extract(req)
    assert parts is not None
    key = sigv4.signing_key(SECRET, parts.scope_date, parts.region, parts.service)
    assert sigv4.verify_chunks(body, key, parts) == b"a" * 66560
    tampered = body.replace(b"a" * 1024, b"a" * 1023 + b"b")
    assert _kind(dataclasses.replace(req, body=tampered), s3=True, now=now) == "signature"
