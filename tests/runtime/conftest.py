"""Fixtures: a podid cluster API (TLS, loopback) whose pods run on :class:`podid.runtime.ProcessRuntime`,
driven by the real kubectl. Token refresh and restart back-off are scaled down so tests stay fast."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from starlette.applications import Starlette
from starlette.routing import Mount

from podid.k8s import (
    ClusterAccess,
    OidcTokenIssuer,
    SqlObjectStore,
    admin_user,
    create_cluster_api,
    create_tables,
    static_token_authenticator,
    write_kubeconfig,
)
from podid.k8s.server import BackgroundServer
from podid.runtime import ProcessRuntime, RuntimeConfig
from podid.tls import issue
from support.kubectl import require_kubectl

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
TOKEN = "runtime-admin-token"
PREFIX = "/clusters/rt"
ISSUER = "https://127.0.0.1/clusters/rt"
AGENT_URL = "http://127.0.0.1:9/v1/credentials"


@pytest.fixture(scope="session", autouse=True)
def _kubectl_required() -> None:
    require_kubectl()



@dataclass
class RuntimeCluster:
    url: str
    kubeconfig: Path
    home: Path
    state_dir: Path
    store: SqlObjectStore
    runtime: ProcessRuntime
    keys: Any

    def kubectl(
        self, *args: str, stdin: str | None = None, check: bool = False, timeout: float = 30
    ) -> subprocess.CompletedProcess[str]:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.home),
               "KUBECONFIG": str(self.kubeconfig)}
        proc = subprocess.run([KUBECTL, *args], input=stdin, capture_output=True, text=True, env=env,
                              timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {proc.stdout}{proc.stderr}")
        return proc

    def pod(self, ns: str, name: str) -> dict[str, Any] | None:
        return self.store.get("", "pods", ns, name)

    def wait_pod(self, ns: str, name: str, pred: Callable[[dict[str, Any]], bool],
                 timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        pod = None
        while time.monotonic() < deadline:
            pod = self.pod(ns, name)
            if pod is not None and pred(pod):
                return pod
            time.sleep(0.1)
        raise AssertionError(f"pod {ns}/{name} did not reach the state: {json.dumps(pod, indent=1)}")

    def wait_phase(self, ns: str, name: str, *phases: str, timeout: float = 20) -> dict[str, Any]:
        return self.wait_pod(ns, name, lambda p: (p.get("status") or {}).get("phase") in phases, timeout)


def make_cluster(base: Path, **config: Any) -> Iterator[RuntimeCluster]:
    from podid.oidc.keys import IssuerKeys

    engine = create_engine(f"sqlite:///{base / 'state.db'}", connect_args={"check_same_thread": False})
    create_tables(engine)
    store = SqlObjectStore(engine, "rt")
    cert = issue()
    keys = IssuerKeys.generate(int(time.time()))
    issuer = OidcTokenIssuer(keys, ISSUER)
    settings: dict[str, Any] = {
        "state_dir": base / "state",
        "cluster": "rt",
        "aws_endpoint_url": "http://127.0.0.1:9",
        "agent_url": AGENT_URL,
        "region": "us-east-1",
        "token_refresh_ratio": 0.003,
        "backoff_base_seconds": 0.3,
        "backoff_max_seconds": 1.0,
        "max_grace_seconds": 5.0,
    }
    settings.update(config)
    runtime = ProcessRuntime(store, issuer, RuntimeConfig(**settings))
    api = create_cluster_api("rt", store, static_token_authenticator({TOKEN: admin_user()}), [], issuer,
                             runtime=runtime, ca_pem=cert.ca_pem)
    root = Starlette(routes=[Mount(PREFIX, app=api)])
    try:
        with BackgroundServer(root, cert) as srv:
            kubeconfig = write_kubeconfig(
                base / "kubeconfig", [ClusterAccess("rt", srv.url + PREFIX, TOKEN, cert.ca_pem)]
            )
            yield RuntimeCluster(srv.url + PREFIX, kubeconfig, base, base / "state", store, runtime, keys)
    finally:
        pids = [pid for w in list(runtime._workers.values())
                for pid in runtime.container_pids(w.namespace, w.name).values()]
        runtime.close(grace=0.5)
        engine.dispose()
        leaked = [pid for pid in pids if os.path.exists(f"/proc/{pid}")]
        assert not leaked, f"pod processes left running: {leaked}"


@pytest.fixture(scope="session")
def rtc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RuntimeCluster]:
    yield from make_cluster(tmp_path_factory.mktemp("runtime"))


def manifest(ns: str, *docs: str) -> str:
    head = f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"
    return "---\n".join([head, *docs])
