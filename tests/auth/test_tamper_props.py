"""Property: any change to a signed part of a request makes SigV4 verification fail, with an
AuthError (never another exception); garbage authentication input is an AuthError too.

Requests are signed by botocore's own signers (header and presigned, S3 and not); one mutation
from the attack campaign's repertoire is applied. A few hundred examples per property in
``make test``; ``PODID_SLOW=1`` runs 2,500.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podid.auth import sigv4
from podid.auth.errors import AuthError
from podid.protocol.wire import WireRequest
from support.sigv4 import SECRET, sign

SLOW = os.environ.get("PODID_SLOW") == "1"
EXAMPLES = 2500 if SLOW else 300
PROFILE = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SERVICES = ["sts", "s3", "secretsmanager", "eks", "sqs"]
_text = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x2FF, exclude_characters="?#%"),
                min_size=1, max_size=12)


@st.composite
def signed_requests(draw: Any) -> tuple[WireRequest, bool]:
    service = draw(st.sampled_from(SERVICES))
    s3 = service == "s3"
    method = draw(st.sampled_from(["GET", "PUT", "POST", "DELETE"] if s3 else ["POST", "GET"]))
    segments = draw(st.lists(_text, min_size=0, max_size=3))
    from urllib.parse import quote, urlencode

    # S3 signs the path as sent and botocore never encodes "/" in a key; elsewhere anything goes
    path = "/" + "/".join(quote(s, safe="/" if s3 else "") for s in segments)
    query = urlencode(draw(st.lists(st.tuples(_text, st.text(max_size=8)), max_size=3)), quote_via=quote)
    body = b"" if method == "GET" else draw(st.binary(max_size=64))
    presign = draw(st.sampled_from([None, None, 300]))
    if presign is not None:
        body = b""
    headers = {"X-Amz-Meta-Note": draw(_text)} if draw(st.booleans()) else {}
    token = draw(st.sampled_from([None, "FQoGZXIvYXdzEBYaDToken+/="]))
    url = f"http://127.0.0.1:4566{path}" + (f"?{query}" if query else "")
    req = sign(method, url, body, headers, service=service, s3=s3, token=token, presign=presign)
    return req, s3


def _verify(req: WireRequest, s3: bool) -> None:
    parts = sigv4.extract(req)
    if parts is None:
        raise AuthError("missing", "no signature")
    sigv4.check_single(req)
    sigv4.verify(req, parts, SECRET, s3=s3)


def _flip(text: str, index: int) -> str:
    """``text`` with one character replaced by a different, visible, non-space one."""
    i = index % len(text)
    replacement = "A" if text[i] != "A" else "B"
    return text[:i] + replacement + text[i + 1:]


def _mutate(req: WireRequest, s3: bool, kind: str, index: int) -> WireRequest | None:
    """One tampering; None when it does not apply to this request (the example is skipped)."""
    headers = list(req.headers)
    presigned = "X-Amz-Signature=" in req.query
    if kind == "body":
        if presigned:   # S3: UNSIGNED-PAYLOAD; elsewhere only an empty body may go unsigned
            return None if s3 else dataclasses.replace(req, body=req.body + b"x")
        if not req.body:
            return dataclasses.replace(req, body=b"x")
        body = bytearray(req.body)
        body[index % len(body)] ^= 0x01
        return dataclasses.replace(req, body=bytes(body))
    if kind == "path":
        if req.raw_path == "/":
            return dataclasses.replace(req, raw_path="/x")
        return dataclasses.replace(req, raw_path=req.raw_path + "x")
    if kind == "query_add":
        return dataclasses.replace(req, query=(req.query + "&" if req.query else "") + "injected=1")
    if kind == "signed_header":
        parts = sigv4.extract(req)
        assert parts is not None
        signed = [i for i, (k, _) in enumerate(headers) if k.lower() in parts.signed_headers]
        if not signed:
            return None
        i = signed[index % len(signed)]
        k, v = headers[i]
        headers[i] = (k, _flip(v, index))
        return dataclasses.replace(req, headers=headers)
    if kind == "unsigned_amz":
        return dataclasses.replace(req, headers=[*headers, ("x-amz-acl", "public-read")])
    if kind == "signature":
        if presigned:
            q = req.query
            at = q.index("X-Amz-Signature=") + len("X-Amz-Signature=")
            return dataclasses.replace(req, query=q[:at] + _flip(q[at:at + 64], index) + q[at + 64:])
        auth = req.header("authorization") or ""
        at = auth.index("Signature=") + len("Signature=")
        new = auth[:at] + _flip(auth[at:], index)
        return dataclasses.replace(req, headers=[(k, new if k.lower() == "authorization" else v)
                                                 for k, v in headers])
    if kind == "duplicate_auth":
        if presigned:
            return dataclasses.replace(req, query=req.query + "&X-Amz-Signature=" + "0" * 64)
        again = ("Authorization", req.header("authorization") or "")
        return dataclasses.replace(req, headers=[*headers, again])
    raise AssertionError(kind)


KINDS = ["body", "path", "query_add", "signed_header", "unsigned_amz", "signature", "duplicate_auth"]


@PROFILE
@given(signed_requests(), st.sampled_from(KINDS), st.integers(min_value=0, max_value=10_000))
def test_any_tampering_fails_verification(case: tuple[WireRequest, bool], kind: str, index: int) -> None:
    req, s3 = case
    _verify(req, s3)                                    # as signed: accepted
    tampered = _mutate(req, s3, kind, index)
    if tampered is None or tampered == req:
        return
    with pytest.raises(AuthError):
        _verify(tampered, s3)


_garbage = st.one_of(
    st.text(max_size=300),
    st.builds(lambda a, b, c: f"AWS4-HMAC-SHA256 Credential={a}, SignedHeaders={b}, Signature={c}",
              st.text(max_size=80), st.text(max_size=40), st.text(max_size=80)),
    st.builds(lambda a, b: f"AWS {a}:{b}", st.text(max_size=30), st.text(max_size=40)),
)


@PROFILE
@given(_garbage, st.text(max_size=200), st.sampled_from(SERVICES))
def test_garbage_authentication_is_an_auth_error(auth: str, query: str, service: str) -> None:
    headers = [("Host", "127.0.0.1:4566"), ("X-Amz-Date", "20261206T000000Z")]
    if auth:
        headers.append(("Authorization", auth))
    req = WireRequest(method="GET", raw_path="/", query=query, headers=headers, body=b"")
    try:
        _verify(req, service == "s3")
    except AuthError:
        return
    pytest.fail("garbage was accepted")
