"""podid's SigV4 verifier against AWS's own published test vectors (data/aws4_testsuite).

For every case: the canonical request and string to sign podid builds from the signed request
(``.sreq``) equal AWS's (``.creq``, ``.sts``), the signature equals AWS's (``.authz``), and
:func:`podid.auth.sigv4.verify` accepts the request -- and refuses it once any byte of the
signature, the path or a signed header changes. ``post-sts-header-after`` (a token added after
signing, which some AWS services tolerate) is refused: podid requires every x-amz-* header signed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from podid.auth import sigv4
from podid.auth.errors import AuthError
from podid.protocol.wire import WireRequest

SUITE = Path(__file__).parent / "data" / "aws4_testsuite"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
NOW = dt.datetime(2015, 8, 30, 12, 36, tzinfo=dt.UTC)
CASES = sorted(p.parent.relative_to(SUITE).as_posix() for p in SUITE.rglob("*.sreq"))
UNSIGNED_TOKEN = "post-sts-token/post-sts-header-after"


def _files(case: str) -> dict[str, str]:
    directory = SUITE / case
    name = directory.name
    return {ext: (directory / f"{name}.{ext}").read_text(encoding="utf-8")
            for ext in ("sreq", "creq", "sts", "authz")}


def parse_raw(raw: str) -> WireRequest:
    """A raw HTTP/1.1 request of the suite (folded header lines kept) as the server sees it."""
    head, _, body = raw.partition("\n\n")
    lines = head.split("\n")
    method, _, rest = lines[0].partition(" ")
    target = rest.rsplit(" ", 1)[0]
    path, _, query = target.partition("?")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + "\n" + line)
            continue
        name, _, value = line.partition(":")
        headers.append((name, value.strip()))
    raw_path = path.encode("utf-8").decode("latin-1")  # the request line's bytes, as uvicorn hands them over
    return WireRequest(method=method, raw_path=raw_path, query=query, headers=headers, body=body.encode())


def signed_request(case: str) -> WireRequest:
    """The case's signed request with AWS's ``.authz`` as its Authorization header (the suite's
    ``get-vanilla-with-session-token.sreq`` carries a garbled signature; its ``.authz`` is right)."""
    files = _files(case)
    request = parse_raw(files["sreq"])
    request.headers = [(k, files["authz"] if k.lower() == "authorization" else v) for k, v in request.headers]
    return request


def test_the_whole_suite_is_present() -> None:
    assert len(CASES) == 34, CASES


@pytest.mark.parametrize("case", CASES)
def test_canonical_request_string_to_sign_and_signature(case: str) -> None:
    files = _files(case)
    request = parse_raw(files["sreq"])
    parts = sigv4.extract(request)
    assert parts is not None
    creq = sigv4.canonical_request(request, parts, sigv4.hashlib.sha256(request.body).hexdigest(), s3=False)
    assert creq == files["creq"]
    assert sigv4.string_to_sign(parts, creq) == files["sts"]
    key = sigv4.signing_key(SECRET, parts.scope_date, parts.region, parts.service)
    signature = sigv4.hmac.new(key, files["sts"].encode(), sigv4.hashlib.sha256).hexdigest()
    assert files["authz"].endswith(f"Signature={signature}")


@pytest.mark.parametrize("case", CASES)
def test_verify_accepts_the_signed_request_and_refuses_tampering(case: str) -> None:
    request = signed_request(case)
    parts = sigv4.extract(request)
    assert parts is not None
    if case == UNSIGNED_TOKEN:
        with pytest.raises(AuthError) as info:
            sigv4.verify(request, parts, SECRET, now=lambda: NOW)
        assert info.value.kind == "unsigned_headers"
        return
    sigv4.verify(request, parts, SECRET, now=lambda: NOW)
    flipped = parts.signature[:-1] + ("0" if parts.signature[-1] != "0" else "1")
    with pytest.raises(AuthError):
        sigv4.verify(request, sigv4.SigV4Parts(**{**parts.__dict__, "signature": flipped}), SECRET,
                     now=lambda: NOW)
    moved = WireRequest(request.method, request.raw_path.rstrip("/") + "/x", request.query, request.headers,
                        request.body)
    with pytest.raises(AuthError):
        sigv4.verify(moved, parts, SECRET, now=lambda: NOW)
    with pytest.raises(AuthError):
        sigv4.verify(request, parts, SECRET[:-1] + "X", now=lambda: NOW)
