"""`podid plan -f`: the objects a configuration creates and its policies' lint, from the HCL alone
(no provider, no server): the seeds' HCL, over-broad HCL that must be flagged, bad input."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from support.server import BIN

DATA = Path(__file__).resolve().parents[1] / "data" / "terraform"

BROAD = """
variable "bucket" { default = "podid-broad" }

resource "aws_iam_role" "everything" {
  name = "everything"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "pods.eks.amazonaws.com" },
                   Action = "sts:AssumeRole" }]
  })
  inline_policy {
    name   = "all"
    policy = jsonencode({ Version = "2012-10-17",
                          Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })
  }
}

data "aws_iam_policy_document" "any_sa" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.c.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${replace(aws_iam_openid_connect_provider.c.url, "https://", "")}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_openid_connect_provider" "c" {
  url            = "https://oidc.eks.us-east-1.amazonaws.com/id/ABC"
  client_id_list = ["sts.amazonaws.com"]
}

resource "aws_iam_role" "any_sa" {
  name               = "any-sa"
  assume_role_policy = data.aws_iam_policy_document.any_sa.json
}

resource "aws_s3_bucket" "b" { bucket = var.bucket }

resource "aws_iam_policy" "reader" {
  name   = "reader"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:GetObject"],
                   Resource = "${aws_s3_bucket.b.arn}/${local.prefix}/*" }]
  })
}

locals { prefix = format("%s-data", "team") }
"""


def _plan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "podid"), "plan", *args], capture_output=True, text=True, timeout=60,
                          check=False)


def test_seed000_objects_and_clean_policies() -> None:
    done = _plan("-f", str(DATA / "seed000"), "-f", str(DATA / "seed000_kubernetes"), "-o", "json")
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert [(o["address"], o["service"], o["kind"]) for o in plan["objects"]] == [
        ("aws_eks_addon.pod_identity_agent", "EKS", "Addon"),
        ("aws_iam_policy.s3_reader", "IAM", "Policy"),
        ("aws_iam_role.s3_reader", "IAM", "Role"),
        ("aws_iam_role_policy_attachment.s3_reader", "IAM", "RolePolicyAttachment"),
        ("aws_eks_pod_identity_association.s3_reader", "EKS", "PodIdentityAssociation"),
        ("kubernetes_service_account.s3_reader", "Kubernetes", "ServiceAccount"),
    ]
    labels = {o["address"]: o["label"] for o in plan["objects"]}
    assert labels["aws_eks_pod_identity_association.s3_reader"] == \
        "lab: lab/s3-reader -> arn:aws:iam::111122223333:role/lab-lab-s3-reader"
    assert labels["kubernetes_service_account.s3_reader"] == "lab/s3-reader"
    policies = {p["address"]: p for p in plan["policies"]}
    assert set(policies) == {"aws_iam_policy.s3_reader.policy", "aws_iam_role.s3_reader.assume_role_policy"}
    assert all(p["findings"] == [] for p in policies.values())
    reader = policies["aws_iam_policy.s3_reader.policy"]["document"]
    assert reader["Statement"][0] == {"Effect": "Allow", "Action": "s3:ListBucket",
                                      "Resource": "arn:aws:s3:::podid-lab-bucket",
                                      "Condition": {"StringLike": {"s3:prefix": "allowed/*"}}}
    assert policies["aws_iam_role.s3_reader.assume_role_policy"]["kind"] == "trust"


def test_seed002_text_output() -> None:
    done = _plan("-f", str(DATA / "seed002" / "main.tf"))
    assert done.returncode == 0, done.stderr
    assert "Plan: 4 to add (EKS: 1, IAM: 3)" in done.stdout
    assert "kkamji-al2023: default/kkamji-service-account -> " \
           "arn:aws:iam::111122223333:role/pod-identity-s3-bucket-role" in done.stdout
    assert "aws_iam_role.pod_identity_s3_role.assume_role_policy (trust): no findings" in done.stdout


def test_over_broad_hcl_is_flagged(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(BROAD)
    done = _plan("-f", str(tmp_path), "-o", "json", "--account-id", "444455556666")
    assert done.returncode == 1, done.stdout + done.stderr
    plan = json.loads(done.stdout)
    codes = {p["address"]: sorted(f["code"] for f in p["findings"]) for p in plan["policies"]}
    assert codes["aws_iam_role.everything.assume_role_policy"] == ["PodIdentityNoTagSession"]
    assert codes["aws_iam_role.everything.inline_policy[0].policy"] == ["WildcardAction"]
    assert codes["aws_iam_role.any_sa.assume_role_policy"] == ["WebIdentityNoSubCondition"]
    assert codes["aws_iam_policy.reader.policy"] == []
    docs = {p["address"]: p["document"] for p in plan["policies"]}
    trust = docs["aws_iam_role.any_sa.assume_role_policy"]["Statement"][0]
    assert trust["Principal"] == {"Federated": "arn:aws:iam::444455556666:oidc-provider/oidc.eks.us-east-1."
                                               "amazonaws.com/id/ABC"}
    assert trust["Condition"] == {"StringEquals": {"oidc.eks.us-east-1.amazonaws.com/id/ABC:aud":
                                                   "sts.amazonaws.com"}}
    assert docs["aws_iam_policy.reader.policy"]["Statement"][0]["Resource"] == \
        "arn:aws:s3:::podid-broad/team-data/*"

    assert _plan("-f", str(tmp_path), "--fail-on", "never").returncode == 0
    with_var = _plan("-f", str(tmp_path), "-o", "json", "--var", "bucket=other", "--fail-on", "never")
    reader = next(p for p in json.loads(with_var.stdout)["policies"]
                  if p["address"] == "aws_iam_policy.reader.policy")
    assert reader["document"]["Statement"][0]["Resource"] == "arn:aws:s3:::other/team-data/*"


def test_values_known_after_apply_stay_references() -> None:
    done = _plan("-f", str(DATA / "irsa"), "-o", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    trust = next(p for p in json.loads(done.stdout)["policies"]
                 if p["address"] == "aws_iam_role.irsa_reader.assume_role_policy")
    assert trust["unknown"] == "some values known after apply"
    statement = trust["document"]["Statement"][0]
    assert statement["Principal"] == {"Federated": "${aws_iam_openid_connect_provider.lab.arn}"}
    assert set(statement["Condition"]["StringEquals"]) == {"${local.issuer}:sub", "${local.issuer}:aud"}
    assert trust["findings"] == []   # the :sub condition is there, whatever the issuer turns out to be


def test_bad_input_exits_2_and_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.tf"
    bad.write_text('resource "aws_iam_role" "r" {\n  name = \n')
    done = _plan("-f", str(bad))
    assert done.returncode == 2 and "broken.tf" in done.stderr and done.stdout == ""
    missing = _plan("-f", str(tmp_path / "nope.tf"))
    assert missing.returncode == 2 and "no such file or directory" in missing.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no *.tf files" in _plan("-f", str(empty)).stderr
