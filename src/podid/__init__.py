"""podid: per-workload AWS identity for Kubernetes (EKS Pod Identity and IRSA)."""

__version__ = "0.1.0"
