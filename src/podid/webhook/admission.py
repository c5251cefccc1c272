"""The ``admission.k8s.io/v1`` AdmissionReview endpoint (Starlette) around :func:`mutate_pod`.

POST ``/mutate`` (path configurable) with ``Content-Type: application/json`` and an
AdmissionReview; the answer echoes ``apiVersion``/``kind`` and ``request.uid`` with
``allowed: true`` and, when the pod changes, ``patchType: JSONPatch`` and the base64 RFC 6902
patch. Warnings from the mutation go to ``response.warnings``. Non-pod or non-CREATE requests are
allowed unchanged. A wrong content type is 415 and an unreadable review 400 (both like the
upstream webhook, whose ``failurePolicy: Ignore`` then admits the pod unmutated); a resolver
failure is 500 for the same reason - the endpoint never guesses an identity.

The endpoint needs the cluster's view of ServiceAccounts, associations and add-ons through an
:class:`AdmissionResolver`; TLS is configured on the server (uvicorn ``ssl_certfile``/
``ssl_keyfile``, see :mod:`podid.webhook.tls`), not here.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Literal, Protocol

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from podid.webhook.config import PodIdentityAssociation, WebhookConfig
from podid.webhook.mutate import mutate_pod

log = logging.getLogger(__name__)

MAX_WARNING_CHARS = 120  # the API server truncates longer admission warnings

Outcome = Literal["patched", "allowed", "skipped", "ignored"]


class AdmissionResolver(Protocol):
    """The cluster state the webhook consults (the local cluster API or a real cluster)."""

    def service_account(self, namespace: str, name: str) -> Mapping[str, Any] | None: ...

    def association(self, namespace: str, service_account: str) -> PodIdentityAssociation | None: ...

    def agent_addon_installed(self) -> bool: ...


class BadReview(ValueError):
    """The body is not an AdmissionReview we can answer."""


def _response(review: Mapping[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": review.get("apiVersion", "admission.k8s.io/v1"),
        "kind": review.get("kind", "AdmissionReview"),
        "response": body,
    }


def review_pod(
    review: Mapping[str, Any], resolver: AdmissionResolver, config: WebhookConfig,
    *, skip_namespaces: Collection[str] = (),
) -> dict[str, Any]:
    """Answer one AdmissionReview (a parsed JSON object); raises :class:`BadReview`.

    Pods in ``skip_namespaces`` are admitted unchanged without consulting ``resolver`` (as if the
    MutatingWebhookConfiguration's namespaceSelector had kept them away)."""
    return review_outcome(review, resolver, config, skip_namespaces=skip_namespaces)[0]


def review_outcome(
    review: Mapping[str, Any], resolver: AdmissionResolver, config: WebhookConfig,
    *, skip_namespaces: Collection[str] = (),
) -> tuple[dict[str, Any], Outcome]:
    """:func:`review_pod` plus what happened: ``patched``, ``allowed`` (a pod CREATE with nothing
    to add), ``skipped`` (a pod in ``skip_namespaces``) or ``ignored`` (not a pod CREATE)."""
    if not isinstance(review, Mapping) or review.get("kind") != "AdmissionReview":
        raise BadReview("body is not an AdmissionReview")
    if review.get("apiVersion") not in ("admission.k8s.io/v1", "admission.k8s.io/v1beta1"):
        raise BadReview(f"unsupported apiVersion {review.get('apiVersion')!r}")
    request = review.get("request")
    if not isinstance(request, Mapping) or not isinstance(request.get("uid"), str):
        raise BadReview("AdmissionReview has no request.uid")
    uid = request["uid"]
    kind = request.get("kind") or {}
    resource = request.get("resource") or {}
    pod = request.get("object")
    is_pod_create = (
        kind.get("kind") == "Pod" and kind.get("group", "") == ""
        and resource.get("resource", "pods") == "pods" and not request.get("subResource")
        and request.get("operation") == "CREATE"
    )
    if not is_pod_create:
        return _response(review, {"uid": uid, "allowed": True}), "ignored"
    if not isinstance(pod, Mapping):
        raise BadReview("request.object is not a Pod")
    namespace = request.get("namespace") or (pod.get("metadata") or {}).get("namespace") or "default"
    if namespace in skip_namespaces:
        return _response(review, {"uid": uid, "allowed": True}), "skipped"
    spec = pod.get("spec") or {}
    sa_name = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    association = resolver.association(namespace, sa_name)
    result = mutate_pod(
        pod,
        resolver.service_account(namespace, sa_name),
        association=association,
        # only Pod Identity needs the agent: ask the cluster only when an association applies
        agent_addon_installed=resolver.agent_addon_installed() if association is not None else True,
        config=config,
        namespace=namespace,
    )
    for reason in result.reasons:
        log.info("%s", reason)
    body: dict[str, Any] = {"uid": uid, "allowed": True}
    if result.patch:
        body["patchType"] = "JSONPatch"
        body["patch"] = base64.b64encode(
            json.dumps(result.patch, separators=(",", ":")).encode("utf-8")
        ).decode("ascii")
    if result.warnings:
        body["warnings"] = [w[:MAX_WARNING_CHARS] for w in result.warnings]
    return _response(review, body), "patched" if result.patch else "allowed"


def admission_routes(
    resolver: AdmissionResolver, config: WebhookConfig | None = None, path: str = "/mutate",
    *, skip_namespaces: Collection[str] = (), observe: Callable[[str], None] | None = None,
) -> list[Route]:
    """The mutating admission route at ``path`` plus ``GET <parent of path>/healthz``.

    ``observe(outcome)`` is called once per POST: an :data:`Outcome`, or ``unsupported_media_type``
    (415), ``bad_request`` (400), ``error`` (500)."""
    config = config or WebhookConfig()
    seen = observe or (lambda outcome: None)

    async def mutate(request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            seen("unsupported_media_type")
            return PlainTextResponse("Invalid Content-Type, expected `application/json`", status_code=415)
        try:
            review = json.loads(await request.body())
        except ValueError:
            seen("bad_request")
            return PlainTextResponse("body is not JSON", status_code=400)
        try:
            answer, outcome = await run_in_threadpool(
                lambda: review_outcome(review, resolver, config, skip_namespaces=skip_namespaces))
        except BadReview as exc:
            seen("bad_request")
            return PlainTextResponse(str(exc), status_code=400)
        except Exception as exc:  # resolver or store failure: let failurePolicy decide
            log.error("admission failed: %s: %s", type(exc).__name__, exc)
            seen("error")
            return PlainTextResponse("internal error", status_code=500)
        seen(outcome)
        return JSONResponse(answer)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    return [
        Route(path, mutate, methods=["POST"], name="webhook-mutate"),
        Route(path.rstrip("/").rsplit("/", 1)[0] + "/healthz", healthz, methods=["GET"],
              name="webhook-healthz"),
    ]


def mutating_webhook_configuration(
    *,
    name: str = "podid-pod-identity-webhook",
    ca_bundle_pem: bytes | str,
    url: str | None = None,
    service: tuple[str, str] | None = None,
    path: str = "/mutate",
    failure_policy: str = "Ignore",
    exclude_namespaces: Sequence[str] = (),
) -> dict[str, Any]:
    """A ``MutatingWebhookConfiguration`` like the upstream ``deploy/mutatingwebhook.yaml``:
    CREATE pods, objectSelector skipping ``eks.amazonaws.com/skip-pod-identity-webhook``,
    ``sideEffects: None``, ``failurePolicy: Ignore``. Give ``url`` or ``service=(namespace, name)``.
    ``exclude_namespaces`` adds a namespaceSelector on ``kubernetes.io/metadata.name`` (NotIn).
    """
    if (url is None) == (service is None):
        raise ValueError("give exactly one of url or service")
    pem = ca_bundle_pem.encode("ascii") if isinstance(ca_bundle_pem, str) else ca_bundle_pem
    client: dict[str, Any] = {"caBundle": base64.b64encode(pem).decode("ascii")}
    if url is not None:
        client["url"] = url
    else:
        assert service is not None
        client["service"] = {"namespace": service[0], "name": service[1], "path": path}
    hook: dict[str, Any] = {
        "name": "pod-identity-webhook.amazonaws.com",
        "failurePolicy": failure_policy,
        "clientConfig": client,
        "objectSelector": {"matchExpressions": [{
            "key": "eks.amazonaws.com/skip-pod-identity-webhook", "operator": "DoesNotExist",
            "values": [],
        }]},
        "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"],
                   "resources": ["pods"]}],
        "sideEffects": "None",
        "admissionReviewVersions": ["v1", "v1beta1"],
    }
    if exclude_namespaces:
        hook["namespaceSelector"] = {"matchExpressions": [{
            "key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": list(exclude_namespaces)}]}
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": name},
        "webhooks": [hook],
    }
