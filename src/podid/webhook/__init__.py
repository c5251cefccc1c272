"""Pod Identity + IRSA admission mutation: pure functions and an AdmissionReview endpoint.

Public API:

* :func:`mutate_pod` -> :class:`MutationResult` (pure; used in-process by podid's cluster API)
* :class:`WebhookConfig` (``WebhookConfig.eks(region)``), :class:`PodIdentityAssociation`
* :func:`admission_routes`, :func:`review_pod`, :class:`AdmissionResolver`,
  :func:`mutating_webhook_configuration`
* :func:`build_webhook_tls`, :class:`WebhookTLS`, :func:`uvicorn_ssl_options`
* :mod:`podid.webhook.jsonpatch`: ``diff``/``apply`` (RFC 6902)
* :mod:`podid.webhook.resolvers` (``KubeResolver``: a real cluster through the kubernetes client)
  and :mod:`podid.webhook.server` (``build_webhook_app``) serve ``podid webhook``; they are not
  imported here, so ``podid up``'s in-process admission does not load them.
"""

from podid.webhook.admission import (
    AdmissionResolver,
    BadReview,
    admission_routes,
    mutating_webhook_configuration,
    review_pod,
)
from podid.webhook.config import PodIdentityAssociation, WebhookConfig
from podid.webhook.jsonpatch import JsonPatchError, apply, diff
from podid.webhook.mutate import MutationResult, container_identity, mutate_pod
from podid.webhook.tls import WebhookTLS, build_webhook_tls, uvicorn_ssl_options

__all__ = [
    "AdmissionResolver",
    "BadReview",
    "JsonPatchError",
    "MutationResult",
    "PodIdentityAssociation",
    "WebhookConfig",
    "WebhookTLS",
    "admission_routes",
    "apply",
    "build_webhook_tls",
    "container_identity",
    "diff",
    "mutate_pod",
    "mutating_webhook_configuration",
    "review_pod",
    "uvicorn_ssl_options",
]
