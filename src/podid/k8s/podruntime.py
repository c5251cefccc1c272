"""The ``PodRuntime`` interface (what runs pod containers) and two implementations.

* :class:`NoRuntime` - nothing runs: pods stay ``Pending``/``ContainerCreating`` and exec/logs
  answer as Kubernetes does for a pod whose containers have not started.
* :class:`LocalProcessRuntime` - a test runtime: pods are marked Running on a fake node and
  ``exec`` runs the command as a local process (no isolation; for tests and demos only).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol

from podid.k8s.meta import now_rfc3339


class ExecIO(Protocol):
    """The client side of an exec session, as seen by a runtime."""

    async def read_stdin(self) -> bytes | None:
        """Next stdin chunk; None at EOF (or when stdin was not requested)."""
        ...

    async def write_stdout(self, data: bytes) -> None: ...

    async def write_stderr(self, data: bytes) -> None: ...


class PodRuntime(Protocol):
    """Runs pods. The API server calls ``start`` after a pod is stored and ``stop`` on deletion."""

    def start(self, pod: dict[str, Any]) -> dict[str, Any] | None:
        """Begin running ``pod``; return the pod with ``spec.nodeName``/``status`` updated, or None."""
        ...

    def stop(self, pod: dict[str, Any]) -> None: ...

    def is_running(self, pod: dict[str, Any], container: str) -> bool: ...

    async def exec(
        self, pod: dict[str, Any], container: str, command: Sequence[str], io: ExecIO, tty: bool
    ) -> int:
        """Run ``command`` in the container; return its exit code."""
        ...

    def logs(self, pod: dict[str, Any], container: str, follow: bool) -> AsyncIterator[bytes]: ...


class NoRuntime:
    """No containers ever start."""

    def start(self, pod: dict[str, Any]) -> dict[str, Any] | None:
        return None

    def stop(self, pod: dict[str, Any]) -> None:
        return None

    def is_running(self, pod: dict[str, Any], container: str) -> bool:
        return False

    async def exec(
        self, pod: dict[str, Any], container: str, command: Sequence[str], io: ExecIO, tty: bool
    ) -> int:
        raise RuntimeError("no runtime")

    async def logs(self, pod: dict[str, Any], container: str, follow: bool) -> AsyncIterator[bytes]:
        if False:  # pragma: no cover - makes this an async generator
            yield b""


def running_status(pod: dict[str, Any], node: str, pod_ip: str = "10.0.0.10") -> dict[str, Any]:
    """A Running pod status with every container started and ready."""
    now = now_rfc3339()
    containers = (pod.get("spec") or {}).get("containers") or []
    status = dict(pod.get("status") or {})
    status.update(
        {
            "phase": "Running",
            "hostIP": "127.0.0.1",
            "podIP": pod_ip,
            "podIPs": [{"ip": pod_ip}],
            "startTime": now,
            "conditions": [
                {"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": now}
                for t in (
                    "PodReadyToStartContainers",
                    "Initialized",
                    "Ready",
                    "ContainersReady",
                    "PodScheduled",
                )
            ],
            "containerStatuses": [
                {
                    "name": c.get("name"),
                    "image": c.get("image"),
                    "imageID": "",
                    "containerID": f"podid://{c.get('name')}",
                    "ready": True,
                    "started": True,
                    "restartCount": 0,
                    "state": {"running": {"startedAt": now}},
                    "lastState": {},
                }
                for c in containers
            ],
        }
    )
    return status


class LocalProcessRuntime:
    """Test runtime: every pod runs "on" ``node``; exec runs the command locally."""

    def __init__(self, node: str = "podid-node", cwd: str | None = None, timeout: float = 60.0) -> None:
        self.node = node
        self.cwd = cwd
        self.timeout = timeout
        self._running: set[str] = set()

    def start(self, pod: dict[str, Any]) -> dict[str, Any] | None:
        uid = pod["metadata"]["uid"]
        self._running.add(uid)
        pod.setdefault("spec", {})["nodeName"] = self.node
        pod["status"] = running_status(pod, self.node)
        return pod

    def stop(self, pod: dict[str, Any]) -> None:
        self._running.discard(pod["metadata"]["uid"])

    def is_running(self, pod: dict[str, Any], container: str) -> bool:
        names = {c.get("name") for c in (pod.get("spec") or {}).get("containers") or []}
        return pod["metadata"]["uid"] in self._running and container in names

    async def exec(
        self, pod: dict[str, Any], container: str, command: Sequence[str], io: ExecIO, tty: bool
    ) -> int:
        proc = await asyncio.create_subprocess_exec(
            *command,
            cwd=self.cwd,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        stdin, stdout, stderr = proc.stdin, proc.stdout, proc.stderr

        async def pump_in() -> None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                while True:
                    data = await io.read_stdin()
                    if data is None:
                        break
                    stdin.write(data)
                    await stdin.drain()
            stdin.close()

        async def pump_out(stream: asyncio.StreamReader, err: bool) -> None:
            while True:
                data = await stream.read(65536)
                if not data:
                    return
                await (io.write_stderr(data) if err else io.write_stdout(data))

        feeder = asyncio.create_task(pump_in())
        try:
            await asyncio.wait_for(
                asyncio.gather(pump_out(stdout, False), pump_out(stderr, True)), self.timeout
            )
            return await asyncio.wait_for(proc.wait(), self.timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            return 137
        finally:
            feeder.cancel()

    async def logs(self, pod: dict[str, Any], container: str, follow: bool) -> AsyncIterator[bytes]:
        yield b""
