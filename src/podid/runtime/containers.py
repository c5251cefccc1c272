"""Per-container bookkeeping and the Kubernetes container-status shapes built from it."""

from __future__ import annotations

import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from podid.runtime.mounts import Mount


@dataclass
class ContainerRecord:
    """One container (or init container) of a pod, as the runtime tracks it."""

    name: str
    image: str
    spec: dict[str, Any]
    init: bool = False
    restart_count: int = 0
    starts: int = 0
    proc: subprocess.Popen[bytes] | None = None
    log_file: IO[bytes] | None = None
    log_path: Path | None = None
    state: dict[str, Any] = field(default_factory=lambda: {"waiting": {"reason": "ContainerCreating"}})
    last_state: dict[str, Any] = field(default_factory=dict)
    ready: bool = False
    started_at: str | None = None
    started_mono: float = 0.0
    done: bool = False
    exit_code: int | None = None
    not_before: float = 0.0
    backoff: float = 0.0
    pull_failures: int = 0
    pull_failed_at: float = 0.0
    env: dict[str, str] = field(default_factory=dict)
    mounts: list[Mount] = field(default_factory=list)
    cwd: str = ""

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def container_id(self) -> str:
        return f"podid://{self.proc.pid}" if self.proc is not None else ""

    def status(self) -> dict[str, Any]:
        """A ``ContainerStatus``."""
        return {
            "name": self.name,
            "image": self.image,
            "imageID": "",
            "containerID": self._last_id(),
            "ready": self.ready,
            "started": self.running,
            "restartCount": self.restart_count,
            "state": self.state,
            "lastState": self.last_state,
        }

    def _last_id(self) -> str:
        if self.proc is not None:
            return self.container_id
        term = self.state.get("terminated") or self.last_state.get("terminated") or {}
        return str(term.get("containerID") or "")


def exit_code_of(returncode: int) -> tuple[int, str | None]:
    """A Popen return code as a container exit code (128+N for signal N) and the signal name."""
    if returncode < 0:
        sig = -returncode
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = str(sig)
        return 128 + sig, name
    return returncode, None
