"""The AssumeRoleForPodIdentity decision path, independent of HTTP.

Order of checks (each failure is the EKS Auth error named):

1. clusterName pattern -> InvalidParameterException; the cluster exists -> ResourceNotFoundException
   (the caller's ``eks-auth:AssumeRoleForPodIdentity`` permission is checked before, by the handler);
2. the token: signature by one of *this* cluster's issuer keys, ``iss`` = the cluster's issuer,
   ``aud`` ∋ ``pods.eks.amazonaws.com``, ``nbf``/``iat``, Kubernetes claim structure
   (:func:`podid.oidc.verify_token`) -> InvalidTokenException; authentic but past ``exp``
   -> ExpiredTokenException; the token must be bound to a pod;
3. the pod and ServiceAccount named in the token still exist with the token's uids
   (:class:`podid.eks.pods.PodDirectory`) -> InvalidTokenException;
4. an association for the namespace/ServiceAccount -> ResourceNotFoundException;
5. the role exists and its trust policy allows ``pods.eks.amazonaws.com`` ``sts:AssumeRole``
   (and ``sts:TagSession`` unless the association disables session tags), judged by
   :func:`podid.iam.evaluate` with ``aws:SourceAccount``, ``aws:SourceArn`` (cluster ARN),
   ``aws:RequestTag/*``, ``aws:TagKeys``, ``sts:TransitiveTagKeys`` -> AccessDeniedException (400);
6. with a ``targetRoleArn``: the first role session assumes the target role: its identity
   policies and the target's trust policy are judged together, with ``sts:ExternalId`` =
   the association's ``externalId`` (and ``sts:TagSession`` for the transitive tags)
   -> AccessDeniedException.

Credentials: ``TokenCodec.issue`` for the session ``eks-<cluster>-<pod>-<uuid>`` (64 chars max),
6 h (59 min when chained: EKS User Guide, "Access AWS Resources using EKS Pod Identity Target IAM
Roles"), with the six session tags, all transitive. The association's ``policy`` becomes the
final session's session policy.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from podid.auth.tokens import SessionContext, TemporaryCredentials
from podid.eks import ids
from podid.eks.repo import AssociationRecord, ClusterRecord
from podid.eks.service import EksService
from podid.eksauth import errors
from podid.iam import Policy, PolicySet, Request, denial_message, evaluate, parse_policy
from podid.oidc import Claims, ExpiredTokenError, InvalidTokenError, verify_token

log = logging.getLogger("podid.eksauth")

AUDIENCE = "pods.eks.amazonaws.com"
SERVICE_PRINCIPAL = "pods.eks.amazonaws.com"
SESSION_SECONDS = 6 * 3600
CHAINED_SECONDS = 59 * 60
SESSION_TAG_KEYS = ("eks-cluster-arn", "eks-cluster-name", "kubernetes-namespace",
                    "kubernetes-service-account", "kubernetes-pod-name", "kubernetes-pod-uid")
MAX_SESSION_NAME = 64


@dataclass(frozen=True)
class PodIdentityGrant:
    """What AssumeRoleForPodIdentity hands back (before serialisation)."""

    claims: Claims
    association: AssociationRecord
    credentials: TemporaryCredentials

    def output(self) -> dict[str, Any]:
        """The ``AssumeRoleForPodIdentityResponse`` shape."""
        ctx = self.credentials.context
        return {
            "subject": {"namespace": self.claims.namespace,
                        "serviceAccount": self.claims.service_account_name},
            "audience": AUDIENCE,
            "podIdentityAssociation": {"associationArn": self.association.arn,
                                       "associationId": self.association.association_id},
            "assumedRoleUser": {"arn": ctx.principal_arn, "assumeRoleId": ctx.user_id},
            "credentials": {
                "sessionToken": self.credentials.session_token,
                "secretAccessKey": self.credentials.secret_access_key,
                "accessKeyId": self.credentials.access_key_id,
                "expiration": dt.datetime.fromtimestamp(self.credentials.expiration, dt.UTC),
            },
        }


def session_name(cluster: str, pod: str, unique: str | None = None) -> str:
    """``eks-<cluster>-<pod>-<uuid>`` cut to 64 characters (RoleSessionName's maximum)."""
    return f"eks-{cluster}-{pod}-{unique or uuid.uuid4()}"[:MAX_SESSION_NAME]


@functools.lru_cache(maxsize=4096)
def _trust(document: str, name: str) -> Policy:
    return parse_policy(document, kind="trust", name=name)


def _now_keys(region: str, now: float) -> dict[str, Any]:
    stamp = dt.datetime.fromtimestamp(now, dt.UTC)
    return {"aws:CurrentTime": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"), "aws:EpochTime": str(int(now)),
            "aws:RequestedRegion": region, "aws:SecureTransport": "true"}


def _tag_keys(tags: Mapping[str, str], transitive: bool = True) -> dict[str, Any]:
    if not tags:
        return {}
    keys: dict[str, Any] = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
    keys["aws:TagKeys"] = list(tags)
    if transitive:
        keys["sts:TransitiveTagKeys"] = list(tags)
    return keys


def verify_pod_token(svc: EksService, cluster: ClusterRecord, token: Any) -> Claims:
    """Steps 2 and 3: the token's claims, or InvalidToken/ExpiredToken."""
    if not isinstance(token, str) or not token:
        raise errors.invalid_parameter("token must be a non-empty string")
    issuer = svc.issuer(cluster)
    now = int(svc.clock())
    try:
        try:
            claims = verify_token(token, svc.issuer_keys(cluster), issuer, AUDIENCE, now=now)
        except InvalidTokenError as exc:
            if "kid" not in str(exc):
                raise
            # another podid process may have rotated the keys: reload once
            claims = verify_token(token, svc.issuer_keys(cluster, refresh=True), issuer, AUDIENCE, now=now)
    except ExpiredTokenError as exc:
        raise errors.expired_token(f"The service account token has expired: {exc}") from None
    except InvalidTokenError as exc:
        raise errors.invalid_token(f"The service account token is not valid: {exc}") from None
    if not (claims.namespace and claims.service_account_name and claims.service_account_uid):
        raise errors.invalid_token("The service account token is not valid: no service account claims")
    if not (claims.pod_name and claims.pod_uid):
        raise errors.invalid_token("The service account token is not valid: it is not bound to a pod")
    pods = svc.pods
    if pods.available(cluster.name):
        if pods.service_account_uid(cluster.name, claims.namespace, claims.service_account_name) \
                != claims.service_account_uid:
            raise errors.invalid_token(
                f"The service account token is not valid: service account {claims.namespace}/"
                f"{claims.service_account_name} with uid {claims.service_account_uid} does not exist")
        if pods.pod_uid(cluster.name, claims.namespace, claims.pod_name) != claims.pod_uid:
            raise errors.invalid_token(
                f"The service account token is not valid: pod {claims.namespace}/{claims.pod_name} "
                f"with uid {claims.pod_uid} does not exist")
    else:
        log.warning("cluster %s has no Kubernetes objects podid can see: pod/service account existence "
                    "not checked (token claims only)", cluster.name)
    return claims


def _judge_trust(request: Request, trust: Policy, identity: Any = None) -> None:
    policies = PolicySet(identity=tuple(identity.identity) if identity else (), resource=trust,
                         boundary=identity.boundary if identity else None)
    decision = evaluate(request, policies)
    if not decision.allowed:
        raise errors.access_denied(denial_message(request, decision))


def assume_role_for_pod_identity(state: Any, svc: EksService, cluster: ClusterRecord,
                                 token: Any) -> PodIdentityGrant:
    """Steps 2-6 for an already-authorized caller; raises ServiceError with EKS Auth's codes."""
    claims = verify_pod_token(svc, cluster, token)
    assert claims.namespace and claims.service_account_name and claims.pod_name and claims.pod_uid
    assoc = svc.repo.find_association(cluster.pk, claims.namespace, claims.service_account_name)
    if assoc is None:
        raise errors.not_found(
            f"No Pod Identity Association found for service account {claims.service_account_name} in "
            f"namespace {claims.namespace} of cluster {cluster.name}")
    parsed = ids.parse_role_arn(assoc.role_arn)
    role = state.store.get_role(*parsed) if parsed else None
    if role is None:
        raise errors.access_denied(
            f"The role {assoc.role_arn} of association {assoc.association_id} does not exist")
    now = svc.clock()
    tags: dict[str, str] = {} if assoc.disable_session_tags else {
        "eks-cluster-arn": cluster.arn,
        "eks-cluster-name": cluster.name,
        "kubernetes-namespace": claims.namespace,
        "kubernetes-service-account": claims.service_account_name,
        "kubernetes-pod-name": claims.pod_name,
        "kubernetes-pod-uid": claims.pod_uid,
    }
    context = {**_now_keys(cluster.region, now), "aws:SourceAccount": cluster.account_id,
               "aws:SourceArn": cluster.arn, "aws:PrincipalServiceName": SERVICE_PRINCIPAL, **_tag_keys(tags)}
    trust = _trust(role.assume_role_policy_document, f"{role.name} trust policy")
    for action in ("sts:AssumeRole", "sts:TagSession") if tags else ("sts:AssumeRole",):
        _judge_trust(Request(principal=SERVICE_PRINCIPAL, principal_type="Service", action=action,
                             resource=role.arn, context=context, resource_account=role.account_id), trust)
    name = session_name(cluster.name, claims.pod_name)
    first = SessionContext(
        principal_arn=f"arn:aws:sts::{role.account_id}:assumed-role/{role.name}/{name}",
        account=role.account_id, role_arn=role.arn, role_id=role.role_id, session_name=name, tags=tags,
        transitive_tag_keys=tuple(tags), session_policy=None if assoc.target_role_arn else assoc.policy)
    if not assoc.target_role_arn:
        return PodIdentityGrant(claims, assoc, state.tokens.issue(first, SESSION_SECONDS))
    return PodIdentityGrant(claims, assoc, _chain(state, svc, cluster, assoc, role, first, tags, now))


def _chain(state: Any, svc: EksService, cluster: ClusterRecord, assoc: AssociationRecord, role: Any,
           first: SessionContext, tags: Mapping[str, str], now: float) -> TemporaryCredentials:
    """Role chaining: the first session assumes the association's target role."""
    from podid.gateway.authz import PolicyCache

    assert assoc.target_role_arn
    parsed = ids.parse_role_arn(assoc.target_role_arn)
    target = state.store.get_role(*parsed) if parsed else None
    if target is None:
        raise errors.access_denied(
            f"Unable to assume the target role {assoc.target_role_arn}: it does not exist")
    cache = state.extras.get("policy_cache")
    if cache is None:
        cache = state.extras.setdefault("policy_cache", PolicyCache())
    compiled = cache.get(state.store, role.arn)
    principal_tags = {**compiled.tags, **tags}
    context: dict[str, Any] = {
        **_now_keys(cluster.region, now),
        "aws:PrincipalArn": role.arn, "aws:PrincipalAccount": role.account_id,
        "aws:PrincipalType": "AssumedRole",
        "aws:userid": first.user_id, "aws:TokenIssueTime": dt.datetime.fromtimestamp(now, dt.UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"),
        "sts:ExternalId": assoc.external_id or "", "sts:RoleSessionName": first.session_name or "",
        **{f"aws:PrincipalTag/{k}": v for k, v in principal_tags.items()},
        **_tag_keys(tags),
    }
    trust = _trust(target.assume_role_policy_document, f"{target.name} trust policy")
    for action in ("sts:AssumeRole", "sts:TagSession") if tags else ("sts:AssumeRole",):
        _judge_trust(Request(principal=first.principal_arn, action=action, resource=target.arn,
                             context=context, resource_account=target.account_id), trust, compiled)
    final = SessionContext(
        principal_arn=f"arn:aws:sts::{target.account_id}:assumed-role/{target.name}/{first.session_name}",
        account=target.account_id, role_arn=target.arn, role_id=target.role_id,
        session_name=first.session_name,
        tags=dict(tags), transitive_tag_keys=tuple(tags), session_policy=assoc.policy)
    return state.tokens.issue(final, CHAINED_SECONDS)  # type: ignore[no-any-return]
