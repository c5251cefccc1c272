"""podid.auth.sigv2 against requests signed by botocore's own SigV2 signers (HmacV1Auth, HmacV1QueryAuth)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from botocore.auth import HmacV1Auth, HmacV1QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from podid.auth import signature, sigv2
from podid.auth.errors import AuthError
from podid.protocol.wire import WireRequest
from support.sigv4 import AKID, SECRET, to_wire


def _signed(method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None, *,
            token: str | None = None, expires: int | None = None) -> WireRequest:
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    if "//bucket.s3." in url:   # virtual-hosted: botocore's S3 client signs the bucket in the path
        request.auth_path = "/bucket" + url.split("amazonaws.com", 1)[1].split("?")[0]
    creds = Credentials(AKID, SECRET, token)
    signer = HmacV1QueryAuth(creds, expires=expires) if expires else HmacV1Auth(creds)
    signer.add_auth(request)
    return to_wire(request.prepare())


def _verify(req: WireRequest, secret: str = SECRET) -> None:
    parts = signature.extract(req)
    assert isinstance(parts, sigv2.SigV2Parts)
    signature.verify(req, parts, secret, s3=True)


URLS = ["http://127.0.0.1:4566/bucket/key.txt", "http://127.0.0.1:4566/bucket/dir/a%20b.txt?acl",
        "http://127.0.0.1:4566/bucket?list-type=2&prefix=a", "http://127.0.0.1:4566/bucket/k?uploads",
        "http://bucket.s3.amazonaws.com/k?versionId=3"]


@pytest.mark.parametrize("url", URLS)
def test_header_form_matches_botocore(url: str) -> None:
    req = _signed("PUT", url, b"data", {"Content-Type": "text/plain", "x-amz-meta-a": "1",
                                        "Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg=="})
    assert (req.header("authorization") or "").startswith(f"AWS {AKID}:")
    _verify(req)
    with pytest.raises(AuthError) as bad:
        _verify(req, "wrong-secret")
    assert bad.value.kind == "signature"
    for name, value in (("x-amz-meta-a", "2"), ("content-type", "text/html")):
        tampered = dataclasses.replace(req, headers=[(k, value if k.lower() == name else v)
                                                     for k, v in req.headers])
        with pytest.raises(AuthError):
            _verify(tampered)


@pytest.mark.parametrize("url", URLS[:3])
def test_query_form_matches_botocore(url: str) -> None:
    req = _signed("GET", url, expires=300)
    assert "AWSAccessKeyId=" in req.query and "Signature=" in req.query
    _verify(req)
    with pytest.raises(AuthError):
        _verify(dataclasses.replace(req, raw_path=req.raw_path + "x"))


def test_session_token_is_signed() -> None:
    req = _signed("GET", URLS[0], token="session-token")
    parts = signature.extract(req)
    assert isinstance(parts, sigv2.SigV2Parts) and parts.security_token == "session-token"
    _verify(req)
    tampered = dataclasses.replace(req, headers=[(k, "other" if k.lower() == "x-amz-security-token" else v)
                                                 for k, v in req.headers])
    with pytest.raises(AuthError):
        _verify(tampered)


def test_expired_url_and_skewed_date() -> None:
    req = _signed("GET", URLS[0], expires=1)
    parts = signature.extract(req)
    assert isinstance(parts, sigv2.SigV2Parts)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=120)
    with pytest.raises(AuthError) as expired:
        sigv2.verify(req, parts, SECRET, now=lambda: later)
    assert expired.value.kind == "presign_expired"
    header = _signed("GET", URLS[0])
    hparts = signature.extract(header)
    assert isinstance(hparts, sigv2.SigV2Parts)
    with pytest.raises(AuthError) as skew:
        sigv2.verify(header, hparts, SECRET, now=lambda: later + dt.timedelta(minutes=30))
    assert skew.value.kind == "skew"


def test_sigv2_is_s3_only() -> None:
    req = _signed("GET", URLS[0])
    parts = signature.extract(req)
    assert parts is not None
    with pytest.raises(AuthError) as refused:
        signature.verify(req, parts, SECRET, s3=False)
    assert refused.value.kind == "incomplete"
