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

Steps 5 and 6 run through :mod:`podid.sts.sessions`, the one path that validates and issues role
sessions (tags, transitive tags, session policies, chaining with an external id); its STS error
codes are answered with EKS Auth's (:func:`_eks_error`, :func:`_denied`).

Credentials: the session ``eks-<cluster>-<pod>-<uuid>`` (64 chars max), 6 h (59 min when chained:
EKS User Guide, "Access AWS Resources using EKS Pod Identity Target IAM Roles"), with the six
session tags, all transitive. The association's ``policy`` becomes the final session's session
policy.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from podid.auth.tokens import TemporaryCredentials
from podid.eks.repo import AssociationRecord, ClusterRecord
from podid.eks.service import EksService
from podid.eksauth import errors
from podid.errors import ServiceError
from podid.iam import Request, denial_message
from podid.iam.tagkeys import request_tag_keys
from podid.oidc import Claims, ExpiredTokenError, InvalidTokenError, verify_token
from podid.sts.sessions import (
    IssuedSession,
    SessionRequest,
    TrustDenied,
    assume_role_as,
    check_trust,
    find_role,
    issue_session,
    prepare_session,
)

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


def _now_keys(region: str, now: float) -> dict[str, Any]:
    stamp = dt.datetime.fromtimestamp(now, dt.UTC)
    return {"aws:CurrentTime": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"), "aws:EpochTime": str(int(now)),
            "aws:RequestedRegion": region, "aws:SecureTransport": "true"}


def _tag_keys(tags: Mapping[str, str]) -> dict[str, Any]:
    """``aws:RequestTag/*``, ``aws:TagKeys``, ``sts:TransitiveTagKeys`` of the pod's session tags."""
    keys: dict[str, Any] = dict(request_tag_keys(tags))
    if tags:
        keys["sts:TransitiveTagKeys"] = list(tags)
    return keys


#: EKS Auth's answer to a podid.sts.sessions error code (ValidationError, MalformedPolicyDocument,
#: InvalidParameterValue: InvalidParameterException).
_STS_CODES = {"AccessDenied": errors.access_denied, "PackedPolicyTooLarge": errors.invalid_request}


def _eks_error(exc: ServiceError) -> ServiceError:
    """A :mod:`podid.sts.sessions` error (STS's codes) as EKS Auth answers it."""
    return _STS_CODES.get(exc.code, errors.invalid_parameter)(exc.message)


def _denied(exc: TrustDenied, principal: str, missing: str) -> ServiceError:
    """AccessDeniedException for a trust denial (``missing``: the text when the role does not exist)."""
    if exc.decision is None:
        return errors.access_denied(missing)
    request = Request(principal=principal, action=exc.action, resource=exc.role_arn)
    return errors.access_denied(denial_message(request, exc.decision))


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
    now = svc.clock()
    tags: dict[str, str] = {} if assoc.disable_session_tags else {
        "eks-cluster-arn": cluster.arn,
        "eks-cluster-name": cluster.name,
        "kubernetes-namespace": claims.namespace,
        "kubernetes-service-account": claims.service_account_name,
        "kubernetes-pod-name": claims.pod_name,
        "kubernetes-pod-uid": claims.pod_uid,
    }
    req = SessionRequest(role_arn=assoc.role_arn, session_name=session_name(cluster.name, claims.pod_name),
                         tags=tuple(tags.items()), transitive_tag_keys=tuple(tags),
                         policy=None if assoc.target_role_arn else assoc.policy)
    # the session's own keys (aws:RequestTag/*, aws:TagKeys, sts:TransitiveTagKeys...) come from check_trust
    context = {**_now_keys(cluster.region, now), "aws:SourceAccount": cluster.account_id,
               "aws:SourceArn": cluster.arn, "aws:PrincipalServiceName": SERVICE_PRINCIPAL}
    try:
        first = assume_role_as(state.store, state.tokens, req, principal=SERVICE_PRINCIPAL,
                               principal_type="Service", context=context, duration=SESSION_SECONDS)
    except TrustDenied as exc:
        raise _denied(exc, SERVICE_PRINCIPAL, f"The role {assoc.role_arn} of association "
                      f"{assoc.association_id} does not exist") from exc
    except ServiceError as exc:
        raise _eks_error(exc) from exc
    if not assoc.target_role_arn:
        return PodIdentityGrant(claims, assoc, first.credentials)
    return PodIdentityGrant(claims, assoc, _chain(state, cluster, assoc, first, now))


def _chain(state: Any, cluster: ClusterRecord, assoc: AssociationRecord, first: IssuedSession,
           now: float) -> TemporaryCredentials:
    """Role chaining: the first session assumes the association's target role."""

    assert assoc.target_role_arn
    target = find_role(state.store, assoc.target_role_arn)
    if target is None:
        raise errors.access_denied(
            f"Unable to assume the target role {assoc.target_role_arn}: it does not exist")
    cache = state.policy_cache
    caller = first.credentials.context
    role = first.role
    compiled = cache.get(state.store, role.arn)
    tags = caller.tags
    principal_tags = {**compiled.tags, **tags}
    # sts:RoleSessionName and sts:ExternalId come from the session (check_trust); the inherited
    # transitive tags are also presented as the request's tags (aws:RequestTag/*, aws:TagKeys)
    context: dict[str, Any] = {
        **_now_keys(cluster.region, now),
        "aws:PrincipalArn": role.arn, "aws:PrincipalAccount": role.account_id,
        "aws:PrincipalType": "AssumedRole",
        "aws:userid": caller.user_id, "aws:TokenIssueTime": dt.datetime.fromtimestamp(now, dt.UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"),
        **{f"aws:PrincipalTag/{k}": v for k, v in principal_tags.items()},
        **_tag_keys(tags),
    }
    req = SessionRequest(role_arn=assoc.target_role_arn, session_name=caller.session_name or "",
                         policy=assoc.policy, external_id=assoc.external_id)
    try:
        session = prepare_session(state.store, target, req, caller_session=caller, chained=True)
        for action in ("sts:AssumeRole", "sts:TagSession") if session.tagging else ("sts:AssumeRole",):
            check_trust(session, principal=first.assumed_role_arn, principal_type="AWS", action=action,
                        identity=compiled.identity, boundary=compiled.boundary, context=context)
        return issue_session(state.tokens, session, duration=CHAINED_SECONDS).credentials
    except TrustDenied as exc:
        raise _denied(exc, first.assumed_role_arn, f"Unable to assume the target role "
                      f"{assoc.target_role_arn}: it does not exist") from exc
    except ServiceError as exc:
        raise _eks_error(exc) from exc
