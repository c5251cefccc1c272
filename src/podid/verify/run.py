"""Entry points: verify one workload, or every workload of a cluster (`--all`: each Pod Identity
association and each ServiceAccount annotated for IRSA)."""

from __future__ import annotations

from podid.verify.checks import run_checks
from podid.verify.context import VerifyContext
from podid.verify.model import Report, Target


def verify_target(ctx: VerifyContext, target: Target, *, probes: bool = True) -> Report:
    """One workload; its mode is IRSA when it has no association but an IRSA annotation."""
    if target.mode == "pod-identity" and not ctx.aws.associations(target.cluster, target.namespace,
                                                                  target.service_account):
        sa = ctx.kube.service_account(target.namespace, target.service_account) or {}
        if "eks.amazonaws.com/role-arn" in ((sa.get("metadata") or {}).get("annotations") or {}):
            target = Target(target.cluster, target.namespace, target.service_account, target.bucket,
                            target.allowed_prefix, target.blocked_prefix, mode="irsa")
    return Report([run_checks(ctx, target, probes=probes)])


def all_targets(ctx: VerifyContext, cluster: str, bucket: str | None = None, allowed: str | None = None,
                blocked: str | None = None) -> list[Target]:
    seen: set[tuple[str, str]] = set()
    targets: list[Target] = []
    for a in sorted(ctx.aws.associations(cluster), key=lambda a: (a.namespace, a.service_account)):
        if (a.namespace, a.service_account) not in seen:
            seen.add((a.namespace, a.service_account))
            targets.append(Target(cluster, a.namespace, a.service_account, bucket, allowed, blocked))
    for namespace, name, _role in sorted(ctx.kube.irsa_service_accounts()):
        if (namespace, name) not in seen:
            seen.add((namespace, name))
            targets.append(Target(cluster, namespace, name, bucket, allowed, blocked, mode="irsa"))
    return targets


def verify_all(ctx: VerifyContext, cluster: str, bucket: str | None = None, allowed: str | None = None,
               blocked: str | None = None, *, probes: bool = True) -> Report:
    return Report([run_checks(ctx, t, probes=probes) for t in all_targets(ctx, cluster, bucket, allowed,
                                                                           blocked)])
