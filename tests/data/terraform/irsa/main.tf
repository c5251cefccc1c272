# The IRSA pattern of the EKS User Guide / terraform-aws-modules: the cluster's issuer registered
# as an IAM OIDC provider, a role trusting exactly one ServiceAccount of it (`<issuer>:sub`).
data "aws_eks_cluster" "lab" {
  name = "lab"
}

locals {
  issuer = replace(data.aws_eks_cluster.lab.identity[0].oidc[0].issuer, "https://", "")
}

resource "aws_iam_openid_connect_provider" "lab" {
  url            = data.aws_eks_cluster.lab.identity[0].oidc[0].issuer
  client_id_list = ["sts.amazonaws.com"]
}

data "aws_iam_policy_document" "irsa_trust" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.lab.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:sub"
      values   = ["system:serviceaccount:lab:irsa-reader"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "irsa_reader" {
  name               = "irsa-reader"
  assume_role_policy = data.aws_iam_policy_document.irsa_trust.json
}

resource "aws_iam_role_policy" "irsa_reader" {
  name = "read-bucket"
  role = aws_iam_role.irsa_reader.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:ListBucket"]
      Resource = ["arn:aws:s3:::podid-irsa-bucket"]
    }]
  })
}

output "role_arn" {
  value = aws_iam_role.irsa_reader.arn
}
