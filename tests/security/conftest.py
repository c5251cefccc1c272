"""The attack campaign's lab: one ``podid up`` with a cluster, an association, a pod and its
genuine projected token, the node agent's credentials and a role session (see test_campaign)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "eks"))

from eks_helpers import add_pod, create_role, node_credentials, open_store, pod_token, start_eks_server  # noqa: E402

BUCKET = "campaign-bucket"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with start_eks_server(tmp_path_factory.mktemp("campaign") / "state") as srv:
        eks = srv.client("eks")
        eks.create_cluster(name="c1", roleArn=f"arn:aws:iam::{srv.account_id}:role/x", resourcesVpcConfig={})
        srv.client("s3").create_bucket(Bucket=BUCKET)
        srv.client("s3").put_object(Bucket=BUCKET, Key="allowed/a.txt", Body=b"a")
        policy = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/allowed/*"}]}
        role_arn = create_role(srv, "campaign-pod-role", policy=policy)
        eks.create_pod_identity_association(clusterName="c1", namespace="app", serviceAccount="reader",
                                            roleArn=role_arn)
        store = open_store(srv)
        sa_uid, pod_uid = add_pod(store, "c1", "app", "reader", "reader-1")
        token = pod_token(srv, store, "c1", "app", "reader", sa_uid, "reader-1", pod_uid)
        node = node_credentials(srv, "campaign-node")
        creds = srv.client("eks-auth", credentials=node).assume_role_for_pod_identity(
            clusterName="c1", token=token)["credentials"]
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                 "Principal": {"AWS": f"arn:aws:iam::{srv.account_id}:root"}}]}
        iam = srv.client("iam")
        arn = iam.create_role(RoleName="campaign-session", AssumeRolePolicyDocument=json.dumps(trust))
        session = srv.client("sts").assume_role(RoleArn=arn["Role"]["Arn"],
                                                RoleSessionName="campaign")["Credentials"]
        yield {"srv": srv, "store": store, "token": token, "role_arn": role_arn, "node": node,
               "pod_creds": creds,
               "session": (session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"])}
