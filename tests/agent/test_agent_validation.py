"""Host check and token checks: statuses and messages of the real agent (wire-facts §2)."""

from __future__ import annotations

import base64
import json

import pytest
from agent_helpers import T0, make_token

from podid.agent.errors import AccessDeniedError, RequestValidationError, error_response
from podid.agent.validation import request_host, validate_target_host, validate_token

ALLOWED = ["127.0.0.1", "::1"]


@pytest.mark.parametrize(
    ("header", "host"),
    [
        ("127.0.0.1:2703", "127.0.0.1"),
        ("127.0.0.1", "127.0.0.1"),
        ("[::1]:2703", "::1"),
        ("[fd00:ec2::23]", "fd00:ec2::23"),
        ("fd00:ec2::23", "fd00:ec2::23"),
        ("169.254.170.23", "169.254.170.23"),
        ("localhost:80", "localhost"),
        ("", ""),
    ],
)
def test_request_host_strips_port_and_brackets(header: str, host: str) -> None:
    assert request_host(header) == host


def test_host_check_accepts_served_addresses() -> None:
    validate_target_host("127.0.0.1:2703", ALLOWED)
    validate_target_host("[::1]:2703", ALLOWED)


def test_host_check_message_lists_own_addresses() -> None:
    with pytest.raises(AccessDeniedError) as info:
        validate_target_host("localhost:2703", ALLOWED)
    body, status = error_response(info.value)
    assert status == 403
    assert body == (
        "Access Denied. Called agent through invalid address, "
        "please use either [127.0.0.1 ::1] address not localhost"
    )


def test_host_check_real_agent_wording_for_link_local() -> None:
    with pytest.raises(AccessDeniedError) as info:
        validate_target_host("10.0.0.1", ["169.254.170.23", "fd00:ec2::23"])
    assert str(info.value) == (
        "Access Denied. Called agent through invalid address, please use either "
        "[169.254.170.23 fd00:ec2::23] address not 10.0.0.1"
    )


def _seg(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def _msg(token: str, now: float = T0, **kw: bool) -> str:
    with pytest.raises(RequestValidationError) as info:
        validate_token(token, now=lambda: now, **kw)
    body, status = error_response(info.value)
    assert status == 400
    return body


def test_valid_token_passes() -> None:
    claims = validate_token(make_token(now=T0), now=lambda: T0 + 10)
    assert claims["sub"] == "system:serviceaccount:default:pod-a"


def test_empty_token() -> None:
    assert _msg("") == "Service account token cannot be empty"


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("abc", "token is malformed: token contains an invalid number of segments"),
        ("a.b.c.d", "token is malformed: token contains an invalid number of segments"),
        ("Bearer x.y.z", "token is malformed: tokenstring should not contain 'bearer '"),
        (
            "a*b.c.d",
            "token is malformed: could not base64 decode header: illegal base64 data at input byte 1",
        ),
        (
            _seg({"alg": "HS256"}) + ".%%.x",
            "token is malformed: could not base64 decode claim: illegal base64",
        ),
        (
            _seg([1]) + "." + _seg({}) + ".x",
            "token is malformed: could not JSON decode header: json: cannot unmarshal array",
        ),
        (_seg({"alg": "HS256"}) + "." + _seg("s") + ".x", "token is malformed: could not JSON decode claim"),
        (_seg({"alg": "HS256"}) + "." + _seg({"exp": "soon"}) + ".x", "could not JSON decode claim"),
        (
            _seg({"typ": "JWT"}) + "." + _seg({}) + ".x",
            "token is unverifiable: signing method (alg) is unspecified",
        ),
        (
            _seg({"alg": "XX1"}) + "." + _seg({}) + ".x",
            "token is unverifiable: signing method (alg) is unavailable",
        ),
    ],
)
def test_unparseable_tokens(token: str, message: str) -> None:
    body = _msg(token)
    assert body.startswith("Service account token cannot be parsed: ")
    assert message in body


def test_expired_token() -> None:
    token = make_token(now=T0 - 7200, exp_in=3600)
    assert _msg(token) == "Service account token failed basic claim validations: token is expired"


def test_exp_equal_to_now_is_expired() -> None:
    token = make_token(now=T0 - 60, exp_in=60)
    assert "token is expired" in _msg(token)


def test_not_yet_valid_token() -> None:
    token = make_token(now=T0 + 600)
    assert _msg(token) == "Service account token failed basic claim validations: token is not valid yet"


def test_claim_errors_are_joined() -> None:
    token = make_token(now=T0, exp=int(T0 - 1), nbf=int(T0 + 10))
    assert _msg(token).endswith("token is expired, token is not valid yet")


def test_iat_in_future_only_checked_when_asked() -> None:
    token = make_token(now=T0, iat=int(T0 + 600), nbf=int(T0 - 1))
    validate_token(token, now=lambda: T0)  # golang-jwt v5 NewValidator(): iat not verified
    assert _msg(token, verify_iat=True).endswith("token used before issued")


def test_unsigned_alg_none_is_still_parseable() -> None:
    token = _seg({"alg": "none"}) + "." + _seg({"exp": T0 + 60}) + "."
    validate_token(token, now=lambda: T0)
