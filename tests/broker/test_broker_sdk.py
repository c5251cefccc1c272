"""The broker end to end: SDK (Pod Identity variables only) -> ``podid agent`` -> ``podid broker``
-> STS and EKS of a ``podid up`` over https with real SigV4 (the broker's own IAM user).

Nothing is mocked: the broker validates the pod's token with the cluster issuer's JWKS (https,
local CA) or a TokenReview by podid's Kubernetes API, reads the association with boto3's EKS
client, and gets the credentials with boto3's AssumeRole + session tags.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from support.broker import BrokerWorld, broker_trust, write_token

S3_LIST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}],
}


def _eks_auth(url: str) -> object:
    return boto3.client(
        "eks-auth",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="x" * 40,
        config=Config(retries={"max_attempts": 1}),
    )


def _assume_role_events(world: BrokerWorld, session_prefix: str) -> list[dict[str, object]]:
    deadline = time.monotonic() + 5
    while True:
        found = [
            e
            for e in world.server.audit_events()
            if e.get("eventName") == "AssumeRole"
            and str((e.get("requestParameters") or {}).get("RoleSessionName", "")).startswith(session_prefix)
        ]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_aws_cli_and_boto3_get_the_role_through_agent_and_broker(world: BrokerWorld, tmp_path: Path) -> None:
    cluster = world.cluster("rc-sdk")
    role_arn = world.role("rc-sdk-reader", policy=S3_LIST)
    pod = world.pod(cluster, "web-1", namespace="shop", sa="reader")
    assoc = world.associate(cluster, "shop", "reader", role_arn)
    token_file = write_token(tmp_path / "token", pod.token)
    with world.start_broker(cluster) as broker, world.start_agent(cluster, broker.url) as agent:
        cli = world.aws_as_pod(agent.url, token_file, "sts", "get-caller-identity", "--output", "json")
        assert cli.returncode == 0, cli.stderr + broker.log() + agent.log()
        ident = json.loads(cli.stdout)
        assert re.fullmatch(
            rf"arn:aws:sts::{world.server.account_id}:assumed-role/rc-sdk-reader/"
            r"eks-rc-sdk-web-1-[0-9a-f-]+",
            ident["Arn"],
        ), ident
        py = world.boto3_as_pod(agent.url, token_file)
        assert py.returncode == 0, py.stderr
        prefix = f"arn:aws:sts::{world.server.account_id}:assumed-role/rc-sdk-reader/"
        assert py.stdout.strip().startswith(prefix)
        # the credentials carry the role's permissions (s3:ListAllMyBuckets, nothing else)
        listed = world.aws_as_pod(agent.url, token_file, "s3api", "list-buckets")
        assert listed.returncode == 0, listed.stderr
        denied = world.aws_as_pod(agent.url, token_file, "iam", "list-users")
        assert denied.returncode != 0 and "AccessDenied" in denied.stderr
        # the broker's answer itself: EKS Auth's shape, the association, subject and audience
        out = _eks_auth(broker.url).assume_role_for_pod_identity(clusterName=cluster, token=pod.token)
        assert out["subject"] == {"namespace": "shop", "serviceAccount": "reader"}
        assert out["audience"] == "pods.eks.amazonaws.com"
        assert out["podIdentityAssociation"] == {
            "associationArn": assoc["associationArn"],
            "associationId": assoc["associationId"],
        }
        assert out["credentials"]["accessKeyId"].startswith("ASIA")
    # the AssumeRole calls reached podid's STS signed as the broker, with the six session tags
    events = _assume_role_events(world, "eks-rc-sdk-web-1-")
    assert events, "no AssumeRole of the broker in the audit log"
    event = events[-1]
    assert event["userIdentity"]["arn"] == world.broker_arn  # type: ignore[index]
    params = event["requestParameters"]
    tags = {t["Key"]: t["Value"] for t in params["Tags"]}  # type: ignore[index]
    assert tags == {
        "eks-cluster-arn": world.cluster_arn(cluster),
        "eks-cluster-name": cluster,
        "kubernetes-namespace": "shop",
        "kubernetes-service-account": "reader",
        "kubernetes-pod-name": "web-1",
        "kubernetes-pod-uid": pod.uid,
    }
    assert sorted(params["TransitiveTagKeys"]) == sorted(tags)  # type: ignore[index]


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    resp = exc.value.response
    return resp["Error"]["Code"], resp["ResponseMetadata"]["HTTPStatusCode"], resp["Error"]["Message"]


def test_bad_tokens_fail_closed_with_eks_auth_errors(world: BrokerWorld) -> None:
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    cluster = world.cluster("rc-bad")
    other = world.cluster("rc-other")
    role_arn = world.role("rc-bad-role")
    world.associate(cluster, "default", "app", role_arn)
    good = world.pod(cluster, "good", sa="app")
    expired = world.pod(cluster, "old", sa="app", lifetime=600, now=int(time.time()) - 7200)
    wrong_aud = world.pod(cluster, "aud", sa="app", audience="sts.amazonaws.com")
    foreign = world.pod(other, "foreign", sa="app")
    claims = jwt.decode(good.token, options={"verify_signature": False})
    header = jwt.get_unverified_header(good.token)
    forged = jwt.encode(
        claims,
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        algorithm="RS256",
        headers={"kid": header["kid"]},
    )
    unassociated = world.pod(cluster, "lonely", sa="nobody")
    with world.start_broker(cluster) as broker:
        client = _eks_auth(broker.url)
        cases = {
            "forged": (forged, "InvalidTokenException", 400),
            "expired": (expired.token, "ExpiredTokenException", 400),
            "wrong audience": (wrong_aud.token, "InvalidTokenException", 400),
            "other cluster": (foreign.token, "InvalidTokenException", 400),
            "not a jwt": ("not-a-token", "InvalidTokenException", 400),
            "no association": (unassociated.token, "ResourceNotFoundException", 404),
        }
        for what, (token, code, status) in cases.items():
            with pytest.raises(ClientError) as exc:
                client.assume_role_for_pod_identity(clusterName=cluster, token=token)
            got = _error(exc)
            assert got[:2] == (code, status), (what, got)
            assert exc.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"].startswith(code)
        with pytest.raises(ClientError) as exc:
            client.assume_role_for_pod_identity(clusterName="not-this-cluster", token=good.token)
        assert _error(exc)[:2] == ("ResourceNotFoundException", 404)
        # the good token still works: the failures changed nothing
        assert client.assume_role_for_pod_identity(clusterName=cluster, token=good.token)["credentials"]


def test_role_trusting_only_the_eks_service_is_access_denied(world: BrokerWorld) -> None:
    """On AWS no normal principal can act as pods.eks.amazonaws.com: such a role must also trust
    the broker. STS's refusal is EKS Auth's AccessDeniedException (400)."""
    cluster = world.cluster("rc-trust")
    eks_only = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ],
    }
    role_arn = world.role("rc-eks-only", trust=eks_only)
    world.associate(cluster, "default", "app", role_arn)
    pod = world.pod(cluster, "p", sa="app")
    with world.start_broker(cluster) as broker:
        with pytest.raises(ClientError) as exc:
            _eks_auth(broker.url).assume_role_for_pod_identity(clusterName=cluster, token=pod.token)
        code, status, message = _error(exc)
        assert (code, status) == ("AccessDeniedException", 400)
        assert world.broker_arn in message and "sts:AssumeRole" in message


def _trust_with_external_id(principal_arn: str, external_id: str) -> str:
    """A target role's trust: PRINCIPAL_ARN may assume and tag it with EXTERNAL_ID."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": principal_arn},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Condition": {"StringEquals": {"sts:ExternalId": external_id}}}]})


def test_target_role_is_chained_with_the_external_id(world: BrokerWorld) -> None:
    cluster = world.cluster("rc-chain")
    first_arn = world.role(
        "rc-chain-first",
        policy={
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "*"}
            ],
        },
    )
    target_arn = world.role("rc-chain-target", policy=S3_LIST)
    assoc = world.associate(cluster, "default", "app", first_arn, targetRoleArn=target_arn)
    external_id = assoc["externalId"]
    iam = world.server.client("iam")
    iam.update_assume_role_policy(
        RoleName="rc-chain-target",
        PolicyDocument=_trust_with_external_id(first_arn, external_id),
    )
    pod = world.pod(cluster, "p", sa="app")
    with world.start_broker(cluster) as broker:
        out = _eks_auth(broker.url).assume_role_for_pod_identity(clusterName=cluster, token=pod.token)
        assert re.fullmatch(
            rf"arn:aws:sts::{world.server.account_id}:assumed-role/rc-chain-target/"
            r"eks-rc-chain-p-[0-9a-f-]+",
            out["assumedRoleUser"]["arn"],
        )
        creds = out["credentials"]
        sts = world.server.client(
            "sts", credentials=(creds["accessKeyId"], creds["secretAccessKey"], creds["sessionToken"])
        )
        assert sts.get_caller_identity()["Arn"] == out["assumedRoleUser"]["arn"]
        # a wrong external id in the target's trust: the second hop is denied, fail closed
        iam.update_assume_role_policy(
            RoleName="rc-chain-target",
            PolicyDocument=_trust_with_external_id(first_arn, "someone-else"),
        )
        with pytest.raises(ClientError) as exc:
            _eks_auth(broker.url).assume_role_for_pod_identity(clusterName=cluster, token=pod.token)
        assert _error(exc)[:2] == ("AccessDeniedException", 400)


def test_token_review_checks_the_pod_still_exists(world: BrokerWorld) -> None:
    from support.eks import delete_pod

    cluster = world.cluster("rc-review")
    role_arn = world.role("rc-review-role")
    world.associate(cluster, "default", "app", role_arn)
    pod = world.pod(cluster, "alive", sa="app")
    wrong_aud = world.pod(cluster, "aud", sa="app", audience="sts.amazonaws.com")
    with world.start_broker(cluster, token_review=True) as broker:
        client = _eks_auth(broker.url)
        out = client.assume_role_for_pod_identity(clusterName=cluster, token=pod.token)
        assert out["subject"] == {"namespace": "default", "serviceAccount": "app"}
        with pytest.raises(ClientError) as exc:
            client.assume_role_for_pod_identity(clusterName=cluster, token=wrong_aud.token)
        assert _error(exc)[:2] == ("InvalidTokenException", 400)
        delete_pod(world.store, cluster, "default", "alive")
        with pytest.raises(ClientError) as exc:
            client.assume_role_for_pod_identity(clusterName=cluster, token=pod.token)
        code, status, message = _error(exc)
        assert (code, status) == ("InvalidTokenException", 400) and "alive" in message


def test_broker_trust_helper_names_the_broker(world: BrokerWorld) -> None:
    doc = broker_trust(world.broker_arn)
    assert doc["Statement"][0]["Principal"] == {"AWS": world.broker_arn}
