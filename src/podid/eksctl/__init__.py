"""eksctl's IRSA and Pod Identity flows (`podid eksctl ...`), spoken to AWS only through boto3 (IAM,
EKS, STS) and to the cluster through the Kubernetes API, as the real eksctl does, so the same
commands work against podid and against a real EKS cluster.

Modules: ``session`` (clients, the cluster's Kubernetes client from DescribeCluster + an EKS token),
``logs`` (eksctl's ``[ℹ]`` log lines), ``names`` (role names and tags eksctl gives its roles),
``irsa`` (iamserviceaccount), ``pia`` (podidentityassociation), ``addons``, ``migrate``.
"""

from podid.eksctl.errors import EksctlError

__all__ = ["EksctlError"]
