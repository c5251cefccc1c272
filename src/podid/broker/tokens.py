"""Validate a pod's projected ServiceAccount token against the cluster it claims to come from.

Two validators, one result (:class:`PodIdentity`) and EKS Auth's errors for everything else:

* :class:`JwksValidator`: the cluster's own OIDC issuer: the key set at ``<issuer>/.well-known/
  openid-configuration`` -> ``jwks_uri`` (kube-apiserver serves both), fetched over https and cached
  (:class:`podid.oidc.JWKSFetcher`), the token checked by :func:`podid.oidc.verify_token`
  (signature first, then ``iss``, ``aud`` = ``pods.eks.amazonaws.com``, times, claim structure);
  or a static JWKS (``--jwks-file``) for an issuer that is not reachable from the broker.
  Forged, other-cluster, wrong-audience tokens -> InvalidTokenException; an authentic token past
  ``exp`` -> ExpiredTokenException. It cannot know whether the pod still exists.
* :class:`TokenReviewValidator`: a ``TokenReview`` (``authentication.k8s.io/v1``) posted to the
  cluster's API server with the kubernetes client, audience ``pods.eks.amazonaws.com``: the API
  server also rejects tokens of deleted pods and ServiceAccounts (what EKS Auth checks). Needs
  ``system:auth-delegator`` (``tokenreviews`` create) for the broker's ServiceAccount.

Both require a token bound to a pod (projected volume tokens are): the pod's name and uid become
session tags. A validator that cannot reach its source fails closed (ServiceUnavailableException).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Protocol

from podid.eksauth import AUDIENCE
from podid.eksauth import errors as eks_errors
from podid.errors import ServiceError
from podid.kubeclient import kube_api_client
from podid.oidc import ExpiredTokenError, InvalidTokenError, JWKSFetchError, KeySource, verify_token

log = logging.getLogger("podid.broker")

_COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
_SA_USER = re.compile(r"^system:serviceaccount:([^:]+):([^:]+)$")
POD_NAME_EXTRA = "authentication.kubernetes.io/pod-name"
POD_UID_EXTRA = "authentication.kubernetes.io/pod-uid"


@dataclass(frozen=True)
class PodIdentity:
    """Who the token speaks for, as the cluster vouches for it."""

    namespace: str
    service_account: str
    service_account_uid: str
    pod_name: str
    pod_uid: str


class TokenValidator(Protocol):
    """``validate(token) -> PodIdentity``; raises EKS Auth's ServiceError (never returns on a bad token)."""

    def validate(self, token: str) -> PodIdentity: ...


def _invalid(reason: str) -> ServiceError:
    return eks_errors.invalid_token(f"The service account token is not valid: {reason}")


def _shape(token: Any) -> str:
    if not isinstance(token, str) or not token:
        raise eks_errors.invalid_parameter("token must be a non-empty string")
    if not _COMPACT_JWS.match(token):
        raise _invalid("token is not a compact JWS")
    return token


class JwksValidator:
    """Tokens signed by the cluster issuer's published keys (see the module docstring)."""

    def __init__(self, issuer: str, keys: KeySource, *, clock: Any = None) -> None:
        self.issuer = issuer.rstrip("/")
        self.keys = keys
        self._clock = clock

    def validate(self, token: str) -> PodIdentity:
        token = _shape(token)
        now = int(self._clock()) if self._clock else None
        try:
            claims = verify_token(token, self.keys, self.issuer, AUDIENCE, now=now)
        except ExpiredTokenError as exc:
            raise eks_errors.expired_token(f"The service account token has expired: {exc}") from None
        except InvalidTokenError as exc:
            raise _invalid(str(exc)) from None
        except JWKSFetchError as exc:
            log.warning("cluster issuer keys unavailable: %s", exc)
            raise eks_errors.service_unavailable(
                "The cluster's service account issuer keys could not be fetched") from None
        if not (claims.namespace and claims.service_account_name and claims.service_account_uid):
            raise _invalid("no service account claims")
        if not (claims.pod_name and claims.pod_uid):
            raise _invalid("it is not bound to a pod")
        return PodIdentity(claims.namespace, claims.service_account_name, claims.service_account_uid,
                           claims.pod_name, claims.pod_uid)


class TokenReviewValidator:
    """Tokens the cluster's API server authenticates (TokenReview with the pods audience)."""

    def __init__(self, api_client: Any) -> None:
        from kubernetes import client

        self._api = client.AuthenticationV1Api(api_client)
        self._client = client

    @classmethod
    def from_kubeconfig(cls, path: str | None, context: str | None = None) -> TokenReviewValidator:
        """From a kubeconfig file (its ``context``, default the current one), or (``None``) the pod's
        in-cluster ServiceAccount."""
        return cls(kube_api_client(path, context))

    def validate(self, token: str) -> PodIdentity:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        token = _shape(token)
        spec = self._client.V1TokenReviewSpec(token=token, audiences=[AUDIENCE])
        body = self._client.V1TokenReview(spec=spec)
        try:
            review = self._api.create_token_review(body, _request_timeout=10)
        except ApiException as exc:
            log.warning("TokenReview failed: HTTP %s %s", exc.status, exc.reason)
            raise eks_errors.service_unavailable("The cluster could not review the service account token") \
                from None
        except (HTTPError, OSError) as exc:
            log.warning("TokenReview failed: %s", type(exc).__name__)
            raise eks_errors.service_unavailable("The cluster could not review the service account token") \
                from None
        status = review.status
        if status is None or not status.authenticated:
            error = (status.error if status else None) or "not authenticated"
            if "expired" in error.lower():
                raise eks_errors.expired_token(f"The service account token has expired: {error}")
            raise _invalid(error)
        if AUDIENCE not in (status.audiences or []):
            raise _invalid("token audience does not match")
        user = status.user
        match = _SA_USER.match(user.username or "") if user else None
        if user is None or match is None or not user.uid:
            raise _invalid("it is not a service account token")
        extra = user.extra or {}
        pod_name = (extra.get(POD_NAME_EXTRA) or [""])[0]
        pod_uid = (extra.get(POD_UID_EXTRA) or [""])[0]
        if not (pod_name and pod_uid):
            raise _invalid("it is not bound to a pod")
        return PodIdentity(match.group(1), match.group(2), user.uid, pod_name, pod_uid)
