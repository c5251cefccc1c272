"""The outside attack campaign's findings, replayed against a real ``podid up`` (issue 11).

Each test sends what an attacker sent -- with boto3, botocore's signers or raw HTTP -- and checks
the answer AWS gives (status, code, message) and that nothing changed: no object stored, copied,
made public or tagged.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from botocore.exceptions import ClientError

from dataplane.gateway_support import LAB_BUCKET, error, lab_policy, make_user
from support import aws_chunked
from support.server import PodidServer, start_podid
from support.sigv4 import error_code, http, send, sign

pytestmark = pytest.mark.timeout(600)

SECRET_KEY = "blocked/secret.txt"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PodidServer]:
    with start_podid(tmp_path_factory.mktemp("attacks") / "state") as server:
        s3 = server.client("s3")
        s3.create_bucket(Bucket=LAB_BUCKET)
        s3.put_object(Bucket=LAB_BUCKET, Key=SECRET_KEY, Body=b"top secret")
        s3.put_object(Bucket=LAB_BUCKET, Key="allowed/a.txt", Body=b"readable")
        yield server


def _writer_policy(*extra: str) -> dict[str, Any]:
    """May write under up/ (s3:PutObject and ``extra`` actions), read nothing."""
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:PutObject", *extra],
         "Resource": f"arn:aws:s3:::{LAB_BUCKET}/up/*"}]}


@pytest.fixture(scope="module")
def writer(srv: PodidServer) -> tuple[str, str]:
    return make_user(srv, "put-only", _writer_policy())


@pytest.fixture(scope="module")
def acl_writer(srv: PodidServer) -> tuple[str, str]:
    return make_user(srv, "put-acl", _writer_policy("s3:PutObjectAcl", "s3:PutObjectTagging"))


def _host(srv: PodidServer) -> str:
    return urlsplit(srv.url).netloc


def _exists(srv: PodidServer, key: str) -> bool:
    try:
        srv.client("s3").head_object(Bucket=LAB_BUCKET, Key=key)
    except ClientError as exc:
        assert error(exc)[2] == 404
        return False
    return True


def _grants(srv: PodidServer, key: str) -> list[Any]:
    return list(srv.client("s3").get_object_acl(Bucket=LAB_BUCKET, Key=key)["Grants"])


# -- aws-chunked trailers: only announced checksums, nothing that changes the request ---------------
SMUGGLED = [
    ("x-amz-acl", "public-read"),
    ("x-amz-tagging", "owner=attacker"),
    ("x-amz-copy-source", f"/{LAB_BUCKET}/{SECRET_KEY}"),
]


@pytest.mark.parametrize("mode", [aws_chunked.UNSIGNED_TRAILER, aws_chunked.SIGNED_TRAILER])
@pytest.mark.parametrize(("name", "value"), SMUGGLED)
@pytest.mark.parametrize("announced", [True, False])
def test_trailer_cannot_smuggle_headers(srv: PodidServer, writer: tuple[str, str], mode: str,
                                        name: str, value: str, announced: bool) -> None:
    key = f"up/smuggled-{name}-{mode[-14:]}-{announced}.txt"
    payload = b"attacker payload"
    trailers = [("x-amz-checksum-crc32", aws_chunked.crc32(payload)), (name, value)]
    upload = aws_chunked.build(_host(srv), f"/{LAB_BUCKET}/{key}", payload, *writer, mode=mode,
                               trailers=trailers,
                               announce=None if announced else "x-amz-checksum-crc32")
    resp = aws_chunked.put(srv.url, f"/{LAB_BUCKET}/{key}", upload)
    assert resp.status_code == 400, resp.text
    assert error_code(resp) == "MalformedTrailerError", resp.text
    expected = ("The value specified in the x-amz-trailer header is not supported" if announced
                else "trailing data that was not well-formed")
    assert expected in resp.text
    assert not _exists(srv, key)


def test_announced_checksum_trailer_is_accepted_and_checked(srv: PodidServer,
                                                            writer: tuple[str, str]) -> None:
    payload = b"x" * 20000
    for mode in (aws_chunked.UNSIGNED_TRAILER, aws_chunked.SIGNED_TRAILER):
        key = f"up/checksummed-{mode[-14:]}.bin"
        path = f"/{LAB_BUCKET}/{key}"
        good = aws_chunked.build(_host(srv), path, payload, *writer, mode=mode,
                                 trailers=[("x-amz-checksum-crc32", aws_chunked.crc32(payload))])
        resp = aws_chunked.put(srv.url, path, good)
        assert resp.status_code == 200, resp.text
        assert srv.client("s3").get_object(Bucket=LAB_BUCKET, Key=key)["Body"].read() == payload
        # a wrong checksum in the trailer: S3's BadDigest, nothing stored
        wrong = aws_chunked.build(_host(srv), path + ".bad", payload, *writer, mode=mode,
                                  trailers=[("x-amz-checksum-crc32", aws_chunked.crc32(b"other"))])
        bad = aws_chunked.put(srv.url, path + ".bad", wrong)
        assert bad.status_code == 400 and error_code(bad) == "BadDigest", bad.text
        assert "The CRC32 you specified did not match the calculated checksum." in bad.text
        assert not _exists(srv, key + ".bad")
    # a trailer the request never announced, even a checksum, is refused
    key = "up/unannounced.bin"
    sneaky = aws_chunked.build(_host(srv), f"/{LAB_BUCKET}/{key}", payload, *writer,
                               mode=aws_chunked.UNSIGNED_TRAILER,
                               trailers=[("x-amz-checksum-crc32", aws_chunked.crc32(payload))],
                               announce="x-amz-checksum-sha256")
    resp = aws_chunked.put(srv.url, f"/{LAB_BUCKET}/{key}", sneaky)
    assert resp.status_code == 400 and error_code(resp) == "MalformedTrailerError", resp.text
    assert not _exists(srv, key)


def test_signed_trailer_signature_is_verified(srv: PodidServer, writer: tuple[str, str]) -> None:
    payload = b"signed trailer payload"
    key = "up/forged-trailer.txt"
    upload = aws_chunked.build(_host(srv), f"/{LAB_BUCKET}/{key}", payload, *writer,
                               mode=aws_chunked.SIGNED_TRAILER,
                               trailers=[("x-amz-checksum-crc32", aws_chunked.crc32(payload))],
                               trailer_signature="0" * 64)
    resp = aws_chunked.put(srv.url, f"/{LAB_BUCKET}/{key}", upload)
    assert resp.status_code == 403 and error_code(resp) == "SignatureDoesNotMatch", resp.text
    assert not _exists(srv, key)


def test_boto3_default_checksum_uploads_still_work(srv: PodidServer, acl_writer: tuple[str, str]) -> None:
    s3 = srv.client("s3", credentials=acl_writer)
    for algorithm in ("CRC32", "CRC32C", "SHA1", "SHA256"):
        key = f"up/boto3-{algorithm}.txt"
        s3.put_object(Bucket=LAB_BUCKET, Key=key, Body=b"boto3 body", ChecksumAlgorithm=algorithm)
        assert srv.client("s3").get_object(Bucket=LAB_BUCKET, Key=key)["Body"].read() == b"boto3 body"


# -- every x-amz-* header signed; header-driven changes authorised with their own actions ------------
def test_unsigned_amz_header_added_after_signing_is_refused(srv: PodidServer,
                                                            acl_writer: tuple[str, str]) -> None:
    key = "up/late-acl.txt"
    req = sign("PUT", f"{srv.url}/{LAB_BUCKET}/{key}", b"body", service="s3", s3=True,
               akid=acl_writer[0], secret=acl_writer[1])
    tampered = type(req)(method=req.method, raw_path=req.raw_path, query=req.query,
                         headers=[*req.headers, ("x-amz-acl", "public-read")], body=req.body)
    resp = send(srv.url, tampered)
    assert resp.status_code == 403 and error_code(resp) == "AccessDenied", resp.text
    assert "There were headers present in the request which were not signed" in resp.text
    assert not _exists(srv, key)
    # the same request, untampered, goes through
    assert send(srv.url, req).status_code == 200
    assert not any(g["Grantee"].get("URI", "").endswith("AllUsers") for g in _grants(srv, key))


def test_unsigned_amz_header_refused_outside_s3(srv: PodidServer) -> None:
    req = sign(url=srv.url + "/", akid=srv.access_key_id, secret=srv.secret_access_key)
    tampered = type(req)(method=req.method, raw_path=req.raw_path, query=req.query,
                         headers=[*req.headers, ("X-Amz-Target", "anything")], body=req.body)
    resp = send(srv.url, tampered)
    assert resp.status_code == 403 and error_code(resp) == "SignatureDoesNotMatch", resp.text


def test_acl_and_tagging_headers_need_their_own_actions(srv: PodidServer, writer: tuple[str, str],
                                                        acl_writer: tuple[str, str]) -> None:
    put_only = srv.client("s3", credentials=writer)
    for extra, action in (({"ACL": "public-read"}, "s3:PutObjectAcl"),
                          ({"GrantRead": 'uri="http://acs.amazonaws.com/groups/global/AllUsers"'},
                           "s3:PutObjectAcl"),
                          ({"Tagging": "team=x"}, "s3:PutObjectTagging")):
        key = f"up/needs-{action[3:]}.txt"
        with pytest.raises(ClientError) as caught:
            put_only.put_object(Bucket=LAB_BUCKET, Key=key, Body=b"b", **extra)
        code, message, status = error(caught.value)
        assert (code, status) == ("AccessDenied", 403)
        assert f"is not authorized to perform: {action}" in message
        assert not _exists(srv, key)
    put_only.put_object(Bucket=LAB_BUCKET, Key="up/plain.txt", Body=b"b")   # plain PutObject is fine
    allowed = srv.client("s3", credentials=acl_writer)
    allowed.put_object(Bucket=LAB_BUCKET, Key="up/public.txt", Body=b"b", ACL="public-read",
                       Tagging="team=x")
    assert any(g["Grantee"].get("URI", "").endswith("AllUsers") for g in _grants(srv, "up/public.txt"))
    tags = srv.client("s3").get_object_tagging(Bucket=LAB_BUCKET, Key="up/public.txt")["TagSet"]
    assert tags == [{"Key": "team", "Value": "x"}]


def test_copy_needs_read_on_the_source(srv: PodidServer, writer: tuple[str, str]) -> None:
    with pytest.raises(ClientError) as caught:
        srv.client("s3", credentials=writer).copy_object(
            Bucket=LAB_BUCKET, Key="up/stolen.txt", CopySource={"Bucket": LAB_BUCKET, "Key": SECRET_KEY})
    code, message, status = error(caught.value)
    assert (code, status) == ("AccessDenied", 403) and "s3:GetObject" in message
    assert not _exists(srv, "up/stolen.txt")


# -- non-S3 services: the body is always signed --------------------------------------------------------
def test_sts_unsigned_payload_is_refused(srv: PodidServer) -> None:
    https = srv.url.replace("http://", "https://")   # botocore skips the body hash only over https
    req = sign(url=https + "/", akid=srv.access_key_id, secret=srv.secret_access_key,
               headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}, unsigned_payload=True)
    assert req.header("x-amz-content-sha256") == "UNSIGNED-PAYLOAD"
    changed = type(req)(method=req.method, raw_path=req.raw_path, query=req.query, headers=req.headers,
                        body=b"Action=GetSessionToken&Version=2011-06-15")
    for attempt in (req, changed):
        resp = send(srv.url, attempt)
        assert resp.status_code == 403 and error_code(resp) == "SignatureDoesNotMatch", resp.text
    assert send(srv.url, sign(url=srv.url + "/", akid=srv.access_key_id,
                              secret=srv.secret_access_key)).status_code == 200


# -- ambiguous authentication input --------------------------------------------------------------------
def test_duplicate_authorization_headers_are_refused(srv: PodidServer) -> None:
    good = sign(url=srv.url + "/", akid=srv.access_key_id, secret=srv.secret_access_key)
    other = sign(url=srv.url + "/", akid="AKIAFORGED0000000000", secret="x")
    auth = good.header("authorization")
    forged = other.header("authorization")
    assert auth and forged
    for second in (auth, forged):
        headers = [*good.headers, ("Authorization", second)]
        resp = send(srv.url, type(good)(method=good.method, raw_path=good.raw_path, query=good.query,
                                        headers=headers, body=good.body))
        assert resp.status_code == 400 and error_code(resp) == "IncompleteSignature", resp.text


def test_duplicate_presigned_signature_is_refused(srv: PodidServer) -> None:
    url = srv.client("s3").generate_presigned_url(
        "get_object", Params={"Bucket": LAB_BUCKET, "Key": "allowed/a.txt"}, ExpiresIn=300)
    if "X-Amz-Signature" not in url:
        url = srv.client("s3", signature_version="s3v4").generate_presigned_url(
            "get_object", Params={"Bucket": LAB_BUCKET, "Key": "allowed/a.txt"}, ExpiresIn=300)
    assert http("GET", url).status_code == 200
    resp = http("GET", url + "&X-Amz-Signature=" + "0" * 64)
    assert resp.status_code == 400 and error_code(resp) == "AuthorizationQueryParametersError", resp.text
    resp = http("GET", url, headers={"Authorization": "AWS4-HMAC-SHA256 Credential=x"})
    assert resp.status_code == 400, resp.text


def _session(srv: PodidServer) -> tuple[str, str, str]:
    """Temporary credentials of a role that may read the whole bucket."""
    iam = srv.client("iam")
    name = "attack-session-role"
    try:
        arn = iam.get_role(RoleName=name)["Role"]["Arn"]
    except ClientError:
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                 "Principal": {"AWS": f"arn:aws:iam::{srv.account_id}:root"}}]}
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                     "Resource": f"arn:aws:s3:::{LAB_BUCKET}/*"}]}))
    c = srv.client("sts").assume_role(RoleArn=arn, RoleSessionName="attacker")["Credentials"]
    return c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]


def test_session_token_with_surrounding_space_is_refused(srv: PodidServer) -> None:
    """HTTP strips spaces around a header value, so the presigned form (query string) is where a
    padded token reaches the server: it is refused, not trimmed into a valid one."""
    akid, secret, token = _session(srv)
    assert send(srv.url, sign(url=srv.url + "/", akid=akid, secret=secret, token=token)).status_code == 200
    url = f"{srv.url}/{LAB_BUCKET}/allowed/a.txt"
    good = sign("GET", url, b"", service="s3", s3=True, akid=akid, secret=secret, token=token, presign=300)
    assert send(srv.url, good).status_code == 200
    for bad in (" " + token, token + " ", "\t" + token):
        presigned = sign("GET", url, b"", service="s3", s3=True, akid=akid, secret=secret, token=bad,
                         presign=300)
        resp = send(srv.url, presigned)
        assert resp.status_code == 400 and error_code(resp) == "InvalidToken", resp.text
    sts = sign("GET", srv.url + "/?Action=GetCallerIdentity&Version=2011-06-15", b"", akid=akid,
               secret=secret, token=" " + token, presign=300)
    resp = send(srv.url, sts)
    assert resp.status_code == 403 and error_code(resp) == "InvalidClientTokenId", resp.text


def test_non_ascii_signature_is_403_not_500(srv: PodidServer) -> None:
    good = sign(url=srv.url + "/", akid=srv.access_key_id, secret=srv.secret_access_key)
    auth = good.header("authorization") or ""
    head, _, _sig = auth.rpartition("Signature=")
    raw = (head + "Signature=").encode() + "é".encode() * 32
    headers = [(k, v) for k, v in good.headers if k.lower() != "authorization"]
    with httpx.Client(timeout=30, trust_env=False) as client:
        resp = client.post(srv.url + "/", headers=[*headers, ("Authorization", raw)], content=good.body)
    assert resp.status_code == 403 and error_code(resp) == "SignatureDoesNotMatch", resp.text
    presigned = srv.client("s3", signature_version="s3v4").generate_presigned_url(
        "get_object", Params={"Bucket": LAB_BUCKET, "Key": "allowed/a.txt"})
    query = [(k, "\u00e9" * 64 if k == "X-Amz-Signature" else v)
             for k, v in parse_qsl(urlsplit(presigned).query)]
    resp = http("GET", presigned.split("?")[0] + "?" + urlencode(query))
    assert resp.status_code == 403 and error_code(resp) == "SignatureDoesNotMatch", resp.text


# -- S3 SigV2: verified for real, then authorised --------------------------------------------------------
def test_sigv2_header_auth_with_boto3(srv: PodidServer, acl_writer: tuple[str, str]) -> None:
    reader = make_user(srv, "v2-reader", lab_policy())
    v2 = srv.client("s3", credentials=reader, signature_version="s3")
    assert v2.get_object(Bucket=LAB_BUCKET, Key="allowed/a.txt")["Body"].read() == b"readable"
    with pytest.raises(ClientError) as caught:
        v2.get_object(Bucket=LAB_BUCKET, Key=SECRET_KEY)
    assert error(caught.value)[0] == "AccessDenied"
    writer = srv.client("s3", credentials=acl_writer, signature_version="s3")
    writer.put_object(Bucket=LAB_BUCKET, Key="up/v2.txt", Body=b"v2 body", ACL="private")
    assert srv.client("s3").get_object(Bucket=LAB_BUCKET, Key="up/v2.txt")["Body"].read() == b"v2 body"
    # temporary credentials: the session token travels as x-amz-security-token
    temp = srv.client("s3", credentials=_session(srv), signature_version="s3")
    assert temp.get_object(Bucket=LAB_BUCKET, Key=SECRET_KEY)["Body"].read() == b"top secret"
    forged = srv.client("s3", credentials=(reader[0], "not-the-secret"), signature_version="s3")
    with pytest.raises(ClientError) as caught:
        forged.get_object(Bucket=LAB_BUCKET, Key="allowed/a.txt")
    assert error(caught.value)[:1] == ("SignatureDoesNotMatch",)


def test_sigv2_presigned_expiry_and_tampering(srv: PodidServer) -> None:
    v2 = srv.client("s3", signature_version="s3")
    url = v2.generate_presigned_url("get_object", Params={"Bucket": LAB_BUCKET, "Key": "allowed/a.txt"},
                                    ExpiresIn=300)
    assert "AWSAccessKeyId=" in url and http("GET", url).content == b"readable"
    query = dict(parse_qsl(urlsplit(url).query))
    expired = dict(query, Expires=str(int(dt.datetime.now(dt.UTC).timestamp()) - 60))
    resp = http("GET", url.split("?")[0] + "?" + urlencode(expired))
    assert resp.status_code == 403 and error_code(resp) == "AccessDenied", resp.text
    assert "Request has expired" in resp.text
    resp = http("GET", url.replace("allowed/a.txt", SECRET_KEY.replace("/", "%2F")))
    assert resp.status_code == 403 and error_code(resp) == "SignatureDoesNotMatch", resp.text
    sig = base64.b64encode(hashlib.sha1(b"forged").digest()).decode()
    resp = http("GET", url.split("?")[0] + "?" + urlencode(dict(query, Signature=sig)))
    assert resp.status_code == 403 and error_code(resp) == "SignatureDoesNotMatch", resp.text
    resp = http("GET", url + "&Signature=" + sig)
    assert resp.status_code == 400, resp.text
