"""kubeconfig generation: one cluster/user/context per podid cluster, bearer-token auth over TLS."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ClusterAccess:
    """How to reach one cluster: ``server`` may carry a path prefix (``https://127.0.0.1:PORT/clusters/x``)."""

    name: str
    server: str
    token: str
    ca_pem: str
    namespace: str = "default"


def build_kubeconfig(clusters: Sequence[ClusterAccess], current: str | None = None) -> dict[str, Any]:
    if not clusters:
        raise ValueError("at least one cluster is required")
    ctx = [
        {"name": c.name, "context": {"cluster": c.name, "user": c.name, "namespace": c.namespace}}
        for c in clusters
    ]
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [
            {
                "name": c.name,
                "cluster": {
                    "server": c.server,
                    "certificate-authority-data": base64.b64encode(c.ca_pem.encode()).decode(),
                },
            }
            for c in clusters
        ],
        "users": [{"name": c.name, "user": {"token": c.token}} for c in clusters],
        "contexts": ctx,
        "current-context": current or clusters[0].name,
    }


def write_kubeconfig(
    path: str | os.PathLike[str], clusters: Sequence[ClusterAccess], current: str | None = None
) -> Path:
    """Write the kubeconfig (JSON is valid YAML) with mode 0600, atomically."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(build_kubeconfig(clusters, current), fh, indent=2)
    os.replace(tmp, target)
    return target
