"""``@handler("eks-auth", "AssumeRoleForPodIdentity")``: authorize the node agent, then
:func:`podid.eksauth.assume.assume_role_for_pod_identity`."""

from __future__ import annotations

from typing import Any

from podid.eks import ids
from podid.eks.server import service_for
from podid.eksauth import errors
from podid.eksauth.assume import assume_role_for_pod_identity
from podid.eksauth.limiter import TokenBucket
from podid.gateway.context import CallContext
from podid.gateway.registry import handler

#: EKS Auth request rate per podid process before ThrottlingException (bursts of 2000 absorbed)
RATE_PER_SECOND = 5000.0
BURST = 2000.0
_LIMITER_KEY = "eksauth_limiter"


def _limiter(state: Any) -> TokenBucket:
    bucket = state.extras.get(_LIMITER_KEY)
    if bucket is None:
        bucket = state.extras.setdefault(_LIMITER_KEY, TokenBucket(RATE_PER_SECOND, BURST))
    return bucket  # type: ignore[no-any-return]


@handler("eks-auth", "AssumeRoleForPodIdentity")
def assume_role_for_pod_identity_handler(ctx: CallContext) -> dict[str, Any]:
    p = ctx.params
    name = p.get("clusterName")
    if not isinstance(name, str) or not ids.CLUSTER_NAME.fullmatch(name):
        raise errors.invalid_parameter("clusterName must satisfy the pattern [0-9A-Za-z][A-Za-z0-9\\-_]* "
                                       "(1 to 100 characters)")
    svc = service_for(ctx.app)
    # AccessDeniedException is 400 for EKS Auth (gateway.authz.ACCESS_DENIED says so).
    ctx.authorize("eks-auth:AssumeRoleForPodIdentity", ids.cluster_arn(ctx.region, svc.account_id, name))
    if not _limiter(ctx.app).take():
        raise errors.throttled()
    cluster = svc.repo.get_cluster(svc.account_id, ctx.region, name)
    if cluster is None:
        raise errors.not_found(f"No cluster found for name: {name}.")
    svc.observe_agent_call(cluster, ctx.caller.arn)
    return assume_role_for_pod_identity(ctx.app, svc, cluster, p.get("token")).output()
