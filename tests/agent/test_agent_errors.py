"""Error mapping: EKS Auth errors -> agent status and body; response-to-credentials conversion."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from podid.agent.credentials import PodCredentials, format_expiration
from podid.agent.errors import (
    IRRECOVERABLE_CODES,
    UpstreamError,
    UpstreamUnavailableError,
    error_response,
    is_irrecoverable,
)
from podid.agent.upstream import credentials_from_response, error_from_client_error


def _client_error(code: str, status: int, message: str = "m", request_id: str = "req-1") -> ClientError:
    response = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"RequestId": request_id, "HTTPStatusCode": status},
    }
    return ClientError(response, "AssumeRoleForPodIdentity")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "status", "fault"),
    [
        ("InvalidTokenException", 400, "client"),
        ("ExpiredTokenException", 400, "client"),
        ("AccessDeniedException", 400, "client"),
        ("ResourceNotFoundException", 404, "client"),
        ("ThrottlingException", 429, "client"),
        ("InternalServerException", 500, "server"),
        ("ServiceUnavailableException", 503, "server"),
    ],
)
def test_eks_auth_errors_keep_status_and_format(code: str, status: int, fault: str) -> None:
    err = error_from_client_error(_client_error(code, status, "Pod is not allowed"))
    assert (err.code, err.status, err.fault) == (code, status, fault)
    assert error_response(err) == (f"[req-1]: ({code}): Pod is not allowed, fault: {fault}", status)


def test_unknown_status_maps_to_500() -> None:
    err = UpstreamError(code="Weird", message="x", status=0, request_id="r", fault="unknown")
    assert error_response(err) == ("[r]: (Weird): x, fault: unknown", 500)


def test_unreachable_upstream_is_a_clear_500() -> None:
    body, status = error_response(
        UpstreamUnavailableError('Could not connect to the endpoint URL: "http://x/"')
    )
    assert status == 500
    assert body.startswith("error getting credentials to cache: unable to fetch credentials from EKS Auth: ")


def test_irrecoverable_codes_are_the_real_agents() -> None:
    assert {
        "ResourceNotFoundException",
        "ExpiredTokenException",
        "InvalidTokenException",
        "AccessDeniedException",
    } == IRRECOVERABLE_CODES
    assert is_irrecoverable(UpstreamError("AccessDeniedException", "m", 400))
    assert not is_irrecoverable(UpstreamError("ThrottlingException", "m", 429))
    assert not is_irrecoverable(UpstreamUnavailableError("down"))


def test_credentials_document_shape() -> None:
    resp = {
        "assumedRoleUser": {
            "arn": "arn:aws:sts::123456789012:assumed-role/r/eks-c-p-1",
            "assumeRoleId": "AROA:x",
        },
        "podIdentityAssociation": {"associationId": "a-1", "associationArn": "arn"},
        "credentials": {
            "accessKeyId": "ASIAX",
            "secretAccessKey": "s",
            "sessionToken": "t",
            "expiration": datetime(2025, 1, 1, 6, 0, tzinfo=UTC),
        },
    }
    creds = credentials_from_response(resp)
    assert json.loads(creds.to_json_bytes()) == {
        "AccessKeyId": "ASIAX",
        "SecretAccessKey": "s",
        "Token": "t",
        "AccountId": "123456789012",
        "Expiration": "2025-01-01T06:00:00Z",
    }
    assert "s'" not in repr(creds) and "secret" not in repr(creds).lower().replace("secret_access_key", "")


def test_expiration_format() -> None:
    assert format_expiration(1735711200) == "2025-01-01T06:00:00Z"
    assert format_expiration(1735711200.5) == "2025-01-01T06:00:00.5Z"


def test_bad_arn_is_an_upstream_failure() -> None:
    with pytest.raises(UpstreamUnavailableError):
        credentials_from_response(
            {"assumedRoleUser": {"arn": "nope"}, "credentials": {"accessKeyId": "a", "expiration": 1}}
        )


def test_repr_hides_secrets() -> None:
    creds = PodCredentials("ASIA1", "SECRETVALUE", "TOKENVALUE", 1.0)
    assert "SECRETVALUE" not in repr(creds) and "TOKENVALUE" not in repr(creds)
