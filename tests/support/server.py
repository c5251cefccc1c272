"""Start a real ``podid up`` subprocess for tests: loopback, free port, its own state directory.

Usage (the fixtures in tests/conftest.py wrap this)::

    from support.server import start_podid

    with start_podid(tmp_path / "state") as srv:
        srv.url                  # "http://127.0.0.1:PORT"
        srv.access_key_id        # admin's long-term key (user podid-admin, AdministratorAccess)
        srv.secret_access_key
        srv.client("sts")        # boto3 client signed with the admin key, endpoint = srv.url
        srv.client("sts", credentials=(akid, secret, token))   # any other credentials
        srv.env                  # os.environ for subprocesses: DIR/env applied, .venv/bin first on PATH
        srv.aws("sts", "get-caller-identity")   # runs `source DIR/env && aws ...`; returns CompletedProcess
        srv.audit_events()       # parsed DIR/audit.jsonl
        srv.state_dir, srv.account_id, srv.region, srv.port, srv.process

The server's stdout/stderr go to ``STATE/server.log`` (shown in the error if start-up fails).
``start_podid`` waits until ``DIR/env`` exists (written once the server answers), bounded by
``timeout``; on exit it sends SIGTERM and waits (then SIGKILL).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
PODID = BIN / "podid"
DEFAULT_ACCOUNT = "111122223333"


_SESSION_LOCK = threading.Lock()


@functools.cache
def _shared_session() -> Any:
    import boto3

    return boto3.Session()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def read_env_file(path: Path) -> dict[str, str]:
    """Parse ``export K=V`` lines as written by ``podid up``."""
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export ") :].partition("=")
            out[key] = shlex.split(value)[0] if value else ""
    return out


def clean_env() -> dict[str, str]:
    """os.environ without any AWS_* variable, with the venv's bin first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    return env


@dataclass
class PodidServer:
    """A running ``podid up``."""

    url: str
    port: int
    state_dir: Path
    account_id: str
    region: str
    access_key_id: str
    secret_access_key: str
    process: subprocess.Popen[bytes]
    env: dict[str, str] = field(default_factory=dict)

    def client(
        self,
        service: str,
        *,
        credentials: Sequence[str | None] | None = None,
        region: str | None = None,
        **config: Any,
    ) -> Any:
        """A boto3 client for ``service`` against this server (admin credentials by default)."""
        from botocore.config import Config

        akid, secret, token = (
            (list(credentials) + [None])[:3]
            if credentials
            else (self.access_key_id, self.secret_access_key, None)
        )
        retries = config.pop("retries", {"max_attempts": 1, "mode": "standard"})
        with _SESSION_LOCK:  # one session: botocore's models are loaded once, not per client
            return _shared_session().client(
                service,
                endpoint_url=self.url,
                aws_access_key_id=akid,
                aws_secret_access_key=secret,
                aws_session_token=token,
                region_name=region or self.region,
                config=Config(retries=retries, s3={"addressing_style": "path"}, **config),
            )

    def aws(self, *args: str, check: bool = False, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run ``source STATE/env && aws ARGS...`` in bash; returns the CompletedProcess (text)."""
        cmd = f"source {shlex.quote(str(self.state_dir / 'env'))} && aws " + " ".join(map(shlex.quote, args))
        return subprocess.run(
            ["bash", "-c", cmd], env=clean_env(), capture_output=True, text=True, check=check, timeout=timeout
        )

    def audit_events(self) -> list[dict[str, Any]]:
        path = self.state_dir / "audit.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def log(self) -> str:
        path = self.state_dir / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self, timeout: float = 15) -> int | None:
        """SIGTERM, wait up to ``timeout`` s, then SIGKILL; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        return self.process.returncode


@contextlib.contextmanager
def start_podid(
    state_dir: Path,
    *,
    account_id: str = DEFAULT_ACCOUNT,
    region: str = "us-east-1",
    extra_args: Sequence[str] = (),
    timeout: float = 60,
    env: Mapping[str, str] | None = None,
) -> Iterator[PodidServer]:
    """Run ``podid up --state STATE_DIR`` on 127.0.0.1:<free port> for the duration of the block.

    ``env``: variables added to the server's environment after :func:`clean_env` (which strips
    every AWS_*), e.g. a hostile AWS_PROFILE / AWS_CONFIG_FILE / HOME the server must ignore."""
    state_dir = Path(state_dir).resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = open(state_dir / "server.log", "ab")  # noqa: SIM115 - closed below
    cmd = [
        str(PODID),
        "up",
        "--state",
        str(state_dir),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--account-id",
        account_id,
        "--region",
        region,
        *extra_args,
    ]
    (state_dir / "env").unlink(missing_ok=True)   # stale after a killed run: wait for the new one
    server_env = clean_env()
    server_env.update(env or {})
    process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=server_env)
    server: PodidServer | None = None
    try:
        env_file = state_dir / "env"
        deadline = time.monotonic() + timeout
        while not env_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                text = (state_dir / "server.log").read_text(errors="replace")[-4000:]
                raise RuntimeError(f"podid up did not start (exit {process.poll()}):\n{text}")
            time.sleep(0.05)
        creds = _read_credentials(state_dir / "credentials")
        env = clean_env()
        env.update(read_env_file(env_file))
        server = PodidServer(
            url=f"http://127.0.0.1:{port}",
            port=port,
            state_dir=state_dir,
            account_id=account_id,
            region=region,
            access_key_id=creds[0],
            secret_access_key=creds[1],
            process=process,
            env=env,
        )
        yield server
    finally:
        if server is not None:
            server.stop()
        elif process.poll() is None:
            process.kill()
            process.wait(timeout=15)
        log.close()


def _read_credentials(path: Path) -> tuple[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip()
    return values["aws_access_key_id"], values["aws_secret_access_key"]
