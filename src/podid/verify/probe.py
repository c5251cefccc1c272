"""Short-lived probe pods: create a pod of a ServiceAccount, wait until Running (bounded), exec a
command over the Kubernetes WebSocket exec (the kubernetes client's stream), delete the pod."""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from kubernetes.client import CoreV1Api
from kubernetes.client.exceptions import ApiException
from kubernetes.stream import stream

DEFAULT_IMAGE = "public.ecr.aws/aws-cli/aws-cli:2"
MANAGED_BY = "podid-verify"


class ProbeError(Exception):
    """The probe pod could not be created, did not start in time, or exec failed."""


@dataclass(frozen=True)
class ExecResult:
    command: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def evidence(self) -> str:
        text = (self.stdout + self.stderr).strip()
        return f"$ {' '.join(self.command)}  (exit {self.returncode})\n{text}"


@dataclass
class ProbePod:
    core: CoreV1Api
    namespace: str
    name: str
    exec_timeout: float

    def run(self, *command: str) -> ExecResult:
        try:
            resp = stream(self.core.connect_get_namespaced_pod_exec, self.name, self.namespace,
                          command=list(command), stdout=True, stderr=True, stdin=False, tty=False,
                          _preload_content=False)
        except ApiException as exc:
            raise ProbeError(f"exec in pod {self.namespace}/{self.name}: {exc.status} {exc.reason}") from exc
        try:
            resp.run_forever(timeout=self.exec_timeout)
            if resp.is_open():
                raise ProbeError(f"exec {' '.join(command)} did not finish within {self.exec_timeout:.0f}s")
            code = resp.returncode
            return ExecResult(tuple(command), 0 if code is None else int(code),
                              resp.read_stdout() or "", resp.read_stderr() or "")
        finally:
            resp.close()


def manifest(namespace: str, name: str, service_account: str, image: str) -> dict[str, object]:
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace,
                     "labels": {"app.kubernetes.io/managed-by": MANAGED_BY}},
        "spec": {"serviceAccountName": service_account, "automountServiceAccountToken": False,
                 "restartPolicy": "Never", "terminationGracePeriodSeconds": 0,
                 "activeDeadlineSeconds": 900,    # a probe left behind by a killed run ends itself
                 "containers": [{"name": "probe", "image": image, "command": ["sleep", "900"]}]},
    }


@contextlib.contextmanager
def probe_pod(core: CoreV1Api, namespace: str, service_account: str, *, image: str = DEFAULT_IMAGE,
              start_timeout: float = 120, exec_timeout: float = 60) -> Iterator[ProbePod]:
    """A Running probe pod of ``service_account``; always deleted on exit (grace period 0)."""
    name = f"podid-verify-{service_account[:30].rstrip('-.')}-{secrets.token_hex(3)}"
    try:
        core.create_namespaced_pod(namespace, cast(Any, manifest(namespace, name, service_account, image)))
    except ApiException as exc:
        raise ProbeError(f"create probe pod in {namespace}: {exc.status} {exc.reason}") from exc
    try:
        _wait_running(core, namespace, name, start_timeout)
        yield ProbePod(core, namespace, name, exec_timeout)
    finally:
        with contextlib.suppress(ApiException):
            core.delete_namespaced_pod(name, namespace, grace_period_seconds=0)


def _wait_running(core: CoreV1Api, namespace: str, name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    phase = "Unknown"
    while time.monotonic() < deadline:
        pod = core.read_namespaced_pod(name, namespace)
        phase = (pod.status.phase if pod.status else None) or "Unknown"
        if phase == "Running":
            return
        if phase in ("Succeeded", "Failed"):
            break
        time.sleep(0.5)
    raise ProbeError(f"probe pod {namespace}/{name} is {phase}, not Running, after {timeout:.0f}s")


