"""The one way podid's in-cluster components (broker, webhook) build a ``kubernetes`` ApiClient:
from a kubeconfig file and context, or from the pod's in-cluster ServiceAccount."""

from __future__ import annotations

from kubernetes import client as k8s
from kubernetes import config as k8s_config


def kube_api_client(kubeconfig: str | None = None, context: str | None = None) -> k8s.ApiClient:
    """An ApiClient from a kubeconfig file (its ``context``, default the current one) or, with
    ``kubeconfig=None``, the pod's in-cluster ServiceAccount."""
    if kubeconfig is None:
        conf = k8s.Configuration()
        k8s_config.load_incluster_config(client_configuration=conf)
        return k8s.ApiClient(conf)
    return k8s_config.new_client_from_config(config_file=kubeconfig, context=context)
