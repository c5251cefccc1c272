"""Fixtures: one podid cluster API under uvicorn (TLS, loopback, mounted at /clusters/demo) and a
kubectl runner bound to a generated kubeconfig."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from starlette.applications import Starlette
from starlette.routing import Mount

from podid.k8s import (
    AdmissionRequest,
    ClusterAccess,
    LocalProcessRuntime,
    OidcTokenIssuer,
    SqlObjectStore,
    admin_user,
    create_cluster_api,
    create_tables,
    static_token_authenticator,
    write_kubeconfig,
)
from podid.k8s.server import BackgroundServer
from podid.tls import issue
from support.kubectl import require_kubectl

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
TOKEN = "test-admin-token"
PREFIX = "/clusters/demo"


@pytest.fixture(scope="session", autouse=True)
def _kubectl_required() -> None:
    require_kubectl()



def mark_hook(req: AdmissionRequest) -> dict[str, Any] | None:
    """A stand-in for the Pod Identity webhook: injects an env var into annotated pods."""
    annotations = req.object["metadata"].get("annotations") or {}
    inject = annotations.get("podid.test/inject") == "true"
    if req.resource == "pods" and req.operation == "CREATE" and inject:
        for c in req.object["spec"]["containers"]:
            c.setdefault("env", []).append({"name": "INJECTED", "value": "yes"})
        req.events.append(("Injected", "podid test hook mutated the pod", "Normal"))
    return None


@dataclass
class Cluster:
    url: str
    kubeconfig: Path
    home: Path
    ca_pem: str
    store: SqlObjectStore

    def kubectl(
        self, *args: str, stdin: str | None = None, check: bool = False, timeout: float = 20
    ) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "KUBECONFIG": str(self.kubeconfig),
        }
        proc = subprocess.run(
            [KUBECTL, *args], input=stdin, capture_output=True, text=True, env=env, timeout=timeout
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {proc.stdout}{proc.stderr}")
        return proc


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    from podid.oidc.keys import IssuerKeys

    base = tmp_path_factory.mktemp("k8s")
    engine = create_engine(f"sqlite:///{base / 'state.db'}", connect_args={"check_same_thread": False})
    create_tables(engine)
    store = SqlObjectStore(engine, "demo")
    cert = issue()
    issuer = OidcTokenIssuer(IssuerKeys.generate(int(time.time())), "https://127.0.0.1/clusters/demo")
    api = create_cluster_api(
        "demo",
        store,
        static_token_authenticator({TOKEN: admin_user()}),
        [mark_hook],
        issuer,
        runtime=LocalProcessRuntime(),
        ca_pem=cert.ca_pem,
    )
    root = Starlette(routes=[Mount(PREFIX, app=api)])
    with BackgroundServer(root, cert) as srv:
        kubeconfig = write_kubeconfig(
            base / "kubeconfig", [ClusterAccess("demo", srv.url + PREFIX, TOKEN, cert.ca_pem)]
        )
        yield Cluster(srv.url + PREFIX, kubeconfig, base, cert.ca_pem, store)
    engine.dispose()
