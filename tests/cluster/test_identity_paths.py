"""Identity paths beyond the seeds' happy path: IRSA, both identities at once, associations created
after the pod, stolen and stale tokens, the agent add-on going away."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from support.lab import BUCKET, CLUSTER, LAB, NS, Lab

from .test_seeds_lab import TOKEN_PATH

WEB_IDENTITY_TOKEN = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"


def _irsa_role(lab: Lab, name: str, sa: str) -> str:
    issuer = lab.ok(f"aws eks describe-cluster --name {CLUSTER} --query cluster.identity.oidc.issuer "
                    "--output text").strip()
    host_path = issuer.split("://", 1)[1]
    providers = lab.ok("aws iam list-open-id-connect-providers --output json")
    if host_path not in providers:
        lab.ok(f"aws iam create-open-id-connect-provider --url {issuer} --client-id-list sts.amazonaws.com")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
        "Principal": {"Federated": f"arn:aws:iam::{lab.account}:oidc-provider/{host_path}"},
        "Condition": {"StringEquals": {f"{host_path}:sub": f"system:serviceaccount:{NS}:{sa}",
                                       f"{host_path}:aud": "sts.amazonaws.com"}}}]}
    return lab.role(name, trust, f"arn:aws:iam::{lab.account}:policy/s3-reader")


def test_irsa_pod(lab: Lab) -> None:
    arn = _irsa_role(lab, "irsa-reader", "irsa-sa")
    lab.ok(f"kubectl -n {NS} create sa irsa-sa")
    lab.ok(f"kubectl -n {NS} annotate sa irsa-sa eks.amazonaws.com/role-arn={arn}")
    lab.pod("irsa-test", "irsa-sa", image="amazon/aws-cli:latest")
    pod = lab.kubectl_json("-n", NS, "get", "pod", "irsa-test")
    env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}
    assert env["AWS_ROLE_ARN"] == arn and env["AWS_WEB_IDENTITY_TOKEN_FILE"] == WEB_IDENTITY_TOKEN
    assert "AWS_CONTAINER_CREDENTIALS_FULL_URI" not in env
    who = lab.exec("irsa-test", "aws sts get-caller-identity --query Arn --output text")
    assert who.returncode == 0 and who.stdout.startswith(
        f"arn:aws:sts::{lab.account}:assumed-role/irsa-reader/"), who.stderr
    assert lab.exec("irsa-test", f"aws s3 ls s3://{BUCKET}/allowed/").returncode == 0
    denied = lab.exec("irsa-test", f"aws s3 ls s3://{BUCKET}/blocked/")
    assert denied.returncode == 255 and "AccessDenied" in denied.stderr
    # the token is the cluster issuer's, for sts.amazonaws.com, naming the pod
    token = lab.exec("irsa-test", f"cat {WEB_IDENTITY_TOKEN}")
    assert token.returncode == 0 and not token.stdout.endswith("\n")
    import jwt

    claims = jwt.decode(token.stdout, options={"verify_signature": False})
    assert claims["aud"] == ["sts.amazonaws.com"] and claims["sub"] == f"system:serviceaccount:{NS}:irsa-sa"
    assert claims["kubernetes.io"]["pod"]["name"] == "irsa-test"


def test_both_identities_web_identity_wins(lab: Lab) -> None:
    """Association + annotation: both are injected as on EKS; the SDK chains try web identity
    (env AWS_ROLE_ARN) before container credentials, so the pod is the IRSA role."""
    irsa = _irsa_role(lab, "both-irsa", "both-sa")
    lab.role("both-pod-identity", LAB / "pod-identity-trust.json",
             f"arn:aws:iam::{lab.account}:policy/s3-reader")
    lab.ok(f"kubectl -n {NS} create sa both-sa")
    lab.ok(f"kubectl -n {NS} annotate sa both-sa eks.amazonaws.com/role-arn={irsa}")
    lab.associate("both-sa", "both-pod-identity")
    lab.pod("both-test", "both-sa")
    pod = lab.kubectl_json("-n", NS, "get", "pod", "both-test")
    names = {e["name"] for e in pod["spec"]["containers"][0]["env"]}
    assert {"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"} <= names
    who = lab.exec("both-test", "aws sts get-caller-identity --query Arn --output text")
    assert who.returncode == 0 and ":assumed-role/both-irsa/" in who.stdout, who.stdout + who.stderr


def test_association_after_the_pod(lab: Lab) -> None:
    lab.role("late-role", LAB / "pod-identity-trust.json", f"arn:aws:iam::{lab.account}:policy/s3-reader")
    lab.ok(f"kubectl -n {NS} create sa late-sa")
    lab.pod("late-test", "late-sa")
    lab.associate("late-sa", "late-role")
    lab.wait_for(f"kubectl -n {NS} get events --field-selector involvedObject.name=late-test,"
                 "reason=PodIdentityAssociationAfterPod -o jsonpath='{.items[0].type}'", "Warning")
    described = lab.ok(f"kubectl -n {NS} describe pod late-test")
    assert "created after this pod" in described and "delete and recreate the pod" in described
    out = lab.exec("late-test", "aws sts get-caller-identity")
    assert out.returncode == 255 and "Unable to locate credentials" in out.stderr
    lab.ok(f"kubectl -n {NS} delete pod late-test --wait=true", timeout=90)
    lab.pod("late-test", "late-sa")
    who = lab.exec("late-test", "aws sts get-caller-identity --query Arn --output text")
    assert who.returncode == 0 and ":assumed-role/late-role/eks-lab-late-test-" in who.stdout, who.stderr


def _eks_auth(lab: Lab, token: str, cluster: str = CLUSTER) -> dict[str, object]:
    client = lab.srv.client("eks-auth")
    return client.assume_role_for_pod_identity(clusterName=cluster, token=token)  # type: ignore[no-any-return]


def test_tokens_of_deleted_pods_and_other_places_are_refused(lab: Lab) -> None:
    lab.pod("token-test", "s3-reader")
    token = lab.exec("token-test", f"cat {TOKEN_PATH}")
    assert token.returncode == 0 and token.stdout.count(".") == 2
    good = _eks_auth(lab, token.stdout)
    assert good["assumedRoleUser"]["arn"].startswith(  # type: ignore[index]
        f"arn:aws:sts::{lab.account}:assumed-role/s3-reader/eks-{CLUSTER}-token-test-")
    tags = good["subject"]  # type: ignore[index]
    assert tags == {"namespace": NS, "serviceAccount": "s3-reader"}
    # presented to another cluster: that cluster's issuer did not sign it
    lab.ok(f"aws eks create-cluster --name elsewhere --role-arn arn:aws:iam::{lab.account}:role/s3-reader "
           "--resources-vpc-config subnetIds=subnet-1")
    with pytest.raises(ClientError) as exc:
        _eks_auth(lab, token.stdout, cluster="elsewhere")
    assert exc.value.response["Error"]["Code"] == "InvalidTokenException"
    # a stolen token with a changed namespace claim: signature check fails
    head, payload, sig = token.stdout.split(".")
    import base64

    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["kubernetes.io"]["namespace"] = "kube-system"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    with pytest.raises(ClientError) as exc:
        _eks_auth(lab, f"{head}.{forged}.{sig}")
    assert exc.value.response["Error"]["Code"] == "InvalidTokenException"
    # the pod is deleted: its still-unexpired token is refused from then on
    lab.ok(f"kubectl -n {NS} delete pod token-test --wait=true", timeout=90)
    with pytest.raises(ClientError) as exc:
        _eks_auth(lab, token.stdout)
    assert exc.value.response["Error"]["Code"] in ("InvalidTokenException", "AccessDeniedException")


def test_addon_removed_means_no_agent(lab: Lab) -> None:
    """Runs last in this module: deleting the add-on stops the node agent and removes the DaemonSet;
    Pod Identity pods then cannot fetch credentials. Re-creating it brings both back."""
    lab.ok(f"aws eks delete-addon --cluster-name {CLUSTER} --addon-name eks-pod-identity-agent")
    lab.wait_for("kubectl -n kube-system get daemonset -o name", "")
    out = lab.exec("s3-reader-test", "aws sts get-caller-identity")
    assert out.returncode == 255 and "credentials" in out.stderr.lower(), out.stderr
    lab.ok(f"aws eks create-addon --cluster-name {CLUSTER} --addon-name eks-pod-identity-agent")
    lab.wait_for(f"aws eks describe-addon --cluster-name {CLUSTER} --addon-name eks-pod-identity-agent "
                 "--query addon.status --output text", "ACTIVE")
    who = lab.exec("s3-reader-test", "aws sts get-caller-identity --query Arn --output text")
    assert who.returncode == 0 and ":assumed-role/s3-reader/" in who.stdout, who.stderr
