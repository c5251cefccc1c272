"""AssumeRoleForPodIdentity against a real ``podid up``: the happy paths (session tags, ABAC,
disabled tags, cross-account target role) and every rejection, through boto3 ``eks-auth`` and the
aws CLI. Pods/ServiceAccounts live in podid.k8s's object store; tokens are signed with the
cluster's own issuer keys read from the server's database (forgeries are built by hand).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from botocore.exceptions import ClientError

from support.eks import (
    add_pod,
    cluster_keys,
    create_role,
    delete_pod,
    node_credentials,
    open_store,
    pod_token,
)
from support.server import PodidServer

TAG_KEYS = {"eks-cluster-arn", "eks-cluster-name", "kubernetes-namespace", "kubernetes-service-account",
            "kubernetes-pod-name", "kubernetes-pod-uid"}


@pytest.fixture(scope="module")
def env(auth_server: PodidServer) -> dict[str, Any]:
    srv = auth_server
    store = open_store(srv)
    node = node_credentials(srv, "node-agent")
    return {"srv": srv, "store": store, "node": node, "auth": srv.client("eks-auth", credentials=node)}


def _err(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    r = exc.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def _setup(env: dict[str, Any], ns: str, sa: str, pod: str, *, role: str | None = None,
           cluster: str = "c1", **assoc: Any) -> tuple[str, dict[str, Any]]:
    """Role (pod identity trust), association, SA + pod; returns (token, association)."""
    srv, store = env["srv"], env["store"]
    role_arn = role or create_role(srv, f"r-{ns}-{sa}")
    a = srv.client("eks").create_pod_identity_association(
        clusterName=cluster, namespace=ns, serviceAccount=sa, roleArn=role_arn, **assoc)["association"]
    sa_uid, pod_uid = add_pod(store, cluster, ns, sa, pod)
    return pod_token(srv, store, cluster, ns, sa, sa_uid, pod, pod_uid), a


def _session(env: dict[str, Any], creds: dict[str, Any]) -> Any:
    from podid.auth.tokens import TokenCodec

    return TokenCodec.open(env["srv"].state_dir).decode(creds["sessionToken"], creds["accessKeyId"])


def test_happy_path_session_tags_and_expiry(env: dict[str, Any]) -> None:
    srv = env["srv"]
    token, assoc = _setup(env, "shop", "cart", "cart-7d9f")
    before = time.time()
    out = env["auth"].assume_role_for_pod_identity(clusterName="c1", token=token)
    assert out["subject"] == {"namespace": "shop", "serviceAccount": "cart"}
    assert out["audience"] == "pods.eks.amazonaws.com"
    assert out["podIdentityAssociation"] == {"associationArn": assoc["associationArn"],
                                             "associationId": assoc["associationId"]}
    arn = out["assumedRoleUser"]["arn"]
    assert arn.startswith(f"arn:aws:sts::{srv.account_id}:assumed-role/r-shop-cart/eks-c1-cart-7d9f-")
    session = arn.rsplit("/", 1)[1]
    assert len(session) <= 64 and out["assumedRoleUser"]["assumeRoleId"].endswith(":" + session)
    creds = out["credentials"]
    assert creds["accessKeyId"].startswith("ASIA")
    lifetime = creds["expiration"].timestamp() - before
    assert 6 * 3600 - 60 <= lifetime <= 6 * 3600 + 5
    who = srv.client("sts", credentials=(creds["accessKeyId"], creds["secretAccessKey"],
                                         creds["sessionToken"])).get_caller_identity()
    assert who["Arn"] == arn
    ctx = _session(env, creds)
    assert set(ctx.tags) == TAG_KEYS and set(ctx.transitive_tag_keys) == TAG_KEYS
    assert ctx.tags["kubernetes-namespace"] == "shop" and ctx.tags["kubernetes-pod-name"] == "cart-7d9f"
    assert ctx.tags["eks-cluster-arn"] == f"arn:aws:eks:{srv.region}:{srv.account_id}:cluster/c1"


def test_aws_cli(env: dict[str, Any]) -> None:
    srv = env["srv"]
    token, _ = _setup(env, "cli", "app", "app-1")
    out = srv.aws("eks-auth", "assume-role-for-pod-identity", "--cluster-name", "c1", "--token", token,
                  "--query", "subject.serviceAccount", "--output", "text")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "app"


def test_abac_on_namespace_tag(env: dict[str, Any]) -> None:
    """${aws:PrincipalTag/kubernetes-namespace} in the role's policy, judged by the gateway."""
    srv = env["srv"]
    acct = srv.account_id
    role = create_role(srv, "abac-role", policy={"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "iam:GetRole",
        "Resource": f"arn:aws:iam::{acct}:role/${{aws:PrincipalTag/kubernetes-namespace}}-*"}]})
    create_role(srv, "team-a-data")
    create_role(srv, "team-b-data")
    token, _ = _setup(env, "team-a", "worker", "worker-1", role=role)
    creds = env["auth"].assume_role_for_pod_identity(clusterName="c1", token=token)["credentials"]
    iam = srv.client("iam", credentials=_triple(creds))
    assert iam.get_role(RoleName="team-a-data")["Role"]["RoleName"] == "team-a-data"
    with pytest.raises(ClientError) as exc:
        iam.get_role(RoleName="team-b-data")
    assert _err(exc)[0] == "AccessDenied"


def test_disabled_session_tags_and_session_policy(env: dict[str, Any]) -> None:
    srv = env["srv"]
    only_assume = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = create_role(srv, "no-tag-role", trust=only_assume, policy={"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*"}]})
    create_role(srv, "visible-x")
    # with session tags the trust policy (no sts:TagSession) refuses
    token, _ = _setup(env, "tags-on", "sa", "p1", role=role)
    with pytest.raises(ClientError) as exc:
        env["auth"].assume_role_for_pod_identity(clusterName="c1", token=token)
    assert _err(exc) == ("AccessDeniedException", 400)
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:GetRole",
         "Resource": f"arn:aws:iam::{srv.account_id}:role/visible-*"}]})
    token, _ = _setup(env, "tags-off", "sa", "p2", role=role, disableSessionTags=True, policy=policy)
    creds = env["auth"].assume_role_for_pod_identity(clusterName="c1", token=token)["credentials"]
    ctx = _session(env, creds)
    assert dict(ctx.tags) == {} and not ctx.transitive_tag_keys
    iam = srv.client("iam", credentials=_triple(creds))
    iam.get_role(RoleName="visible-x")
    with pytest.raises(ClientError):
        iam.get_role(RoleName="no-tag-role")      # outside the session policy


def test_cross_account_target_role(env: dict[str, Any]) -> None:
    srv, store = env["srv"], env["store"]
    other = "444455556666"
    first = create_role(srv, "xacct-first", policy={"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"],
         "Resource": f"arn:aws:iam::{other}:role/*"}]})
    token, assoc = _setup(env, "xacct", "reader", "reader-1", role=first,
                          targetRoleArn=f"arn:aws:iam::{other}:role/data-reader")
    external_id = assoc["externalId"]
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": first}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"sts:ExternalId": external_id}}},
        {"Effect": "Allow", "Principal": {"AWS": first}, "Action": "sts:TagSession"}]}
    store.create_role(other, "data-reader", json.dumps(trust))
    before = time.time()
    out = env["auth"].assume_role_for_pod_identity(clusterName="c1", token=token)
    prefix = f"arn:aws:sts::{other}:assumed-role/data-reader/eks-c1-reader-1-"
    assert out["assumedRoleUser"]["arn"].startswith(prefix)
    creds = out["credentials"]
    assert creds["expiration"].timestamp() - before <= 59 * 60 + 5
    who = srv.client("sts", credentials=(creds["accessKeyId"], creds["secretAccessKey"],
                                         creds["sessionToken"])).get_caller_identity()
    assert who["Account"] == other
    assert _session(env, creds).tags["kubernetes-namespace"] == "xacct"

    # a target whose trust requires another external id refuses
    store.create_role(other, "strict-reader", json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": first}, "Action": ["sts:AssumeRole", "sts:TagSession"],
         "Condition": {"StringEquals": {"sts:ExternalId": "someone-else"}}}]}))
    token2, _ = _setup(env, "xacct", "strict", "strict-1", role=first,
                       targetRoleArn=f"arn:aws:iam::{other}:role/strict-reader")
    with pytest.raises(ClientError) as exc:
        env["auth"].assume_role_for_pod_identity(clusterName="c1", token=token2)
    assert _err(exc) == ("AccessDeniedException", 400)


def test_caller_needs_eks_auth_permission(env: dict[str, Any]) -> None:
    srv = env["srv"]
    token, _ = _setup(env, "perm", "sa", "p")
    iam = srv.client("iam")
    iam.create_user(UserName="nobody")
    key = iam.create_access_key(UserName="nobody")["AccessKey"]
    auth = srv.client("eks-auth", credentials=(key["AccessKeyId"], key["SecretAccessKey"]))
    with pytest.raises(ClientError) as exc:
        auth.assume_role_for_pod_identity(clusterName="c1", token=token)
    assert _err(exc) == ("AccessDeniedException", 400)


def test_not_found(env: dict[str, Any]) -> None:
    srv, store = env["srv"], env["store"]
    sa_uid, pod_uid = add_pod(store, "c1", "lonely", "sa", "p")
    token = pod_token(srv, store, "c1", "lonely", "sa", sa_uid, "p", pod_uid)
    with pytest.raises(ClientError) as exc:
        env["auth"].assume_role_for_pod_identity(clusterName="c1", token=token)
    assert _err(exc) == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as exc:
        env["auth"].assume_role_for_pod_identity(clusterName="nope", token=token)
    assert _err(exc) == ("ResourceNotFoundException", 404)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_forged_and_stale_tokens_are_all_rejected(env: dict[str, Any]) -> None:
    srv, store = env["srv"], env["store"]
    good, _ = _setup(env, "forge", "victim", "victim-1")
    header, payload, sig = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    sa_uid = claims["kubernetes.io"]["serviceaccount"]["uid"]
    pod_uid = claims["kubernetes.io"]["pod"]["uid"]
    issuer = claims["iss"]
    record, keys = cluster_keys(store, srv.account_id, srv.region, "c1")
    _, other_keys = cluster_keys(store, srv.account_id, srv.region, "c2")
    now = int(time.time())

    def mint(*, sa: str = sa_uid, pod: str = pod_uid, **kw: Any) -> str:
        kw.setdefault("issuer", issuer)
        return pod_token(srv, store, "c1", "forge", "victim", sa, "victim-1", pod, **kw)

    none_header = _b64(json.dumps({"alg": "none"}).encode())
    tampered = _b64(json.dumps({**claims, "sub": "system:serviceaccount:forge:admin"}).encode())
    forged: dict[str, tuple[str, str]] = {
        "alg none": (f"{none_header}.{payload}.", "InvalidTokenException"),
        "HS256 with the public key": (_hs256(claims, keys.active.public_pem().encode()),
                                      "InvalidTokenException"),
        "unknown kid": (_rs256(claims, other_keys, "no-such-kid"), "InvalidTokenException"),
        "another cluster's key": (_rs256(claims, other_keys, other_keys.active.kid), "InvalidTokenException"),
        "another cluster's key, our kid": (_rs256(claims, other_keys, keys.active.kid),
                                           "InvalidTokenException"),
        "wrong aud": (mint(audience="sts.amazonaws.com"), "InvalidTokenException"),
        "wrong iss": (mint(issuer="https://oidc.eks.us-east-1.amazonaws.com/id/" + "A" * 32),
                      "InvalidTokenException"),
        "expired": (mint(now=now - 7200, lifetime=3600), "ExpiredTokenException"),
        "nbf in the future": (mint(now=now + 3600), "InvalidTokenException"),
        "tampered payload": (f"{header}.{tampered}.{sig}", "InvalidTokenException"),
        "sa uid mismatch": (mint(sa=str(uuid.uuid4())), "InvalidTokenException"),
        "pod uid mismatch": (mint(pod=str(uuid.uuid4())), "InvalidTokenException"),
        "garbage": ("not-a-jwt", "InvalidTokenException"),
    }
    accepted = []
    for name, (token, expected) in forged.items():
        try:
            env["auth"].assume_role_for_pod_identity(clusterName="c1", token=token)
            accepted.append(name)
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            assert code == expected, (name, code, exc.response["Error"].get("Message"))
            assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 400, name
    # the genuine token works, until its pod is deleted
    env["auth"].assume_role_for_pod_identity(clusterName="c1", token=good)
    delete_pod(store, "c1", "forge", "victim-1")
    try:
        env["auth"].assume_role_for_pod_identity(clusterName="c1", token=good)
        accepted.append("deleted pod")
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "InvalidTokenException"
    assert accepted == []
    # a token of cluster c1 presented to cluster c2 fails too (other issuer and keys)
    with pytest.raises(ClientError) as other:
        env["auth"].assume_role_for_pod_identity(clusterName="c2", token=good)
    assert _err(other) == ("InvalidTokenException", 400)
    assert record.name == "c1"


def _triple(creds: dict[str, Any]) -> tuple[str, str, str]:
    return creds["accessKeyId"], creds["secretAccessKey"], creds["sessionToken"]


def _rs256(claims: dict[str, Any], keys: Any, kid: str) -> str:
    return jwt.encode(claims, keys.active.private_key, algorithm="RS256", headers={"kid": kid})


def _hs256(claims: dict[str, Any], secret: bytes) -> str:
    """An HS256 token keyed with the RSA public key PEM (algorithm-confusion forgery)."""
    import hashlib
    import hmac

    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims).encode())
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(mac)}"
