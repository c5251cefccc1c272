"""The webhook's serving certificate: :func:`podid.tls.issue` with the webhook's CA name.

The API server only calls webhooks over HTTPS and verifies the serving certificate against the
``caBundle`` of the MutatingWebhookConfiguration (``ServingCert.ca_bundle``).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from podid.tls import ServingCert, issue, uvicorn_ssl_options

WebhookTLS = ServingCert


def build_webhook_tls(hosts: Sequence[str] = ("127.0.0.1", "localhost"), *, ca_name: str = "podid-webhook-ca",
                      days: int = 365, now: datetime.datetime | None = None) -> ServingCert:
    """A fresh CA and a serving certificate for ``hosts`` (DNS names and/or IP addresses)."""
    return issue(hosts, ca_name=ca_name, days=days, now=now)


__all__ = ["WebhookTLS", "build_webhook_tls", "uvicorn_ssl_options"]
