"""A throwaway PostgreSQL server for tests (initdb + pg_ctl as `nobody` when root; unix socket only)."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

PG_BIN = ("initdb", "pg_ctl", "postgres")
_counter = itertools.count()


def _as_postgres_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "nobody", "--", *cmd]
    return ["su", "nobody", "-s", "/bin/bash", "-c", " ".join(cmd)]


class PgServer:
    """A throwaway PostgreSQL cluster listening on a unix socket only."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="podid-pg-"))
        self.data = self.root / "data"
        self.sock = self.root / "sock"
        self.sock.mkdir()
        os.chmod(self.root, 0o777)
        os.chmod(self.sock, 0o777)
        if os.geteuid() == 0:
            shutil.chown(self.root, "nobody")
            shutil.chown(self.sock, "nobody")
        self.port = 5432

    def start(self) -> None:
        initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
        assert initdb and pg_ctl
        subprocess.run(
            _as_postgres_user([initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync"]),
            check=True,
            capture_output=True,
        )
        opts = f"-k {self.sock} -c listen_addresses= -p {self.port} -c fsync=on"
        subprocess.run(
            _as_postgres_user(
                [pg_ctl, "-D", str(self.data), "-o", opts, "-l", str(self.root / "log"), "-w", "start"]
            ),
            check=True,
            capture_output=True,
        )

    def stop(self) -> None:
        pg_ctl = shutil.which("pg_ctl")
        if pg_ctl:
            subprocess.run(
                _as_postgres_user([pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"]),
                capture_output=True,
            )
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, db: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@/{db}?host={self.sock}&port={self.port}"

    def create_database(self) -> str:
        import psycopg

        name = f"podid_test_{os.getpid()}_{next(_counter)}"
        with psycopg.connect(host=str(self.sock), port=self.port, user="postgres", autocommit=True) as c:
            c.execute(f"CREATE DATABASE {name}")
        return self.url(name)


def pg_missing() -> str | None:
    missing = [b for b in PG_BIN if shutil.which(b) is None]
    if missing:
        return f"PostgreSQL server binaries not found on PATH: {', '.join(missing)}"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed"
    return None
