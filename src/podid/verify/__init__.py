"""podid.verify -- the seeds' checklist as a command: eight checks of one workload's AWS identity.

Works against `podid up` or a real EKS cluster + AWS account alike: boto3 (profile/endpoint) for
EKS and IAM, the kubernetes client (kubeconfig) for ServiceAccounts and short-lived probe pods, and
the judge (`podid.iam`) for policy scope and lint. `run.verify_target` / `run.verify_all` are the
entry points; `formats` renders a `Report` as a table, JSON or JUnit XML.
"""

from __future__ import annotations

from podid.verify.model import CheckResult, Report, Target, WorkloadReport

__all__ = ["CheckResult", "Report", "Target", "WorkloadReport"]
