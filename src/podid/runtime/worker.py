"""One pod's life, kubelet-style: a bounded loop in its own thread (:class:`PodWorker`).

Bind (``spec.nodeName``, PodScheduled), set up volumes (retried, FailedMount), run init containers
one by one to completion, then all containers; restart them per ``restartPolicy`` with the kubelet's
doubling back-off (first restart immediate, then base, 2x base ... max); re-issue projected tokens
when due; write status whenever what it shows changed. The loop ends when the pod reaches
Succeeded/Failed, when :meth:`PodWorker.terminate` is called (pod deletion), or when the pod
disappears from the store (deleted without the API calling ``stop``).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import signal
import subprocess
import threading
import time
from typing import TYPE_CHECKING, Any

from podid.k8s.meta import now_rfc3339
from podid.runtime.config import POD_IDENTITY_AGENT_HOSTS
from podid.runtime.containers import ContainerRecord, exit_code_of
from podid.runtime.envvars import ConfigError, container_env
from podid.runtime.images import ImageNotFound, container_argv
from podid.runtime.layout import PodPaths, populate_bin
from podid.runtime.mounts import (
    Mount,
    StartError,
    container_mounts,
    namespace_argv,
    resolve_executable,
    rewrite,
    rewrite_text,
    shadowing,
)
from podid.runtime.status import Conditions, write_status
from podid.runtime.volumes import VolumeBuilder, VolumeError

if TYPE_CHECKING:
    from pathlib import Path

    from podid.runtime.runtime import ProcessRuntime

log = logging.getLogger(__name__)

TERMINAL = ("Succeeded", "Failed")
EXISTENCE_CHECK_SECONDS = 1.0
VOLUME_RETRY_SECONDS = 2.0
TOKEN_RETRY_SECONDS = 5.0
UNREACHABLE_AGENT = "http://127.0.0.1:9/v1/credentials"


class PodWorker:
    """Runs one pod until it ends or is terminated. Thread-safe entry points: :meth:`terminate`,
    :meth:`record`, :meth:`running`, :meth:`exec_plan`."""

    def __init__(self, runtime: ProcessRuntime, pod: dict[str, Any]) -> None:
        self.rt = runtime
        self.cfg = runtime.config
        self.pod = copy.deepcopy(pod)
        meta = self.pod["metadata"]
        self.namespace = str(meta.get("namespace") or "default")
        self.name = str(meta["name"])
        self.uid = str(meta["uid"])
        self.spec: dict[str, Any] = self.pod.setdefault("spec", {})
        self.policy = self.spec.get("restartPolicy") or "Always"
        self.paths = PodPaths.of(self.cfg.cluster_dir, self.namespace, self.name, self.uid)
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self.exec_pids: set[int] = set()
        self.init = [self._record(c, True) for c in self.spec.get("initContainers") or []]
        self.main = [self._record(c, False) for c in self.spec.get("containers") or []]
        for rec in self.main:
            if self.init:
                rec.state = {"waiting": {"reason": "PodInitializing"}}
        self.conditions = Conditions()
        self.volumes = VolumeBuilder(self.pod, self.paths, runtime.store, runtime.issuer,
                                     self.cfg.pod_ip, self.cfg.host_ip)
        self.volume_dirs: dict[str, Path] | None = None
        self.phase = "Pending"
        self.start_time: str | None = None
        self._volume_retry = 0.0
        self._token_retry = 0.0
        self._checked = 0.0
        self._written: dict[str, Any] | None = None
        mount_paths = [str(vm.get("mountPath", "")) for c in [*self.init, *self.main]
                       for vm in c.spec.get("volumeMounts") or []]
        self.shadowing = shadowing(mount_paths, runtime.protected_paths) if runtime.namespace_mode else []
        self.namespace_mode = runtime.namespace_mode and not self.shadowing
        self.thread = threading.Thread(target=self._main, name=f"podid-pod-{self.namespace}/{self.name}",
                                       daemon=True)

    @staticmethod
    def _record(spec: dict[str, Any], init: bool) -> ContainerRecord:
        return ContainerRecord(str(spec.get("name")), str(spec.get("image") or ""), spec, init)

    # -- public, thread-safe ---------------------------------------------------------------------
    def start(self) -> None:
        self.thread.start()

    def record(self, container: str) -> ContainerRecord | None:
        for rec in [*self.init, *self.main]:
            if rec.name == container:
                return rec
        return None

    def running(self, container: str) -> bool:
        with self.lock:
            rec = self.record(container)
            return bool(rec and rec.running and not self.stopping.is_set())

    def terminate(self, grace: float) -> None:
        """Stop the pod: SIGTERM every process group, SIGKILL what is left after ``grace`` s."""
        with self.lock:
            first = not self.stopping.is_set()
            self.stopping.set()
            procs = [r for r in [*self.init, *self.main] if r.proc is not None]
            pids = [r.proc.pid for r in procs if r.proc is not None] + list(self.exec_pids)
        if first:
            for rec in procs:
                if rec.running:
                    self.rt.events(self.pod, "Killing", f"Stopping container {rec.name}",
                                   field_path=self._field_path(rec))
        for pid in pids:
            _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + max(0.0, grace)
        while time.monotonic() < deadline and any(r.running for r in procs):
            time.sleep(0.05)
        for pid in pids:
            _signal_group(pid, signal.SIGKILL)
        for rec in procs:
            if rec.proc is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    rec.proc.wait(timeout=5)
            if rec.log_file is not None:
                rec.log_file.close()
                rec.log_file = None
        if threading.current_thread() is not self.thread and self.thread.is_alive():
            self.thread.join(timeout=5)

    def exec_plan(self, container: str, command: list[str]) -> tuple[list[str], dict[str, str], str | None]:
        """``(argv, env, cwd)`` to run ``command`` inside ``container`` (same env, mounts, cwd)."""
        with self.lock:
            rec = self.record(container)
            if rec is None or not rec.running:
                raise StartError(f"container {container} is not running")
            env, mounts, cwd = dict(rec.env), list(rec.mounts), rec.cwd
        return self._argv(command, mounts, cwd, env)

    # -- the loop --------------------------------------------------------------------------------
    def _main(self) -> None:
        try:
            self.paths.create()
            populate_bin(self.paths.bin, self.rt.tools)
            self.start_time = now_rfc3339()
            self.conditions.set("PodScheduled", True)
            if not self._write(bind=True):
                self._vanished()
                return
            self.rt.events(
                self.pod,
                "Scheduled",
                f"Successfully assigned {self.namespace}/{self.name} to {self.cfg.node_name}",
                component="default-scheduler",
            )
            if self.shadowing:
                self.rt.events(
                    self.pod, "PathRewrite",
                    f"mountPath {', '.join(self.shadowing)} would hide host directories podid runs pod "
                    "tools from: no mount namespace for this pod; env values and arguments that point "
                    "into volume mounts are rewritten to the pod's directory",
                )
            while not self.stopping.is_set():
                with self.lock:
                    if self.stopping.is_set():
                        break
                    gone = self._tick()
                if gone or not self._write():
                    self._vanished()
                    return
                if self.phase in TERMINAL:
                    break
                self.stopping.wait(self.cfg.tick_seconds)
        except Exception:  # keep the server alive; the pod shows what it last wrote
            log.exception("pod worker %s/%s failed", self.namespace, self.name)

    def _vanished(self) -> None:
        """The pod was deleted (or replaced) without ``stop``: kill everything quickly."""
        if not self.stopping.is_set():
            self.terminate(min(2.0, self.cfg.max_grace_seconds))
            self.rt.forget(self.uid, cleanup=True)

    def _tick(self) -> bool:
        """One step; True when the pod is gone from the store."""
        now = time.monotonic()
        if now - self._checked > EXISTENCE_CHECK_SECONDS:
            self._checked = now
            live = self.rt.store.get("", "pods", self.namespace, self.name)
            if live is None or live["metadata"].get("uid") != self.uid:
                return True
        if self.volume_dirs is None:
            if now < self._volume_retry:
                return False
            try:
                self.volume_dirs = self.volumes.setup()
                self.conditions.set("PodReadyToStartContainers", True)
            except VolumeError as exc:
                self._volume_retry = now + VOLUME_RETRY_SECONDS
                self.conditions.set("PodReadyToStartContainers", False)
                self.rt.events(self.pod, "FailedMount", str(exc), "Warning")
                self._set_conditions()
                return False
        self._refresh_tokens()
        pending_init = next((r for r in self.init if not (r.done and r.exit_code == 0)), None)
        if pending_init is not None:
            if pending_init.done:  # failed for good (restartPolicy Never)
                self.phase = "Failed"
                for rec in self.main:
                    rec.state = {"waiting": {"reason": "PodInitializing"}}
            else:
                self._drive(pending_init)
        else:
            for rec in self.main:
                self._drive(rec)
        self._set_phase()
        self._set_conditions()
        return False

    def _refresh_tokens(self) -> None:
        wall = time.time()
        if wall < self._token_retry:
            return
        for tok in self.volumes.tokens:
            if tok.due(wall, self.cfg.token_refresh_ratio):
                try:
                    self.volumes.refresh(tok)
                except (VolumeError, OSError) as exc:
                    self._token_retry = wall + TOKEN_RETRY_SECONDS
                    log.warning("token refresh for %s/%s failed: %s", self.namespace, self.name, exc)

    # -- containers ------------------------------------------------------------------------------
    def _drive(self, rec: ContainerRecord) -> None:
        if rec.proc is not None:
            code = rec.proc.poll()
            if code is None:
                return
            self._exited(rec, code)
            return
        if rec.done or time.monotonic() < rec.not_before:
            if rec.pull_failures and "waiting" in rec.state and not rec.done:
                reason = rec.state["waiting"].get("reason")
                if reason == "ErrImagePull" and time.monotonic() - rec.pull_failed_at >= 0.5:
                    rec.state = {"waiting": {"reason": "ImagePullBackOff",
                                             "message": f'Back-off pulling image "{rec.image}"'}}
                    self.rt.events(self.pod, "BackOff", f'Back-off pulling image "{rec.image}"',
                                   field_path=self._field_path(rec))
                    self.rt.events(self.pod, "Failed", "Error: ImagePullBackOff", "Warning",
                                   field_path=self._field_path(rec))
            return
        self._spawn(rec)

    def _field_path(self, rec: ContainerRecord) -> str:
        kind = "initContainers" if rec.init else "containers"
        return f"spec.{kind}{{{rec.name}}}"

    def _spawn(self, rec: ContainerRecord) -> None:
        fp = self._field_path(rec)
        try:
            image = self.cfg.images.resolve(rec.image)
        except ImageNotFound as exc:
            rec.pull_failures += 1
            delay = self._next_backoff(rec)
            rec.pull_failed_at = time.monotonic()
            rec.not_before = rec.pull_failed_at + max(delay, 1.0)
            rec.state = {"waiting": {"reason": "ErrImagePull", "message": str(exc)}}
            self.rt.events(self.pod, "Pulling", f'Pulling image "{rec.image}"', field_path=fp)
            self.rt.events(self.pod, "Failed", f'Failed to pull image "{rec.image}": {exc}', "Warning",
                           field_path=fp)
            self.rt.events(self.pod, "Failed", "Error: ErrImagePull", "Warning", field_path=fp)
            return
        if rec.pull_failures:
            rec.pull_failures = 0
            rec.backoff = 0.0
        assert self.volume_dirs is not None
        try:
            env = self._env(rec)
        except ConfigError as exc:
            rec.state = {"waiting": {"reason": "CreateContainerConfigError", "message": str(exc)}}
            rec.not_before = time.monotonic() + VOLUME_RETRY_SECONDS
            self.rt.events(self.pod, "Failed", f"Error: {exc}", "Warning", field_path=fp)
            return
        self.rt.events(self.pod, "Pulled", f'Container image "{rec.image}" already present on machine',
                       field_path=fp)
        argv0 = container_argv(image, rec.spec.get("command"), rec.spec.get("args"))
        if rec.starts:
            rec.restart_count += 1
        rec.starts += 1
        rec.log_path = self.paths.log_file(rec.name, rec.restart_count)
        rec.log_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            rec.mounts = container_mounts(rec.spec, self.volume_dirs)
            rec.env = self._finish_env(env, rec.mounts)
            rec.cwd = self._cwd(rec)
            argv, penv, cwd = self._argv(argv0, rec.mounts, rec.cwd, rec.env)
            rec.log_file = open(rec.log_path, "ab")  # noqa: SIM115 - owned by the record
            rec.proc = subprocess.Popen(
                argv,
                env=penv,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=rec.log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
            )
        except (StartError, OSError) as exc:
            msg = f"failed to start container {rec.name!r}: {exc}"
            self.rt.events(self.pod, "Failed", f"Error: {msg}", "Warning", field_path=fp)
            self._exited(rec, 128, reason="StartError", message=msg)
            return
        rec.started_at = now_rfc3339()
        rec.started_mono = time.monotonic()
        rec.state = {"running": {"startedAt": rec.started_at}}
        rec.ready = not rec.init
        self.rt.events(self.pod, "Created", f"Created container: {rec.name}", field_path=fp)
        self.rt.events(self.pod, "Started", f"Started container {rec.name}", field_path=fp)

    def _exited(self, rec: ContainerRecord, returncode: int, reason: str | None = None,
                message: str | None = None) -> None:
        code, sig = exit_code_of(returncode)
        if rec.log_file is not None:
            rec.log_file.close()
            rec.log_file = None
        term: dict[str, Any] = {
            "exitCode": code,
            "reason": reason or ("Completed" if code == 0 else "Error"),
            "startedAt": rec.started_at or now_rfc3339(),
            "finishedAt": now_rfc3339(),
            "containerID": rec.container_id,
        }
        if sig:
            term["signal"] = code - 128
        if message:
            term["message"] = message
        rec.proc = None
        rec.ready = False
        rec.exit_code = code
        if rec.init:
            restart = code != 0 and self.policy != "Never"
        else:
            restart = self.policy == "Always" or (self.policy == "OnFailure" and code != 0)
        if not restart:
            rec.state = {"terminated": term}
            rec.done = True
            return
        if rec.started_mono and time.monotonic() - rec.started_mono > 2 * self.cfg.backoff_max_seconds:
            rec.backoff = 0.0
        delay = self._next_backoff(rec)
        rec.last_state = {"terminated": term}
        rec.not_before = time.monotonic() + delay
        if delay > 0:
            rec.state = {"waiting": {
                "reason": "CrashLoopBackOff",
                "message": f"back-off {int(delay)}s restarting failed container={rec.name} "
                f"pod={self.name}_{self.namespace}({self.uid})",
            }}
            self.rt.events(self.pod, "BackOff",
                           f"Back-off restarting failed container {rec.name} in pod "
                           f"{self.name}_{self.namespace}({self.uid})", "Warning",
                           field_path=self._field_path(rec))
        else:
            rec.state = {"terminated": term}

    def _next_backoff(self, rec: ContainerRecord) -> float:
        delay = rec.backoff
        base, cap = self.cfg.backoff_base_seconds, self.cfg.backoff_max_seconds
        rec.backoff = base if rec.backoff == 0 else min(rec.backoff * 2, cap)
        return delay

    # -- environment and argv --------------------------------------------------------------------
    def _env(self, rec: ContainerRecord) -> dict[str, str]:
        base = {
            "PATH": str(self.paths.bin),
            "HOME": str(self.paths.home),
            "HOSTNAME": self.name,
        }
        if self.cfg.imds_url:   # the node's instance metadata (node role), as every EC2 pod can reach it
            base["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = self.cfg.imds_url
        else:
            base["AWS_EC2_METADATA_DISABLED"] = "true"
        if self.cfg.region:
            base["AWS_REGION"] = base["AWS_DEFAULT_REGION"] = self.cfg.region
        if self.cfg.aws_endpoint_url:
            base["AWS_ENDPOINT_URL"] = self.cfg.aws_endpoint_url
        base.update(self.cfg.extra_env)
        return container_env(self.pod, rec.spec, self.rt.store, base, self.cfg.pod_ip, self.cfg.host_ip)

    def _finish_env(self, env: dict[str, str], mounts: list[Mount]) -> dict[str, str]:
        uri = env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        if uri and not self.cfg.agent_link_local:
            for host in POD_IDENTITY_AGENT_HOSTS:
                if uri == host or uri.startswith(host + "/"):
                    env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = self.cfg.agent_url or UNREACHABLE_AGENT
        if not self.namespace_mode:
            env = {k: rewrite_text(v, mounts) for k, v in env.items()}
        return env

    def _cwd(self, rec: ContainerRecord) -> str:
        wd = str(rec.spec.get("workingDir") or "")
        return wd or str(self.paths.home)

    def _argv(self, argv: list[str], mounts: list[Mount], cwd: str,
              env: dict[str, str]) -> tuple[list[str], dict[str, str], str | None]:
        if not argv:
            raise StartError("no command specified")
        ns = self.namespace_mode
        exe = resolve_executable(argv[0], self.paths.bin, mounts, ns)
        rest = argv[1:] if ns else [rewrite_text(a, mounts) for a in argv[1:]]
        if ns:
            return namespace_argv(mounts, cwd, [exe, *rest]), env, str(self.paths.home)
        host_cwd = rewrite(cwd, mounts)
        if not os.path.isdir(host_cwd):
            host_cwd = str(self.paths.home)
        return [exe, *rest], env, host_cwd

    # -- status ----------------------------------------------------------------------------------
    def _set_phase(self) -> None:
        if self.phase in TERMINAL:
            return
        if self.main and all(r.done for r in self.main):
            self.phase = "Succeeded" if all(r.exit_code == 0 for r in self.main) else "Failed"
        elif any(r.starts for r in self.main):
            self.phase = "Running"

    def _set_conditions(self) -> None:
        waiting_init = [r.name for r in self.init if not (r.done and r.exit_code == 0)]
        self.conditions.set("Initialized", not waiting_init, "ContainersNotInitialized",
                            f"containers with incomplete status: [{' '.join(waiting_init)}]")
        unready = [r.name for r in self.main if not (r.ready and r.running)]
        reason = "PodCompleted" if self.phase == "Succeeded" else "ContainersNotReady"
        message = f"containers with unready status: [{' '.join(unready)}]"
        self.conditions.set("ContainersReady", not unready, reason, message)
        self.conditions.set("Ready", not unready, reason, message)

    def _status(self) -> dict[str, Any]:
        status: dict[str, Any] = {
            "phase": self.phase,
            "conditions": self.conditions.render(),
            "hostIP": self.cfg.host_ip,
            "hostIPs": [{"ip": self.cfg.host_ip}],
            "startTime": self.start_time,
            "containerStatuses": [r.status() for r in self.main],
        }
        if self.volume_dirs is not None:
            status["podIP"] = self.cfg.pod_ip
            status["podIPs"] = [{"ip": self.cfg.pod_ip}]
        if self.init:
            status["initContainerStatuses"] = [r.status() for r in self.init]
        return status

    def _write(self, bind: bool = False) -> bool:
        """Write the status if it changed; False when the pod is gone."""
        with self.lock:
            if self.stopping.is_set():
                return True
            status = self._status()
        if status == self._written and not bind:
            return True
        ok = write_status(self.rt.store, self.namespace, self.name, self.uid, status,
                          self.cfg.node_name if bind else None)
        if ok:
            self._written = status
        return ok


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
