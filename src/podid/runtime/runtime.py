""":class:`ProcessRuntime` - podid.k8s's ``PodRuntime`` that runs pods as local processes.

One :class:`~podid.runtime.worker.PodWorker` thread per pod does the kubelet's job and writes status
and events to the cluster's ObjectStore. ``exec`` runs on the caller's event loop in the same
environment as the container (env, ``$HOME``, ``$PATH``, mounts or path rewriting, working
directory); ``logs`` streams the container's log file. Processes run in their own process groups and
are killed (SIGTERM, then SIGKILL after the grace period) when the pod is deleted or :meth:`close`
is called.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pty
import shutil
import signal
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Sequence
from pathlib import Path
from typing import Any

from podid.k8s.podruntime import ExecIO
from podid.k8s.store import ObjectStore
from podid.k8s.tokens import TokenIssuer
from podid.runtime.config import RuntimeConfig
from podid.runtime.layout import PodPaths, host_tools
from podid.runtime.mounts import StartError, namespace_supported
from podid.runtime.status import EventRecorder
from podid.runtime.worker import PodWorker

log = logging.getLogger(__name__)

EXEC_START_FAILED = 126
FOLLOW_POLL_SECONDS = 0.2


class ProcessRuntime:
    """Runs one cluster's pods as local processes (implements ``podid.k8s.PodRuntime``)."""

    def __init__(self, store: ObjectStore, token_issuer: TokenIssuer | None, config: RuntimeConfig) -> None:
        self.store = store
        self.issuer = token_issuer
        self.config = config
        self.tools = host_tools(config.extra_tools)
        if config.mount_mode == "namespace":
            if not namespace_supported():
                raise RuntimeError("mount namespaces are not available here (needs root and unshare)")
            self.namespace_mode = True
        else:
            self.namespace_mode = config.mount_mode == "auto" and namespace_supported()
        self.protected_paths = _protected_paths(self.tools, config)
        self.events = EventRecorder(store, host=config.node_name)
        self._workers: dict[str, PodWorker] = {}
        self._lock = threading.Lock()
        self._closed = False

    # -- PodRuntime ------------------------------------------------------------------------------
    def start(self, pod: dict[str, Any]) -> dict[str, Any] | None:
        """Start the pod's worker; the worker binds the pod and writes its status (returns None)."""
        uid = pod["metadata"]["uid"]
        with self._lock:
            if self._closed or uid in self._workers:
                return None
            worker = PodWorker(self, pod)
            self._workers[uid] = worker
        worker.start()
        return None

    def stop(self, pod: dict[str, Any]) -> None:
        """Kill the pod's processes (grace: the deletion's, capped) and remove its directory."""
        meta = pod["metadata"]
        spec = pod.get("spec") or {}
        grace = meta.get("deletionGracePeriodSeconds")
        if grace is None:
            grace = spec.get("terminationGracePeriodSeconds", 30)
        with self._lock:
            worker = self._workers.pop(meta["uid"], None)
        if worker is not None:
            worker.terminate(min(float(grace), self.config.max_grace_seconds))
        self._cleanup(meta.get("namespace") or "default", meta["name"], meta["uid"])

    def is_running(self, pod: dict[str, Any], container: str) -> bool:
        worker = self._workers.get(pod["metadata"]["uid"])
        return worker is not None and worker.running(container)

    async def exec(
        self, pod: dict[str, Any], container: str, command: Sequence[str], io: ExecIO, tty: bool
    ) -> int:
        worker = self._workers.get(pod["metadata"]["uid"])
        if worker is None:
            raise RuntimeError(f"pod {pod['metadata']['name']} is not running on this node")
        try:
            argv, env, cwd = worker.exec_plan(container, list(command))
        except StartError as exc:
            await io.write_stderr(
                f"OCI runtime exec failed: exec failed: unable to start container process: {exc}: "
                "unknown\r\n".encode()
            )
            return EXEC_START_FAILED
        runner = _exec_tty if tty else _exec_pipes
        return await runner(worker, argv, env, cwd, io, self.config.exec_timeout_seconds)

    async def logs(self, pod: dict[str, Any], container: str, follow: bool) -> AsyncIterator[bytes]:
        meta = pod["metadata"]
        worker = self._workers.get(meta["uid"])
        rec = worker.record(container) if worker else None
        path = rec.log_path if rec is not None else None
        if path is None:
            path = _latest_log(self._paths(meta.get("namespace") or "default", meta["name"], meta["uid"]),
                               container)
        if path is None or not path.exists():
            return
        instance = rec.starts if rec is not None else -1
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.max_follow_seconds
        with open(path, "rb") as f:
            while True:
                chunk = f.read(65536)
                if chunk:
                    yield chunk
                    continue
                if not follow or loop.time() > deadline:
                    return
                if worker is None or rec is None or not worker.running(container) or rec.starts != instance:
                    rest = f.read()
                    if rest:
                        yield rest
                    return
                await asyncio.sleep(FOLLOW_POLL_SECONDS)

    # -- extras ----------------------------------------------------------------------------------
    def recover(self) -> int:
        """Start workers for pods bound to this node that are not finished (after a restart of
        podid the old processes are gone; containers start afresh). Returns how many."""
        items, _ = self.store.list("", "pods", None)
        started = 0
        for pod in items:
            spec, status = pod.get("spec") or {}, pod.get("status") or {}
            if spec.get("nodeName") != self.config.node_name:
                continue
            if status.get("phase") in ("Succeeded", "Failed"):
                continue
            if pod["metadata"].get("deletionTimestamp"):
                continue
            if pod["metadata"]["uid"] not in self._workers:
                self.start(pod)
                started += 1
        return started

    def container_pids(self, namespace: str, name: str) -> dict[str, int]:
        """``container -> pid`` of the pod's live container processes (for tests and diagnostics)."""
        out: dict[str, int] = {}
        for worker in list(self._workers.values()):
            if worker.namespace == namespace and worker.name == name:
                for rec in [*worker.init, *worker.main]:
                    if rec.proc is not None and rec.running:
                        out[rec.name] = rec.proc.pid
        return out

    def pod_dir(self, namespace: str, name: str, uid: str) -> Path:
        return self._paths(namespace, name, uid).root

    def forget(self, uid: str, cleanup: bool = False) -> None:
        """Drop a worker whose pod vanished (called by the worker itself)."""
        with self._lock:
            worker = self._workers.pop(uid, None)
        if worker is not None and cleanup:
            self._cleanup(worker.namespace, worker.name, uid)

    def close(self, grace: float = 1.0) -> None:
        """Kill every pod's processes (server shutdown); pod records stay in the store."""
        with self._lock:
            self._closed = True
            workers = list(self._workers.values())
            self._workers.clear()
        threads = [threading.Thread(target=w.terminate, args=(grace,), daemon=True) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=grace + 10)

    # -- helpers ---------------------------------------------------------------------------------
    def _paths(self, namespace: str, name: str, uid: str) -> PodPaths:
        return PodPaths.of(self.config.cluster_dir, namespace, name, uid)

    def _cleanup(self, namespace: str, name: str, uid: str) -> None:
        if not self.config.keep_pod_dirs:
            shutil.rmtree(self._paths(namespace, name, uid).root, ignore_errors=True)


def _protected_paths(tools: dict[str, str], config: RuntimeConfig) -> list[str]:
    """Host paths a pod's mount namespace must not shadow: tool locations, interpreters, pod dirs."""
    paths = {sys.prefix, sys.base_prefix, os.path.realpath(sys.executable),
             os.path.realpath(config.cluster_dir), str(Path(config.cluster_dir).absolute())}
    for target in tools.values():
        target = target.removeprefix("wrapper:")
        paths.add(os.path.dirname(target))
        paths.add(os.path.dirname(os.path.realpath(target)))
    return sorted(p for p in paths if p)


def _latest_log(paths: PodPaths, container: str) -> Path | None:
    d = paths.logs / container
    if not d.is_dir():
        return None
    logs = [p for p in d.glob("*.log") if p.stem.isdigit()]
    return max(logs, key=lambda p: int(p.stem)) if logs else None


def _code(returncode: int | None) -> int:
    if returncode is None:
        return 137
    return 128 - returncode if returncode < 0 else returncode


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


async def _feed_stdin(io: ExecIO, write: Any, close: Any) -> None:
    with contextlib.suppress(BrokenPipeError, ConnectionResetError, OSError):
        while True:
            data = await io.read_stdin()
            if data is None:
                break
            await write(data)
    close()


async def _exec_pipes(
    worker: PodWorker, argv: list[str], env: dict[str, str], cwd: str | None, io: ExecIO, timeout: float
) -> int:
    proc = await asyncio.create_subprocess_exec(
        *argv, env=env, cwd=cwd, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, start_new_session=True,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    stdin, stdout, stderr = proc.stdin, proc.stdout, proc.stderr
    worker.exec_pids.add(proc.pid)

    async def write(data: bytes) -> None:
        stdin.write(data)
        await stdin.drain()

    async def pump(stream: asyncio.StreamReader, err: bool) -> None:
        while data := await stream.read(65536):
            await (io.write_stderr(data) if err else io.write_stdout(data))

    feeder = asyncio.create_task(_feed_stdin(io, write, stdin.close))
    return await _supervise(worker, proc, feeder, asyncio.gather(pump(stdout, False), pump(stderr, True)),
                            timeout)


async def _supervise(worker: PodWorker, proc: asyncio.subprocess.Process, feeder: asyncio.Task[None],
                     output: Awaitable[Any], timeout: float) -> int:
    """Wait for an exec process's output and exit (bounded by ``timeout``: then 137, like a kill);
    always stops the stdin feeder and never leaves the process group behind."""
    try:
        await asyncio.wait_for(output, timeout)
        return _code(await asyncio.wait_for(proc.wait(), timeout))
    except TimeoutError:
        _kill_group(proc.pid)
        await proc.wait()
        return 137
    finally:
        feeder.cancel()
        worker.exec_pids.discard(proc.pid)
        if proc.returncode is None:
            _kill_group(proc.pid)
            with contextlib.suppress(ProcessLookupError):
                await proc.wait()


async def _exec_tty(
    worker: PodWorker, argv: list[str], env: dict[str, str], cwd: str | None, io: ExecIO, timeout: float
) -> int:
    master, slave = pty.openpty()
    env = {**env, "TERM": env.get("TERM", "xterm")}
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, env=env, cwd=cwd, stdin=slave, stdout=slave, stderr=slave, start_new_session=True
        )
    finally:
        os.close(slave)
    worker.exec_pids.add(proc.pid)
    loop = asyncio.get_running_loop()

    async def write(data: bytes) -> None:
        await loop.run_in_executor(None, os.write, master, data)

    async def pump() -> None:
        while True:
            try:
                data = await loop.run_in_executor(None, os.read, master, 65536)
            except OSError:  # EIO once the child side is closed
                return
            if not data:
                return
            await io.write_stdout(data)

    feeder = asyncio.create_task(_feed_stdin(io, write, lambda: None))
    try:
        return await _supervise(worker, proc, feeder, pump(), timeout)
    finally:
        os.close(master)
