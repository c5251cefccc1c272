# A role and a pod identity association created outside Terraform (boto3, in the test), then
# brought under Terraform with `terraform import`: the HCL describes them as they exist.
resource "aws_iam_role" "legacy" {
  name = "legacy-app"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "pods.eks.amazonaws.com" }
      Action    = ["sts:AssumeRole", "sts:TagSession"]
    }]
  })
}

resource "aws_eks_pod_identity_association" "legacy" {
  cluster_name    = "lab"
  namespace       = "legacy"
  service_account = "legacy-app"
  role_arn        = aws_iam_role.legacy.arn
}
