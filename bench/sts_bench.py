"""STS GetCallerIdentity speed: podid (`podid up`, over HTTP) vs moto answering the same call.

Prints requests/s for each and the ratio, plus SigV4 verification cost (µs per request) and the
in-process gateway cost (µs per request, no HTTP). The moto baseline is moto's own HTTP server
(``python -m moto.server`` on 127.0.0.1, free port) when moto's server extra (Flask) is installed;
otherwise moto's in-process ``mock_aws`` dispatch through boto3 (no HTTP hop; said so in the
output). Every loop is bounded by a request count and a time cap.

    .venv/bin/python bench/sts_bench.py [-n REQUESTS]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

TIME_CAP = 30.0


def _rate(fn: Callable[[], Any], n: int) -> tuple[float, int]:
    for _ in range(min(20, n)):  # warm-up
        fn()
    start = time.perf_counter()
    done = 0
    for _ in range(n):
        fn()
        done += 1
        if time.perf_counter() - start > TIME_CAP:
            break
    return done / (time.perf_counter() - start), done


def _client(endpoint: str | None) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.Session(
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x" * 40, region_name="us-east-1"
    ).client("sts", endpoint_url=endpoint, config=Config(retries={"max_attempts": 1}))


def bench_podid(n: int) -> float:
    from support.server import start_podid

    with tempfile.TemporaryDirectory() as tmp, start_podid(Path(tmp) / "state") as srv:
        sts = srv.client("sts")
        rate, done = _rate(sts.get_caller_identity, n)
    print(f"podid  GetCallerIdentity over HTTP: {rate:8.0f} req/s  ({done} requests)")
    return rate


def bench_moto(n: int) -> tuple[float, str]:
    if importlib.util.find_spec("flask") is not None:
        from support.server import clean_env, free_port

        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=clean_env(),
        )
        try:
            sts = _client(f"http://127.0.0.1:{port}")
            deadline = time.monotonic() + 30
            while True:
                try:
                    sts.get_caller_identity()
                    break
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            rate, done = _rate(sts.get_caller_identity, n)
        finally:
            proc.terminate()
            proc.wait(timeout=15)
        label = "moto server over HTTP"
    else:
        from moto import mock_aws

        os.environ.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "true")
        with mock_aws():
            sts = _client(None)
            rate, done = _rate(sts.get_caller_identity, n)
        label = "moto mock_aws in-process (no HTTP; moto[server]/Flask not installed)"
    print(f"moto   GetCallerIdentity, {label}: {rate:8.0f} req/s  ({done} requests)")
    return rate, label


def bench_sigv4(n: int) -> None:
    from podid.auth import sigv4
    from support.sigv4 import SECRET, sign

    req = sign()
    rate, done = _rate(lambda: sigv4.verify(req, sigv4.extract(req), SECRET), n)  # type: ignore[arg-type]
    print(f"SigV4 extract+verify (header auth, cached signing key): {1e6 / rate:7.1f} µs/request ({done})")
    sigv4.signing_key.cache_clear()

    def cold() -> None:
        sigv4.signing_key.cache_clear()
        sigv4.verify(req, sigv4.extract(req), SECRET)  # type: ignore[arg-type]

    rate, done = _rate(cold, n)
    print(f"SigV4 extract+verify (signing key derived each time):   {1e6 / rate:7.1f} µs/request ({done})")


def bench_gateway_inprocess(n: int) -> None:
    import podid.compose  # noqa: F401  (registers every API)
    from podid.auth.tokens import TokenCodec
    from podid.gateway.app import Gateway
    from podid.gateway.audit import AuditWriter
    from podid.gateway.state import AppState, Config
    from podid.store import Store
    from support.sigv4 import sign

    with tempfile.TemporaryDirectory() as tmp:
        state_dir = Path(tmp)
        store = Store.open_dir(state_dir)
        key = store.bootstrap_admin("111122223333")
        state = AppState(
            config=Config(state_dir=state_dir),
            store=store,
            tokens=TokenCodec.open(state_dir),
            audit=AuditWriter.open(state_dir),
        )
        gateway = Gateway(state)
        req = sign(akid=key.access_key_id, secret=key.secret_access_key)
        rate, done = _rate(lambda: gateway.handle(req), n)
        store.close()
    print(
        f"gateway in-process (route+auth+parse+handler+serialise+audit): {1e6 / rate:7.1f} µs/req ({done})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="requests per measurement (default 1000)")
    args = parser.parse_args()
    podid = bench_podid(args.n)
    moto, label = bench_moto(args.n)
    print(
        f"ratio podid/moto: {podid / moto:.2f}"
        + ("" if "HTTP" in label.split("(")[0] else "  (baseline has no HTTP hop)")
    )
    bench_sigv4(max(args.n, 2000))
    bench_gateway_inprocess(args.n)


if __name__ == "__main__":
    main()
