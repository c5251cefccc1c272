"""STS AssumeRoleWithWebIdentity end to end: a real OIDC issuer (podid.oidc.issuer_routes under
uvicorn on 127.0.0.1), an IAM OIDC provider registered with the aws CLI, an IRSA trust policy, then
boto3 and botocore's web-identity credential provider (aws CLI in a subprocess) against `podid up`.
Every forged, foreign, expired or misaddressed token is rejected."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
from starlette.applications import Starlette
from sts_helpers import ACCOUNT, creds, error

from podid.oidc import IssuerKeys, issue_token, issuer_routes
from support.server import PodidServer, clean_env, free_port, start_podid
from support.threaded_server import serve

AUD = "sts.amazonaws.com"
SUBJECT = "system:serviceaccount:default:my-sa"


@dataclass
class World:
    srv: PodidServer
    issuer: str
    keys: IssuerKeys
    other_issuer: str  # served and registered, but not trusted by the role
    other_keys: IssuerKeys
    role_arn: str
    provider_arn: str

    def token(
        self,
        *,
        namespace: str = "default",
        sa: str = "my-sa",
        audiences: tuple[str, ...] = (AUD,),
        lifetime: int = 3600,
        now: int | None = None,
        keys: IssuerKeys | None = None,
        issuer: str | None = None,
    ) -> str:
        return issue_token(
            keys or self.keys,
            issuer or self.issuer,
            namespace,
            sa,
            str(uuid.uuid4()),
            list(audiences),
            lifetime,
            now=now,
        )

    def claims(self, **extra: Any) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": self.issuer,
            "sub": SUBJECT,
            "aud": [AUD],
            "iat": now,
            "nbf": now,
            "exp": now + 600,
            **extra,
        }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    now = int(time.time())
    keys, other_keys = IssuerKeys.generate(now), IssuerKeys.generate(now)
    holder: dict[str, str] = {}
    app = Starlette()
    with serve(app) as port:
        issuer = f"http://127.0.0.1:{port}/clusters/demo/oidc"
        other = f"http://127.0.0.1:{port}/clusters/other/oidc"
        for url, k in ((issuer, keys), (other, other_keys)):
            for route in issuer_routes(url, lambda k=k: k):  # type: ignore[misc]
                app.router.routes.append(route)
        holder["issuer"] = issuer
        with start_podid(tmp_path_factory.mktemp("podid-web-identity")) as srv:
            host_path = issuer.removeprefix("http://")
            # IAM accepts only https:// provider URLs; podid matches providers without the scheme
            for url in (issuer, other):
                result = srv.aws(
                    "iam",
                    "create-open-id-connect-provider",
                    "--url",
                    url.replace("http://", "https://"),
                    "--client-id-list",
                    AUD,
                )
                assert result.returncode == 0, result.stderr
            provider_arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host_path}"
            trust = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Federated": provider_arn},
                        "Action": "sts:AssumeRoleWithWebIdentity",
                        "Condition": {"StringEquals": {f"{host_path}:sub": SUBJECT, f"{host_path}:aud": AUD}},
                    }
                ],
            }
            iam = srv.client("iam")
            role = iam.create_role(RoleName="irsa-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
            iam.put_role_policy(
                RoleName="irsa-role",
                PolicyName="read",
                PolicyDocument=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}],
                    }
                ),
            )
            yield World(srv, issuer, keys, other, other_keys, role["Arn"], provider_arn)


def _assume(world: World, token: str, **kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = world.srv.client("sts").assume_role_with_web_identity(
        RoleArn=kw.pop("RoleArn", world.role_arn),
        RoleSessionName=kw.pop("RoleSessionName", "pod-1"),
        WebIdentityToken=token,
        **kw,
    )
    return out


def _reject(world: World, token: str, **kw: Any) -> tuple[str, str, int]:
    return error(
        world.srv.client("sts").assume_role_with_web_identity,
        RoleArn=kw.pop("RoleArn", world.role_arn),
        RoleSessionName="pod-1",
        WebIdentityToken=token,
        **kw,
    )


def test_boto3_assume_role_with_web_identity(world: World) -> None:
    out = _assume(world, world.token())
    assert out["SubjectFromWebIdentityToken"] == SUBJECT
    assert out["Audience"] == AUD
    assert out["Provider"] == world.issuer
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/irsa-role/pod-1"
    assert re.fullmatch(r"AROA[A-Z2-7]{16}:pod-1", out["AssumedRoleUser"]["AssumedRoleId"])
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")
    session = world.srv.client("sts", credentials=creds(out))
    assert session.get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/irsa-role/pod-1"
    assert world.srv.client("iam", credentials=creds(out)).list_roles()["Roles"]


def test_request_is_unsigned_and_token_not_logged(world: World) -> None:
    token = world.token()
    _assume(world, token, RoleSessionName="audited")
    audit = (world.srv.state_dir / "audit.jsonl").read_text()
    assert token not in audit and token.split(".")[2] not in audit
    events = [
        e
        for e in world.srv.audit_events()
        if e.get("eventName") == "AssumeRoleWithWebIdentity"
        and e.get("requestParameters", {}).get(
            "roleSessionName", e.get("requestParameters", {}).get("RoleSessionName")
        )
        == "audited"
    ]
    assert events and events[-1]["podid"]["decision"] == "allowed"


def test_botocore_web_identity_provider(world: World, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(world.token())
    env = clean_env()
    env.update(
        AWS_ROLE_ARN=world.role_arn,
        AWS_WEB_IDENTITY_TOKEN_FILE=str(token_file),
        AWS_ENDPOINT_URL=world.srv.url,
        AWS_DEFAULT_REGION=world.srv.region,
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
    )
    result = subprocess.run(
        ["aws", "sts", "get-caller-identity"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    arn = json.loads(result.stdout)["Arn"]
    assert re.fullmatch(rf"arn:aws:sts::{ACCOUNT}:assumed-role/irsa-role/botocore-session-\d+", arn), arn


def test_wrong_subject_is_access_denied(world: World) -> None:
    assert _reject(world, world.token(sa="other-sa")) == (
        "AccessDenied",
        "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        403,
    )
    assert _reject(world, world.token(), RoleArn=f"arn:aws:iam::{ACCOUNT}:role/missing")[0] == "AccessDenied"


def test_other_registered_issuer_is_not_trusted(world: World) -> None:
    token = world.token(keys=world.other_keys, issuer=world.other_issuer)
    assert _reject(world, token)[0] == "AccessDenied"


def test_wrong_audience(world: World) -> None:
    assert _reject(world, world.token(audiences=("pods.eks.amazonaws.com",))) == (
        "InvalidIdentityToken",
        "Incorrect token audience",
        400,
    )


def test_expired_token(world: World) -> None:
    now = int(time.time())
    code, message, status = _reject(world, world.token(now=now - 7200, lifetime=3600))
    assert (code, status) == ("ExpiredTokenException", 400)
    assert re.fullmatch(
        rf"Token expired: current date/time \d+ must be before the expiration date/time "
        rf"{now - 3600}",
        message,
    )
    # within the 5 minute skew an expired token is still accepted
    assert _assume(world, world.token(now=now - 3700, lifetime=3600))["AssumedRoleUser"]


def test_unknown_issuer(world: World) -> None:
    token = world.token(issuer="https://oidc.example.com/id/UNKNOWN")
    assert _reject(world, token) == (
        "InvalidIdentityToken",
        "No OpenIDConnect provider found in your account for https://oidc.example.com/id/UNKNOWN",
        400,
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _json(obj: Any) -> str:
    return _b64(json.dumps(obj).encode())


def _hs256(claims: dict[str, Any], kid: str, secret: bytes) -> str:
    signing_input = (
        f"{_b64(json.dumps({'alg': 'HS256', 'kid': kid}).encode())}.{_b64(json.dumps(claims).encode())}"
    )
    return f"{signing_input}.{_b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"


def test_forged_tokens_are_rejected(world: World) -> None:
    good = world.token()
    head, body, sig = good.split(".")
    raw_sig = bytearray(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
    raw_sig[10] ^= 0xFF
    claims = world.claims()
    kid = world.keys.active.kid
    forged = {
        "flipped signature": f"{head}.{body}.{_b64(bytes(raw_sig))}",
        "claims swapped": f"{head}.{_json({**claims, 'sub': 'system:serviceaccount:kube-system:x'})}.{sig}",
        "alg none": f"{_json({'alg': 'none', 'kid': kid})}.{_json(claims)}.",
        "other key, our kid": jwt.encode(
            claims, world.other_keys.active.private_key, algorithm="RS256", headers={"kid": kid}
        ),
        "other key, its kid": jwt.encode(
            claims,
            world.other_keys.active.private_key,
            algorithm="RS256",
            headers={"kid": world.other_keys.active.kid},
        ),
        "other key, no kid": jwt.encode(claims, world.other_keys.active.private_key, algorithm="RS256"),
        "HS256 with the public key": _hs256(claims, kid, world.keys.active.public_pem().encode()),
        "not a jwt": "not-a-jwt-token",
    }
    accepted = []
    for name, token in forged.items():
        code, _, status = _reject(world, token)
        if code not in ("InvalidIdentityToken", "AccessDenied"):
            accepted.append((name, code))
        assert status in (400, 403), name
    assert accepted == []


def test_idp_unreachable(world: World) -> None:
    issuer = f"http://127.0.0.1:{free_port()}/gone"
    world.srv.client("iam").create_open_id_connect_provider(
        Url=issuer.replace("http://", "https://"), ClientIDList=[AUD]
    )
    token = jwt.encode(
        world.claims(iss=issuer),
        world.keys.active.private_key,
        algorithm="RS256",
        headers={"kid": world.keys.active.kid},
    )
    code, message, status = _reject(world, token)
    assert (code, status) == ("IDPCommunicationError", 400), message


def test_plain_http_issuer_off_loopback_is_never_fetched(world: World) -> None:
    issuer = "http://oidc.example.com/id/PLAINHTTP"
    world.srv.client("iam").create_open_id_connect_provider(
        Url="https://oidc.example.com/id/PLAINHTTP", ClientIDList=[AUD]
    )
    token = jwt.encode(
        world.claims(iss=issuer),
        world.keys.active.private_key,
        algorithm="RS256",
        headers={"kid": world.keys.active.kid},
    )
    assert _reject(world, token)[0] == "InvalidIdentityToken"


def test_session_policy_and_duration(world: World) -> None:
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}],
        }
    )
    out = _assume(world, world.token(), Policy=policy, DurationSeconds=900)
    assert 1 <= out["PackedPolicySize"] <= 100
    assert error(world.srv.client("iam", credentials=creds(out)).list_roles)[0] == "AccessDenied"
    assert _reject(world, world.token(), DurationSeconds=7200) == (
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        400,
    )
