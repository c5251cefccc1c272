"""A `podid up --cluster lab` with two identities for the access matrix:

* lab/s3-reader, pod identity association -> role s3-reader with the seed's reader policy
  (ListBucket with the s3:prefix condition, GetObject on allowed/*); the secret `db` names that
  role in its resource policy;
* lab/limited, pod identity association -> role app-writer with a session policy (`policy`,
  disableSessionTags) that keeps only sqs:SendMessage;
* a KMS key whose key policy lets s3-reader decrypt directly and delegates the rest to the account;
* app/writer, IRSA annotation -> role app-writer: inline policy (PutObject/GetObject on uploads/*,
  sqs:* on the queue) under a boundary (s3:*, sqs:SendMessage/ReceiveMessage); its queue policy
  denies sqs:PurgeQueue to everyone.

Both roles also trust the account, so tests can call the data plane as them via AssumeRole.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support.server import PODID, PodidServer, start_podid

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = "lab"
BUCKET = "podid-lab-bucket"
OBJECTS = (
    "allowed/report.txt",
    "allowed/q1/sales.csv",
    "blocked/secret.txt",
    "uploads/in.bin",
    "top.txt",
    "lab/notes.txt",
)
#: ABAC on the EKS session tags: each pod reads its own namespace's folder.
ABAC = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "OwnNamespace",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/${{aws:PrincipalTag/kubernetes-namespace}}/*",
        }
    ],
}

READER = json.loads((ROOT / "examples" / "lab" / "s3-reader-policy.json").read_text())
WRITER = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Uploads",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:GetObject"],
            "Resource": f"arn:aws:s3:::{BUCKET}/uploads/*",
        },
        {"Sid": "Queue", "Effect": "Allow", "Action": "sqs:*", "Resource": "*"},
    ],
}
BOUNDARY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["s3:*", "sqs:SendMessage", "sqs:ReceiveMessage", "sqs:PurgeQueue"],
            "Resource": "*",
        }
    ],
}

SESSION = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}],
}


def KEY_POLICY(account: str) -> dict[str, Any]:  # noqa: N802 - a constant that needs the account
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Account",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "ReaderDecrypts",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:role/s3-reader"},
                "Action": "kms:Decrypt",
                "Resource": "*",
            },
        ],
    }


def trust(account: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            },
        ],
    }


@dataclass
class World:
    srv: PodidServer
    account: str
    queue_url: str
    queue_arn: str
    secret_arn: str
    key_arn: str
    kubeconfig: str

    def role_arn(self, name: str) -> str:
        return f"arn:aws:iam::{self.account}:role/{name}"

    def as_role(
        self,
        name: str,
        service: str,
        policy: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
    ) -> Any:
        """A client of `service` for a session of role `name` (optionally with a session policy and
        session tags, as EKS Auth gives a pod)."""
        extra: dict[str, Any] = {"Policy": json.dumps(policy)} if policy else {}
        if tags:
            extra["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        creds = self.srv.client("sts").assume_role(
            **extra, RoleArn=self.role_arn(name), RoleSessionName="matrix-test"
        )
        c = creds["Credentials"]
        return self.srv.client(
            service, credentials=(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        )

    def matrix(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [
            str(PODID),
            "access-matrix",
            "--cluster",
            CLUSTER,
            "--endpoint-url",
            self.srv.url,
            "--kubeconfig",
            self.kubeconfig,
            *args,
        ]
        done = subprocess.run(cmd, env=self.srv.env, capture_output=True, text=True, timeout=180)
        if check:
            assert done.returncode == 0, done.stderr + done.stdout
        return done

    def report(self, *args: str) -> dict[str, Any]:
        return json.loads(self.matrix("--format", "json", *args).stdout)


def _kube(kubeconfig: str) -> Any:
    from kubernetes import client, config

    return client.CoreV1Api(config.new_client_from_config(config_file=kubeconfig, context=CLUSTER))


@pytest.fixture(scope="package")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with start_podid(
        tmp_path_factory.mktemp("matrix") / "state",
        extra_args=["--cluster", CLUSTER, "--kube-port", "0", "--no-node-agent"],
    ) as srv:
        acct = srv.account_id
        iam, s3 = srv.client("iam"), srv.client("s3")
        reader = iam.create_policy(PolicyName="reader", PolicyDocument=json.dumps(READER))["Policy"]["Arn"]
        boundary = iam.create_policy(PolicyName="boundary", PolicyDocument=json.dumps(BOUNDARY))["Policy"][
            "Arn"
        ]
        for name in ("s3-reader", "app-writer"):
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust(acct)))
        iam.attach_role_policy(RoleName="s3-reader", PolicyArn=reader)
        iam.put_role_policy(RoleName="app-writer", PolicyName="writer", PolicyDocument=json.dumps(WRITER))
        iam.put_role_policy(RoleName="s3-reader", PolicyName="abac", PolicyDocument=json.dumps(ABAC))
        iam.put_role_permissions_boundary(RoleName="app-writer", PermissionsBoundary=boundary)
        s3.create_bucket(Bucket=BUCKET)
        for key in OBJECTS:
            s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
        sqs = srv.client("sqs")
        url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sqs.set_queue_attributes(
            QueueUrl=url,
            Attributes={
                "Policy": json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "NoPurge",
                                "Effect": "Deny",
                                "Principal": "*",
                                "Action": "sqs:PurgeQueue",
                                "Resource": queue_arn,
                            }
                        ],
                    }
                )
            },
        )
        sm = srv.client("secretsmanager")
        secret_arn = sm.create_secret(Name="db", SecretString="hunter2")["ARN"]
        sm.put_resource_policy(
            SecretId=secret_arn,
            ResourcePolicy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "ReaderGets",
                            "Effect": "Allow",
                            "Principal": {"AWS": f"arn:aws:iam::{acct}:role/s3-reader"},
                            "Action": "secretsmanager:GetSecretValue",
                            "Resource": "*",
                        }
                    ],
                }
            ),
        )
        eks = srv.client("eks")
        eks.create_pod_identity_association(
            clusterName=CLUSTER,
            namespace="lab",
            serviceAccount="s3-reader",
            roleArn=f"arn:aws:iam::{acct}:role/s3-reader",
        )
        kubeconfig = srv.env["KUBECONFIG"]
        core = _kube(kubeconfig)
        core.create_namespace({"metadata": {"name": "app"}})
        core.create_namespaced_service_account(
            "app",
            {
                "metadata": {
                    "name": "writer",
                    "annotations": {"eks.amazonaws.com/role-arn": f"arn:aws:iam::{acct}:role/app-writer"},
                }
            },
        )
        core.create_namespaced_service_account("app", {"metadata": {"name": "plain"}})
        srv.client("dynamodb").create_table(
            TableName="orders",
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        )
        srv.client("logs").create_log_group(logGroupName="/app/orders")
        kms = srv.client("kms")
        key_arn = kms.create_key(Policy=json.dumps(KEY_POLICY(acct)))["KeyMetadata"]["Arn"]
        eks.create_pod_identity_association(
            clusterName=CLUSTER,
            namespace="lab",
            serviceAccount="limited",
            roleArn=f"arn:aws:iam::{acct}:role/app-writer",
            disableSessionTags=True,
            policy=json.dumps(SESSION),
        )
        yield World(srv, acct, url, queue_arn, secret_arn, key_arn, kubeconfig)
