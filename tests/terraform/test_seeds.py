"""The seeds' own HCL through the real terraform + hashicorp/aws provider against ``podid up``:
apply -> plan shows no changes -> a pod of the ServiceAccount (kubectl) is the role -> destroy
leaves nothing."""

from __future__ import annotations

import json
from pathlib import Path

from support.server import PodidServer
from terraform.conftest import CLUSTERS, DATA, module, sh
from terraform.inventory import inventory


def _caller_arn_in_pod(srv: PodidServer, ns: str, pod: str, sa: str) -> str:
    manifest = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": pod, "namespace": ns},
                "spec": {"serviceAccountName": sa, "terminationGracePeriodSeconds": 0,
                         "containers": [{"name": "demo", "image": "amazon/aws-cli:latest",
                                         "command": ["sleep", "3600"]}]}}
    sh(srv, f"echo '{json.dumps(manifest)}' | kubectl apply -f -")
    sh(srv, f"kubectl -n {ns} wait --for=condition=Ready pod/{pod} --timeout=60s")
    try:
        return sh(srv, f"kubectl exec -n {ns} {pod} -- "
                       "aws sts get-caller-identity --query Arn --output text").strip()
    finally:
        sh(srv, f"kubectl -n {ns} delete pod {pod} --wait=true --timeout=60s")


def test_seed000_policy_document_role_addon_association(tf_server: PodidServer, tmp_path: Path) -> None:
    srv = tf_server
    before = inventory(srv, CLUSTERS)
    sh(srv, "kubectl create namespace lab --dry-run=client -o yaml | kubectl apply -f -")
    sh(srv, f"kubectl apply -f {DATA / 'seed000' / 'serviceaccount.yaml'}")
    tf = module(tmp_path, srv, "seed000")
    tf.apply()
    tf.assert_no_changes()

    iam = srv.client("iam")
    arn = f"arn:aws:iam::{srv.account_id}:policy/lab-lab-s3-reader"
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    doc = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    doc = json.loads(doc) if isinstance(doc, str) else doc
    assert doc["Statement"][0]["Condition"] == {"StringLike": {"s3:prefix": "allowed/*"}}
    # `podid plan` (no provider) renders the documents the provider sent
    planned = json.loads(sh(srv, f"podid plan -f {tf.workdir} -o json"))
    by_address = {p["address"]: p["document"] for p in planned["policies"]}
    assert by_address["aws_iam_policy.s3_reader.policy"] == doc
    trust = iam.get_role(RoleName="lab-lab-s3-reader")["Role"]["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert by_address["aws_iam_role.s3_reader.assume_role_policy"] == trust
    assert srv.client("eks").describe_addon(clusterName="lab", addonName="eks-pod-identity-agent")[
        "addon"]["status"] == "ACTIVE"
    who = _caller_arn_in_pod(srv, "lab", "s3-reader-test", "s3-reader")
    assert who.startswith(f"arn:aws:sts::{srv.account_id}:assumed-role/lab-lab-s3-reader/eks-lab-s3-reader")

    tf.destroy()
    sh(srv, "kubectl delete -n lab serviceaccount s3-reader")
    assert inventory(srv, CLUSTERS) == before


def test_seed002_verbatim(tf_server: PodidServer, tmp_path: Path) -> None:
    srv = tf_server
    before = inventory(srv, CLUSTERS)
    sh(srv, f"aws eks update-kubeconfig --name kkamji-al2023 --kubeconfig {tmp_path / 'kkamji.kubeconfig'}")
    kubectl = f"KUBECONFIG={tmp_path / 'kkamji.kubeconfig'} kubectl"
    sh(srv, f"{kubectl} apply -f {DATA / 'seed002' / 'kkamji-service-account.yaml'}")
    tf = module(tmp_path, srv, "seed002")
    tf.apply()
    tf.assert_no_changes()

    found = srv.client("eks").list_pod_identity_associations(clusterName="kkamji-al2023")["associations"]
    assert [(a["namespace"], a["serviceAccount"]) for a in found] == [("default", "kkamji-service-account")]
    role = srv.client("iam").get_role(RoleName="pod-identity-s3-bucket-role")["Role"]
    assert role["Description"] == "IAM Role for EKS Pod Identity to access S3 bucket"

    tf.destroy()
    sh(srv, f"{kubectl} delete serviceaccount kkamji-service-account")
    assert inventory(srv, CLUSTERS) == before
