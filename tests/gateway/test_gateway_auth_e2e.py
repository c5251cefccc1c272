"""Authentication through a real `podid up`: every SigV4 failure answers as AWS does, none is accepted."""

from __future__ import annotations

import dataclasses
import datetime as dt

import botocore.exceptions
import pytest

from support.server import PodidServer
from support.sigv4 import error_code, http, send, sign

GCI = b"Action=GetCallerIdentity&Version=2011-06-15"


def _signed(srv: PodidServer, **kw: object) -> object:
    kw.setdefault("akid", srv.access_key_id)
    kw.setdefault("secret", srv.secret_access_key)
    kw.setdefault("url", srv.url + "/")
    return sign(**kw)  # type: ignore[arg-type]


def _client_error(fn: object) -> botocore.exceptions.ClientError:
    with pytest.raises(botocore.exceptions.ClientError) as info:
        fn()  # type: ignore[operator]
    return info.value


def test_raw_signed_request_accepted(podid_server: PodidServer) -> None:
    response = send(podid_server.url, _signed(podid_server))
    assert response.status_code == 200, response.text
    assert "<GetCallerIdentityResult>" in response.text
    assert response.headers["x-amzn-requestid"] in response.text


def test_wrong_secret(podid_server: PodidServer) -> None:
    sts = podid_server.client("sts", credentials=(podid_server.access_key_id, "x" * 40))
    err = _client_error(sts.get_caller_identity)
    assert err.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert err.response["Error"]["Message"].startswith("The request signature we calculated does not match")


def test_unknown_key(podid_server: PodidServer) -> None:
    sts = podid_server.client("sts", credentials=("AKIAAAAAAAAAAAAAAAAA", "x" * 40))
    err = _client_error(sts.get_caller_identity)
    assert err.response["Error"]["Code"] == "InvalidClientTokenId"
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert err.response["Error"]["Message"] == "The security token included in the request is invalid."


def test_unknown_key_json_and_s3_shapes(podid_server: PodidServer) -> None:
    bad = ("AKIAAAAAAAAAAAAAAAAA", "x" * 40)
    err = _client_error(lambda: podid_server.client("secretsmanager", credentials=bad).list_secrets())
    assert err.response["Error"]["Code"] == "UnrecognizedClientException"
    err = _client_error(lambda: podid_server.client("s3", credentials=bad).list_buckets())
    assert err.response["Error"]["Code"] == "InvalidAccessKeyId"
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_wrong_secret_json_shape(podid_server: PodidServer) -> None:
    sm = podid_server.client("secretsmanager", credentials=(podid_server.access_key_id, "x" * 40))
    err = _client_error(sm.list_secrets)
    assert err.response["Error"]["Code"] == "InvalidSignatureException"
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_modified_body(podid_server: PodidServer) -> None:
    req = _signed(podid_server)
    tampered = dataclasses.replace(req, body=GCI.replace(b"2011-06-15", b"2011-06-16"))  # type: ignore[type-var]
    response = send(podid_server.url, tampered)
    assert (response.status_code, error_code(response)) == (403, "SignatureDoesNotMatch")


def test_modified_signed_header(podid_server: PodidServer) -> None:
    req = _signed(podid_server, headers={"X-Amz-Meta-Thing": "one"})
    headers = [(k, "two" if k.lower() == "x-amz-meta-thing" else v) for k, v in req.headers]  # type: ignore[attr-defined]
    response = send(podid_server.url, dataclasses.replace(req, headers=headers))  # type: ignore[type-var]
    assert (response.status_code, error_code(response)) == (403, "SignatureDoesNotMatch")


def test_skewed_date(podid_server: PodidServer) -> None:
    req = _signed(podid_server, when=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20))
    response = send(podid_server.url, req)
    assert (response.status_code, error_code(response)) == (403, "SignatureDoesNotMatch")
    assert "Signature expired" in response.text
    s3_req = _signed(
        podid_server,
        method="GET",
        url=podid_server.url + "/",
        body=b"",
        service="s3",
        s3=True,
        when=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=20),
    )
    response = send(podid_server.url, s3_req)
    assert (response.status_code, error_code(response)) == (403, "RequestTimeTooSkewed")


def test_presigned_url(podid_server: PodidServer) -> None:
    url = podid_server.client("sts").generate_presigned_url(
        "get_caller_identity", ExpiresIn=60, HttpMethod="GET"
    )
    response = http("GET", url)
    assert response.status_code == 200, response.text
    assert podid_server.access_key_id not in response.text


def test_expired_presigned_url(podid_server: PodidServer) -> None:
    req = _signed(
        podid_server,
        method="GET",
        url=podid_server.url + "/?Action=GetCallerIdentity&Version=2011-06-15",
        body=b"",
        presign=60,
        when=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=90),
    )
    response = send(podid_server.url, req)
    assert (response.status_code, error_code(response)) == (403, "AccessDenied")
    assert "Request has expired" in response.text


def test_missing_authentication(podid_server: PodidServer) -> None:
    response = http(
        "POST",
        podid_server.url + "/",
        content=GCI,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (response.status_code, error_code(response)) == (403, "MissingAuthenticationToken")


def test_incomplete_signature(podid_server: PodidServer) -> None:
    req = _signed(podid_server)
    headers = [(k, v.split(", Signature=")[0] if k.lower() == "authorization" else v) for k, v in req.headers]  # type: ignore[attr-defined]
    response = send(podid_server.url, dataclasses.replace(req, headers=headers))  # type: ignore[type-var]
    assert (response.status_code, error_code(response)) == (400, "IncompleteSignature")


def test_unknown_operation(podid_server: PodidServer) -> None:
    response = send(podid_server.url, _signed(podid_server, body=b"Action=NoSuchThing&Version=2011-06-15"))
    assert (response.status_code, error_code(response)) == (400, "InvalidAction")
    assert "Could not find operation NoSuchThing" in response.text


def test_service_without_handlers(podid_server: PodidServer) -> None:
    err = _client_error(podid_server.client("sns").list_topics)
    assert err.response["Error"]["Code"] == "NotImplemented"
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 501


def test_operation_without_handler(podid_server: PodidServer) -> None:
    err = _client_error(lambda: podid_server.client("sts").get_session_token())
    assert err.response["Error"]["Code"] == "NotImplemented"


def test_anonymous_web_identity_routes_to_sts(podid_server: PodidServer) -> None:
    """Unsigned AssumeRoleWithWebIdentity is accepted by authentication and routed to STS."""
    body = (
        b"Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333"
        b"%3Arole%2Fx&RoleSessionName=s&WebIdentityToken=abc"
    )
    response = http(
        "POST",
        podid_server.url + "/",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert error_code(response) != "MissingAuthenticationToken"
    assert "<ErrorResponse" in response.text or response.status_code == 200
