"""Durability and concurrency: an acknowledged write survives SIGKILL; concurrent writers all land."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from podid.store import Store

TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"Service":"pods.eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)

WRITER = textwrap.dedent(
    """
    import sys, time
    from podid.store import Store
    st = Store.open(sys.argv[1])
    st.bootstrap_admin("111122223333")
    for i in range(int(sys.argv[2])):
        st.create_role("111122223333", f"role-{i}", sys.argv[3])
    print("ok", flush=True)
    # keep writing (unacknowledged) until killed
    i = 10_000
    while True:
        st.put_kv("spin", str(i), i)
        i += 1
    """
)


def test_pragmas(tmp_path: Path) -> None:
    st = Store.open(f"sqlite:///{tmp_path / 'p.db'}")
    with st.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    st.close()


def test_acknowledged_write_survives_kill_9(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state' / 'podid.db'}"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, url, "25", TRUST],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "ok", proc.stderr.read() if proc.stderr else ""
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    # the WAL was not checkpointed by a clean close; reopening must recover it
    st = Store.open(url)
    try:
        assert {r.name for r in st.list_roles("111122223333")} == {f"role-{i}" for i in range(25)}
        key = st.bootstrap_admin("111122223333")
        assert st.get_access_key(key.access_key_id) == key
        with sqlite3.connect(tmp_path / "state" / "podid.db") as raw:
            assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        st.close()


def test_concurrent_writers_threads_and_processes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    st = Store.open(url)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(10):
                st.create_role("111122223333", f"t{n}-{i}", TRUST)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    script = "import sys\nfrom podid.store import Store\ns=Store.open(sys.argv[1])\n" + (
        "for i in range(10): s.create_role('111122223333', f'p{sys.argv[2]}-{i}', sys.argv[3])\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, url, str(n), TRUST]) for n in range(3)]
    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    assert not errors
    assert len(st.list_roles("111122223333")) == 70
    assert st.generation() == 70
    st.close()


def test_concurrent_bootstrap_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'b.db'}"
    script = (
        "import sys\nfrom podid.store import Store\n"
        "print(Store.open(sys.argv[1]).bootstrap_admin('111122223333').access_key_id)"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, url], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outs = {p.communicate(timeout=120)[0].strip() for p in procs}
    assert len(outs) == 1
    st = Store.open(url)
    assert len(st.list_access_keys("111122223333", "podid-admin")) == 1
    st.close()
