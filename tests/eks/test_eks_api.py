"""EKS API against a real ``podid up``: clusters, the pod identity agent add-on, associations.

boto3 ``eks`` clients and the real aws CLI; nothing of podid is mocked.
"""

from __future__ import annotations

import json
import re
import ssl
import urllib.request
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from support.eks import create_role, node_credentials
from support.server import PodidServer


def _err(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    r = exc.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Message", "")


def _cluster(srv: PodidServer, name: str) -> dict[str, Any]:
    eks = srv.client("eks")
    return eks.create_cluster(name=name, roleArn=f"arn:aws:iam::{srv.account_id}:role/cluster",
                              resourcesVpcConfig={})["cluster"]  # type: ignore[no-any-return]


def test_issuer_http_opt_out(podid_server_factory: Callable[..., PodidServer]) -> None:
    """`podid up --issuer-http`: plain http issuers on podid's own port (the pre-TLS behaviour)."""
    srv = podid_server_factory(extra_args=["--issuer-http", "--kube-port", "0"])
    issuer = _cluster(srv, "plain")["identity"]["oidc"]["issuer"]
    assert re.fullmatch(rf"{re.escape(srv.url)}/clusters/plain/oidc/id/[0-9A-F]{{32}}", issuer)
    doc = json.load(urllib.request.urlopen(issuer + "/.well-known/openid-configuration", timeout=10))
    assert doc["issuer"] == issuer


def test_cluster_lifecycle_and_issuer(eks_server: PodidServer) -> None:
    srv = eks_server
    eks = srv.client("eks")
    created = _cluster(srv, "life")
    assert created["status"] == "ACTIVE"
    assert created["arn"] == f"arn:aws:eks:{srv.region}:{srv.account_id}:cluster/life"
    assert created["version"] == "1.32"
    issuer = created["identity"]["oidc"]["issuer"]
    # https by default, as on EKS: the Kubernetes TLS listener, certificate from the state dir's CA
    kube_url = json.loads((srv.state_dir / "server.json").read_text())["kube_url"]
    assert kube_url.startswith("https://127.0.0.1:")
    assert re.fullmatch(rf"{re.escape(kube_url)}/clusters/life/oidc/id/[0-9A-F]{{32}}", issuer)
    cli = srv.aws("eks", "describe-cluster", "--name", "life", "--query", "cluster.identity.oidc.issuer",
                  "--output", "text")
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout.strip() == issuer
    tls = ssl.create_default_context(cafile=str(srv.state_dir / "ca.crt"))
    doc = json.load(urllib.request.urlopen(issuer + "/.well-known/openid-configuration", timeout=10,
                                           context=tls))
    assert doc["issuer"] == issuer and doc["jwks_uri"] == issuer + "/keys"
    jwks = json.load(urllib.request.urlopen(issuer + "/keys", timeout=10, context=tls))
    assert jwks["keys"] and jwks["keys"][0]["alg"] == "RS256"
    assert "life" in eks.list_clusters()["clusters"]
    with pytest.raises(ClientError) as exc:
        _cluster(srv, "life")
    assert _err(exc)[:2] == ("ResourceInUseException", 409)
    eks.delete_cluster(name="life")
    with pytest.raises(ClientError) as exc:
        eks.describe_cluster(name="life")
    assert _err(exc) == ("ResourceNotFoundException", 404, "No cluster found for name: life.")


def test_delete_cluster_refused_while_in_use(eks_server: PodidServer) -> None:
    srv = eks_server
    eks = srv.client("eks")
    _cluster(srv, "busy")
    role = create_role(srv, "busy-role")
    assoc = eks.create_pod_identity_association(clusterName="busy", namespace="a", serviceAccount="b",
                                                roleArn=role)["association"]
    with pytest.raises(ClientError) as exc:
        eks.delete_cluster(name="busy")
    assert _err(exc)[:2] == ("ResourceInUseException", 409)
    eks.delete_pod_identity_association(clusterName="busy", associationId=assoc["associationId"])
    eks.create_addon(clusterName="busy", addonName="eks-pod-identity-agent")
    with pytest.raises(ClientError) as exc:
        eks.delete_cluster(name="busy")
    assert _err(exc)[:2] == ("ResourceInUseException", 409)
    eks.delete_addon(clusterName="busy", addonName="eks-pod-identity-agent")
    eks.delete_cluster(name="busy")


def _status(srv: PodidServer, cluster: str) -> str:
    out = srv.aws("eks", "describe-addon", "--cluster-name", cluster, "--addon-name",
                  "eks-pod-identity-agent", "--query", "addon.status", "--output", "text")
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_addon_follows_agent_heartbeats(eks_server: PodidServer) -> None:
    from podid.agent.health import HealthTracker, HttpHeartbeat

    srv = eks_server
    eks = srv.client("eks")
    _cluster(srv, "addons")
    with pytest.raises(ClientError) as exc:
        eks.create_addon(clusterName="addons", addonName="vpc-cni")
    assert _err(exc) == ("InvalidParameterException", 400,
                         "Addon vpc-cni specified is not supported in 1.32 kubernetes version")
    with pytest.raises(ClientError) as exc:
        eks.create_addon(clusterName="addons", addonName="eks-pod-identity-agent", addonVersion="v0.0.1")
    assert _err(exc)[0] == "InvalidParameterException"
    out = srv.aws("eks", "create-addon", "--cluster-name", "addons", "--addon-name", "eks-pod-identity-agent")
    assert out.returncode == 0, out.stderr
    addon = json.loads(out.stdout)["addon"]
    assert addon["status"] == "CREATING"
    assert re.fullmatch(rf"arn:aws:eks:{srv.region}:{srv.account_id}:addon/addons/eks-pod-identity-agent/"
                        r"[0-9a-f-]{36}", addon["addonArn"])
    assert _status(srv, "addons") == "CREATING"
    with pytest.raises(ClientError) as exc:
        eks.create_addon(clusterName="addons", addonName="eks-pod-identity-agent")
    assert _err(exc)[:2] == ("ResourceInUseException", 409)

    akid, secret = node_credentials(srv, "addons-node")
    session = boto3.Session(aws_access_key_id=akid, aws_secret_access_key=secret, region_name=srv.region)
    beat = HttpHeartbeat(f"{srv.url}/_podid/eks/clusters/addons/agent-heartbeat", region=srv.region,
                         sign_with=session)
    tracker = HealthTracker(cluster_name="addons", node_name="node-1", listening=("127.0.0.1:2703",))
    beat(tracker.status())
    assert _status(srv, "addons") == "ACTIVE"
    beat(tracker.status(stopped=True))
    assert _status(srv, "addons") == "DEGRADED"
    health = eks.describe_addon(clusterName="addons", addonName="eks-pod-identity-agent")["addon"]["health"]
    assert health["issues"][0]["code"] == "InsufficientNumberOfReplicas"
    assert "node-1" in health["issues"][0]["resourceIds"]
    beat(tracker.status())
    assert _status(srv, "addons") == "ACTIVE"

    # unsigned or unauthorized heartbeats are refused
    unsigned = HttpHeartbeat(f"{srv.url}/_podid/eks/clusters/addons/agent-heartbeat")
    import httpx

    body = json.dumps(tracker.status(stopped=True).to_json())
    r = httpx.post(unsigned.url, content=body, timeout=5)
    assert r.status_code == 403
    assert _status(srv, "addons") == "ACTIVE"
    # a caller without eks-auth:AssumeRoleForPodIdentity on the cluster is refused (and nothing changes)
    iam = srv.client("iam")
    iam.create_user(UserName="no-heartbeat")
    key = iam.create_access_key(UserName="no-heartbeat")["AccessKey"]
    stranger = HttpHeartbeat(unsigned.url, region=srv.region, sign_with=boto3.Session(
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
        region_name=srv.region))
    stranger(tracker.status(stopped=True))  # answered 403 (HttpHeartbeat logs it)
    assert _status(srv, "addons") == "ACTIVE"
    # every heartbeat, accepted or refused, is in the audit log like any AWS call
    beats = [e for e in srv.audit_events() if e.get("eventName") == "PodIdentityAgentHeartbeat"]
    codes = {e.get("errorCode") for e in beats}
    assert codes >= {None, "MissingAuthenticationToken", "AccessDeniedException"}, beats
    ok = next(e for e in beats if e.get("errorCode") is None)
    assert ok["eventSource"] == "eks-auth.amazonaws.com" and ok["userIdentity"]["userName"] == "addons-node"

    assert eks.list_addons(clusterName="addons")["addons"] == ["eks-pod-identity-agent"]
    versions = eks.describe_addon_versions(addonName="eks-pod-identity-agent")["addons"]
    assert versions[0]["addonName"] == "eks-pod-identity-agent" and versions[0]["addonVersions"]
    eks.delete_addon(clusterName="addons", addonName="eks-pod-identity-agent")
    with pytest.raises(ClientError) as exc:
        eks.describe_addon(clusterName="addons", addonName="eks-pod-identity-agent")
    assert _err(exc) == ("ResourceNotFoundException", 404,
                         "No addon: eks-pod-identity-agent found in cluster: addons")


def test_associations_crud_and_errors(eks_server: PodidServer) -> None:
    srv = eks_server
    eks = srv.client("eks")
    _cluster(srv, "assoc")
    role = create_role(srv, "assoc-role")
    out = srv.aws("eks", "create-pod-identity-association", "--cluster-name", "assoc", "--namespace", "ns1",
                  "--service-account", "sa1", "--role-arn", role, "--tags", "team=blue")
    assert out.returncode == 0, out.stderr
    a = json.loads(out.stdout)["association"]
    assert re.fullmatch(r"a-[0-9a-z]{17}", a["associationId"])
    assert a["associationArn"] == (f"arn:aws:eks:{srv.region}:{srv.account_id}:podidentityassociation/assoc/"
                                   f"{a['associationId']}")
    assert a["tags"] == {"team": "blue"} and a["disableSessionTags"] is False
    assert isinstance(a["createdAt"], (int, float))   # epoch seconds on the wire

    with pytest.raises(ClientError) as exc:
        eks.create_pod_identity_association(clusterName="assoc", namespace="ns1", serviceAccount="sa1",
                                            roleArn=role)
    assert _err(exc) == ("ResourceInUseException", 409, f"Association already exists: {a['associationId']}")
    with pytest.raises(ClientError) as exc:
        eks.create_pod_identity_association(clusterName="assoc", namespace="ns1", serviceAccount="sa2",
                                            roleArn=f"arn:aws:iam::{srv.account_id}:role/nope")
    assert _err(exc)[:2] == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as exc:
        eks.create_pod_identity_association(clusterName="assoc", namespace="ns1", serviceAccount="sa2",
                                            roleArn=role, policy='{"Version":"2012-10-17","Statement":[]}')
    assert _err(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        eks.create_pod_identity_association(clusterName="missing", namespace="n", serviceAccount="s",
                                            roleArn=role)
    assert _err(exc)[:2] == ("ResourceNotFoundException", 404)

    ids = [a["associationId"]]
    for i in range(2, 7):
        ids.append(eks.create_pod_identity_association(
            clusterName="assoc", namespace="ns1" if i % 2 else "ns2", serviceAccount=f"sa{i}",
            roleArn=role)["association"]["associationId"])
    seen, token, pages = [], None, 0
    while pages < 10:
        kwargs: dict[str, Any] = {"clusterName": "assoc", "maxResults": 2}
        if token:
            kwargs["nextToken"] = token
        page = eks.list_pod_identity_associations(**kwargs)
        assert len(page["associations"]) <= 2
        seen += [s["associationId"] for s in page["associations"]]
        pages += 1
        token = page.get("nextToken")
        if not token:
            break
    assert seen == ids and pages == 3
    ns2 = eks.list_pod_identity_associations(clusterName="assoc", namespace="ns2")["associations"]
    assert {s["namespace"] for s in ns2} == {"ns2"} and len(ns2) == 3
    one = eks.list_pod_identity_associations(clusterName="assoc", namespace="ns1", serviceAccount="sa3")
    assert [s["serviceAccount"] for s in one["associations"]] == ["sa3"]
    cli = srv.aws("eks", "list-pod-identity-associations", "--cluster-name", "assoc", "--namespace", "ns2",
                  "--query", "length(associations)")
    assert cli.returncode == 0 and cli.stdout.strip() == "3", cli.stderr
    with pytest.raises(ClientError) as exc:
        eks.list_pod_identity_associations(clusterName="assoc", maxResults=101)
    assert _err(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        eks.list_pod_identity_associations(clusterName="assoc", nextToken="garbage!")
    assert _err(exc)[0] == "InvalidParameterException"

    target = "arn:aws:iam::444455556666:role/target"
    up = eks.update_pod_identity_association(clusterName="assoc", associationId=ids[1], targetRoleArn=target,
                                             disableSessionTags=True,
                                             policy=json.dumps({"Version": "2012-10-17", "Statement": [
                                                 {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    got = up["association"]
    assert got["targetRoleArn"] == target and got["externalId"] and got["disableSessionTags"] is True
    assert got["policy"] and got["modifiedAt"] >= got["createdAt"]
    desc = srv.aws("eks", "describe-pod-identity-association", "--cluster-name", "assoc", "--association-id",
                   ids[1], "--query", "association.externalId", "--output", "text")
    assert desc.stdout.strip() == got["externalId"]
    eks.delete_pod_identity_association(clusterName="assoc", associationId=ids[1])
    with pytest.raises(ClientError) as exc:
        eks.describe_pod_identity_association(clusterName="assoc", associationId=ids[1])
    assert _err(exc)[:2] == ("ResourceNotFoundException", 404)


def test_pass_role_and_eks_permissions_are_judged(eks_server: PodidServer) -> None:
    srv = eks_server
    iam = srv.client("iam")
    _cluster(srv, "judged")
    role = create_role(srv, "judged-role")
    iam.create_user(UserName="eks-operator")
    iam.put_user_policy(UserName="eks-operator", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow",
             "Action": ["eks:CreatePodIdentityAssociation", "eks:ListPodIdentityAssociations"],
             "Resource": f"arn:aws:eks:{srv.region}:{srv.account_id}:cluster/judged"}]}))
    key = iam.create_access_key(UserName="eks-operator")["AccessKey"]
    eks = srv.client("eks", credentials=(key["AccessKeyId"], key["SecretAccessKey"]))
    with pytest.raises(ClientError) as exc:
        eks.create_pod_identity_association(clusterName="judged", namespace="n", serviceAccount="s",
                                            roleArn=role)
    code, status, message = _err(exc)
    assert (code, status) == ("AccessDeniedException", 403)
    assert "iam:PassRole" in message and role in message
    with pytest.raises(ClientError) as exc:
        eks.describe_cluster(name="judged")
    assert _err(exc)[:2] == ("AccessDeniedException", 403)
    iam.put_user_policy(UserName="eks-operator", PolicyName="pass", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": role,
                                                "Condition": {"StringEquals": {
                                                    "iam:PassedToService": "pods.eks.amazonaws.com"}}}]}))
    eks.create_pod_identity_association(clusterName="judged", namespace="n", serviceAccount="s", roleArn=role)
    assert len(eks.list_pod_identity_associations(clusterName="judged")["associations"]) == 1
