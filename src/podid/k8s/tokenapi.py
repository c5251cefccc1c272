"""authentication.k8s.io for one cluster: TokenRequest (``serviceaccounts/token``, a projected
ServiceAccount token optionally bound to a pod) and TokenReview (is this token valid now: its
ServiceAccount and bound pod still exist with the same uids), with the API server's validation
errors. Signing and verifying are :class:`~podid.k8s.tokens.TokenIssuer`'s; this module owns the
API semantics around them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from podid.k8s import errors
from podid.k8s.store import ObjectStore
from podid.k8s.tokens import TokenIssuer


class Authentication:
    """TokenRequest and TokenReview over one cluster's object store."""

    def __init__(self, store: ObjectStore, token_issuer: TokenIssuer | None,
                 get_service_account: Callable[[str, str], dict[str, Any]]) -> None:
        self.store = store
        self.token_issuer = token_issuer
        self._get_service_account = get_service_account

    def create_token(self, namespace: str, sa_name: str, body: Any) -> dict[str, Any]:
        sa = self._get_service_account(namespace, sa_name)
        if self.token_issuer is None:
            raise errors.StatusError(
                503, "ServiceUnavailable", "token issuance is not configured for this cluster"
            )
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request was in an unknown format")
        spec = dict(body.get("spec") or {})
        audiences = list(spec.get("audiences") or self.token_issuer.api_audiences)
        seconds = spec.get("expirationSeconds") or 3600
        if not isinstance(seconds, int) or seconds < 600:
            raise errors.invalid(
                "TokenRequest",
                "authentication.k8s.io",
                sa_name,
                [
                    errors.invalid_value(
                        "spec.expirationSeconds", seconds, "may not specify a duration less than 10 minutes"
                    )
                ],
            )
        if seconds > 2**32:
            raise errors.invalid(
                "TokenRequest",
                "authentication.k8s.io",
                sa_name,
                [
                    errors.invalid_value(
                        "spec.expirationSeconds",
                        seconds,
                        "may not specify a duration larger than 2^32 seconds",
                    )
                ],
            )
        pod_ref = None
        bound = spec.get("boundObjectRef")
        if bound:
            if bound.get("kind") not in ("Pod", "Secret", "Node"):
                raise errors.invalid(
                    "TokenRequest",
                    "authentication.k8s.io",
                    sa_name,
                    [
                        errors.unsupported_value(
                            "spec.boundObjectRef.kind", bound.get("kind"), ["Pod", "Secret"]
                        )
                    ],
                )
            if bound.get("kind") == "Pod":
                pod = self.store.get("", "pods", namespace, bound.get("name", ""))
                if pod is None:
                    raise errors.not_found("pods", "", bound.get("name", ""))
                if bound.get("uid") and bound["uid"] != pod["metadata"]["uid"]:
                    raise errors.conflict(
                        "pods",
                        "",
                        bound.get("name", ""),
                        f"the UID in the bound object reference ({bound['uid']}) does not match "
                        f"the UID in record. The object might have been deleted and then "
                        f"recreated",
                    )
                if (pod.get("spec") or {}).get("serviceAccountName", "default") != sa_name:
                    raise errors.bad_request(
                        f'cannot bind token for serviceaccount "{sa_name}" to pod running '
                        f"with different serviceaccount name."
                    )
                pod_ref = (pod["metadata"]["name"], pod["metadata"]["uid"])
                spec["boundObjectRef"] = {
                    "kind": "Pod",
                    "apiVersion": "v1",
                    "name": pod_ref[0],
                    "uid": pod_ref[1],
                }
        issued = self.token_issuer.issue(
            namespace, sa_name, sa["metadata"]["uid"], audiences, seconds, pod_ref
        )
        spec["audiences"] = audiences
        spec["expirationSeconds"] = seconds
        expires = dt.datetime.fromtimestamp(issued.expires_at, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "kind": "TokenRequest",
            "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"name": sa_name, "namespace": namespace, "creationTimestamp": None},
            "spec": spec,
            "status": {"token": issued.token, "expirationTimestamp": expires},
        }

    def token_review(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not (body.get("spec") or {}).get("token"):
            raise errors.invalid("TokenReview", "authentication.k8s.io", "", [errors.required("spec.token")])
        spec = body["spec"]
        status: dict[str, Any]
        if self.token_issuer is None:
            status = {"authenticated": False, "user": {}, "error": "token issuer not configured"}
        else:
            try:
                r = self.token_issuer.review(spec["token"], spec.get("audiences") or [])
                status = self._review_status(
                    r.namespace, r.service_account, r.service_account_uid, r.audiences, r.pod_name, r.pod_uid
                )
            except ValueError as exc:
                status = {"authenticated": False, "user": {}, "error": f"[invalid bearer token, {exc}]"}
        return {
            "kind": "TokenReview",
            "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"creationTimestamp": None},
            "spec": spec,
            "status": status,
        }

    def _review_status(
        self,
        ns: str,
        sa: str,
        sa_uid: str,
        audiences: Sequence[str],
        pod_name: str | None,
        pod_uid: str | None,
    ) -> dict[str, Any]:
        stored = self.store.get("", "serviceaccounts", ns, sa)
        if stored is None or stored["metadata"]["uid"] != sa_uid:
            return {
                "authenticated": False,
                "user": {},
                "error": "[invalid bearer token, service account token has been invalidated]",
            }
        if pod_name:
            pod = self.store.get("", "pods", ns, pod_name)
            if pod is None or pod["metadata"]["uid"] != pod_uid:
                return {
                    "authenticated": False,
                    "user": {},
                    "error": f'[invalid bearer token, pod "{pod_name}" not found]',
                }
        extra = {}
        if pod_name:
            extra = {
                "authentication.kubernetes.io/pod-name": [pod_name],
                "authentication.kubernetes.io/pod-uid": [pod_uid or ""],
            }
        user: dict[str, Any] = {
            "username": f"system:serviceaccount:{ns}:{sa}",
            "uid": sa_uid,
            "groups": ["system:serviceaccounts", f"system:serviceaccounts:{ns}", "system:authenticated"],
        }
        if extra:
            user["extra"] = extra
        return {"authenticated": True, "user": user, "audiences": list(audiences)}
