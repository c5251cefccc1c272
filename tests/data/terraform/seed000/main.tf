# Seed 000's Terraform (Steps 1, 3, 4 and 6), its placeholders filled in:
# [cluster-name] = lab, [namespace명] = lab, [s3-bucket명] = podid-lab-bucket, [허용-prefix] = allowed.
# The seed takes the cluster name from `data.terraform_remote_state.infra`, another configuration's
# state; here it is a variable. Step 5 (the ServiceAccount) is done with kubectl (serviceaccount.yaml,
# the seed's YAML); seed000_kubernetes/main.tf holds the seed's kubernetes_service_account for `podid plan`.

variable "cluster_name" {
  type    = string
  default = "lab"
}

resource "aws_eks_addon" "pod_identity_agent" {
  cluster_name = var.cluster_name
  addon_name   = "eks-pod-identity-agent"
}

data "aws_iam_policy_document" "s3_reader" {
  statement {
    effect = "Allow"
    actions = [
      "s3:ListBucket",
    ]
    resources = [
      "arn:aws:s3:::podid-lab-bucket",
    ]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["allowed/*"]
    }
  }
  statement {
    effect = "Allow"
    actions = [
      "s3:GetObject",
    ]
    resources = [
      "arn:aws:s3:::podid-lab-bucket/allowed/*",
    ]
  }
}

resource "aws_iam_policy" "s3_reader" {
  name   = "lab-lab-s3-reader"
  policy = data.aws_iam_policy_document.s3_reader.json
}

data "aws_iam_policy_document" "s3_pod_assume_role" {
  statement {
    effect = "Allow"
    principals {
      type        = "Service"
      identifiers = ["pods.eks.amazonaws.com"]
    }
    actions = [
      "sts:AssumeRole",
      "sts:TagSession",
    ]
  }
}

resource "aws_iam_role" "s3_reader" {
  name               = "lab-lab-s3-reader"
  assume_role_policy = data.aws_iam_policy_document.s3_pod_assume_role.json
}

resource "aws_iam_role_policy_attachment" "s3_reader" {
  role       = aws_iam_role.s3_reader.name
  policy_arn = aws_iam_policy.s3_reader.arn
}

resource "aws_eks_pod_identity_association" "s3_reader" {
  cluster_name    = "lab"
  namespace       = "lab"
  service_account = "s3-reader"
  role_arn        = aws_iam_role.s3_reader.arn
  depends_on = [
    aws_eks_addon.pod_identity_agent,
    aws_iam_role_policy_attachment.s3_reader,
  ]
}
