"""``terraform import`` of a role and a pod identity association made outside Terraform: the import
reads them back so that the HCL describing them plans no changes; destroy then removes them."""

from __future__ import annotations

import json
from pathlib import Path

from support.server import PodidServer
from terraform.conftest import CLUSTERS, module
from terraform.inventory import inventory

TRUST = {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
                        "Action": ["sts:AssumeRole", "sts:TagSession"]}]}


def test_import_existing_role_and_association(tf_server: PodidServer, tmp_path: Path) -> None:
    srv = tf_server
    before = inventory(srv, CLUSTERS)
    iam, eks = srv.client("iam"), srv.client("eks")
    trust = json.dumps(TRUST)
    role_arn = iam.create_role(RoleName="legacy-app", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    assoc = eks.create_pod_identity_association(clusterName="lab", namespace="legacy",
                                                serviceAccount="legacy-app", roleArn=role_arn)["association"]
    tf = module(tmp_path, srv, "import")
    tf.import_("aws_iam_role.legacy", "legacy-app")
    tf.import_("aws_eks_pod_identity_association.legacy", f"lab,{assoc['associationId']}")
    assert sorted(tf.state_list()) == ["aws_eks_pod_identity_association.legacy", "aws_iam_role.legacy"]
    tf.assert_no_changes()

    tf.destroy()
    assert inventory(srv, CLUSTERS) == before
