"""The composition root: the one place that says what ``podid up`` is made of.

Importing this module registers every AWS API podid serves (each handler module registers its
operations with :mod:`podid.gateway.registry` when imported; the data plane registers its
forwarders); :func:`install_components` then lets each component add its routes, start-up and
shutdown hooks to the :class:`~podid.gateway.state.AppState`, in dependency order: EKS (issuers,
agent heartbeats), the data plane (moto backend), the Kubernetes clusters (API servers, webhook,
pod runtime, node agents; they need EKS). Nothing is optional and nothing is looked up by name: a
missing or misspelt component fails at import.
"""

from __future__ import annotations

from podid.cluster import server as cluster_server
from podid.dataplane import gateway as dataplane_gateway
from podid.eks import handlers as eks_handlers
from podid.eks import server as eks_server
from podid.eksauth import handlers as eksauth_handlers
from podid.gateway import registry
from podid.gateway.state import AppState
from podid.iamapi import handlers as iam_handlers
from podid.sts import handlers as sts_handlers

#: The modules whose import registers AWS operations (the control-plane APIs; the data plane's
#: forwarders come with :mod:`podid.dataplane.gateway`).
API_MODULES = (sts_handlers, iam_handlers, eks_handlers, eksauth_handlers, dataplane_gateway)


def install_components(state: AppState) -> None:
    """Give every component its routes and hooks on ``state`` (before the app is built)."""
    eks_server.install(state)
    dataplane_gateway.install(state)
    cluster_server.install(state)


def served_services() -> list[str]:
    """The SigV4 service names podid answers (every registered handler and forwarder)."""
    return registry.services()
