"""Bearer-token authentication for a cluster's Kubernetes API, tried in order:

1. the kubeconfig admin token (``DIR/kube/admin-token``) -> ``podid-admin`` in ``system:masters``;
2. ServiceAccount tokens the cluster issued (API audience) -> ``system:serviceaccount:<ns>:<sa>``;
3. EKS tokens from ``aws eks get-token`` (``k8s-aws-v1.`` + base64url of a presigned STS
   ``GetCallerIdentity`` URL with the signed ``x-k8s-aws-id: <cluster>`` header), verified with
   podid's own SigV4 verifier: the cluster creator (the podid admin user) is mapped to
   ``system:masters`` as EKS does for the creator; other IAM principals have no access entry (401).

Tokens are never logged.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from collections.abc import Callable, Collection
from typing import Any
from urllib.parse import parse_qs, urlsplit

from podid.k8s.auth import Authenticator, UserInfo, admin_user
from podid.k8s.tokens import TokenIssuer

log = logging.getLogger("podid.cluster")

EKS_TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_HEADER = "x-k8s-aws-id"
MAX_EKS_TOKEN = 8192


def _decode_eks_token(token: str) -> str | None:
    body = token[len(EKS_TOKEN_PREFIX):]
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("ascii")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def verify_eks_token(token: str, cluster: str, store: Any, tokens: Any) -> Any | None:
    """The IAM :class:`~podid.gateway.context.Caller` behind an EKS token for ``cluster``, or None."""
    from podid.auth import signature
    from podid.auth.authenticate import Authenticator as SigV4Authenticator
    from podid.auth.errors import AuthError
    from podid.protocol.wire import WireRequest

    if len(token) > MAX_EKS_TOKEN:
        return None
    url = _decode_eks_token(token)
    if url is None:
        return None
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    if query.get("Action") != ["GetCallerIdentity"] or not parts.netloc:
        return None
    signed = (query.get("X-Amz-SignedHeaders") or [""])[0].lower().split(";")
    if CLUSTER_HEADER not in signed:
        return None
    wire = WireRequest(method="GET", raw_path=parts.path or "/", query=parts.query,
                       headers=[("host", parts.netloc), (CLUSTER_HEADER, cluster)],
                       scheme=parts.scheme or "https")
    try:
        sig = signature.extract(wire)
        if sig is None or not sig.presigned:
            return None
        return SigV4Authenticator(store, tokens).authenticate(wire, sig)
    except AuthError:
        return None


def cluster_authenticator(
    cluster: str,
    admin_token: str,
    issuer: Callable[[], TokenIssuer],
    *,
    store: Any = None,
    tokens: Any = None,
    admin_arns: Collection[str] = (),
) -> Authenticator:
    """The authenticator of ``cluster`` (``issuer()`` returns its current token issuer)."""
    admin = admin_user()

    def authenticate(token: str) -> UserInfo | None:
        if hmac.compare_digest(token.encode(), admin_token.encode()):
            return admin
        if token.startswith(EKS_TOKEN_PREFIX):
            if store is None or tokens is None:
                return None
            caller = verify_eks_token(token, cluster, store, tokens)
            if caller is None:
                return None
            arn = getattr(caller, "policy_principal", None) or caller.arn
            if caller.arn in admin_arns or arn in admin_arns:
                return UserInfo(username=caller.arn, uid=f"aws-iam-authenticator:{caller.account}:"
                                f"{caller.user_id}", groups=("system:masters", "system:authenticated"),
                                extra={"arn": [caller.arn], "accessKeyId": [caller.access_key_id or ""]})
            log.info("EKS token of %s rejected: no access entry in cluster %s", caller.arn, cluster)
            return None
        if token.count(".") == 2:
            current = issuer()
            try:
                reviewed = current.review(token, current.api_audiences)
            except ValueError:
                return None
            sa = f"system:serviceaccount:{reviewed.namespace}:{reviewed.service_account}"
            return UserInfo(username=sa, uid=reviewed.service_account_uid,
                            groups=("system:serviceaccounts", f"system:serviceaccounts:{reviewed.namespace}",
                                    "system:authenticated"))
        return None

    return authenticate
