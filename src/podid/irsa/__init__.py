"""podid.irsa: IRSA for clusters that are not EKS (self-hosted issuer discovery).

:mod:`podid.irsa.publish` publishes a cluster's ServiceAccount-token issuer (OIDC discovery + JWKS)
to an S3 bucket, as amazon-eks-pod-identity-webhook's self-hosted set-up documents, and registers
the bucket URL as an IAM OIDC provider, so ``AssumeRoleWithWebIdentity`` accepts the cluster's
projected tokens.
"""

from podid.irsa.publish import IssuerDocuments, PublishResult, issuer_documents, publish, s3_issuer_url

__all__ = ["IssuerDocuments", "PublishResult", "issuer_documents", "publish", "s3_issuer_url"]
