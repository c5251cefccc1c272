"""Data-plane speed: S3 GetObject / PutObject (1 KiB) through podid vs moto alone.

Paths measured in the same run, all with boto3 doing the same serialisation/parsing work:
  * ``moto``            moto's own in-process dispatch (``mock_aws``) - in-process baseline
  * ``podid-backend``   ``podid.dataplane.backend.Backend.forward`` (request rewrite, in-process
                        dispatch, persistence) in ``sync`` durability (each write on disk before ack)
  * ``podid-async``     same, ``async`` durability (debounced snapshots)
  * ``moto-http``       ``moto_server`` (moto's own HTTP server, auth off) over loopback HTTP - HTTP baseline
  * ``podid-http``      ``podid up`` over loopback HTTP: SigV4 verification, parsing, the judge, the
                        forward to the embedded moto, sync durability, the audit log line
  * ``podid-http-async`` the same with ``podid up --data-durability async``
The three HTTP servers run at the same time and are measured in alternating blocks (so machine
noise hits them alike). The judge's share is measured in-process: ``authorization_items`` (with its
backend lookups) plus ``CallContext.authorize`` (policy cache, global keys, ``podid.iam.evaluate``)
for the same GetObject, divided by the podid-http latency.
Usage: ``python bench/dataplane_bench.py [--n 500]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.awsrequest import AWSResponse

from podid.dataplane.backend import Backend, RawRequest

BODY = b"x" * 1024


class _Raw(io.BytesIO):
    def stream(self, **_: Any) -> Iterator[bytes]:
        while chunk := self.read(65536):
            yield chunk


def _client(endpoint: str | None = "http://localhost:4566") -> Any:
    return boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="secret",
    )


def _podid_client(backend: Backend) -> Any:
    client = _client()
    last: dict[str, Any] = {}

    def remember(params: dict[str, Any], **_: Any) -> None:
        last.clear()
        last.update(params)

    def send(request: Any, **kwargs: Any) -> AWSResponse:
        u = urlsplit(request.url)
        body = request.body.read() if hasattr(request.body, "read") else (request.body or b"")
        headers = list(request.headers.items()) + [("Host", u.netloc)]
        op = str(kwargs.get("event_name", "")).rsplit(".", 1)[-1]
        r = backend.forward("s3", RawRequest(request.method, u.path, u.query, headers, body), operation=op,
                            params=dict(last))
        return AWSResponse(request.url, r.status, dict(r.headers), _Raw(r.body))  # type: ignore[arg-type]

    client.meta.events.register("provide-client-params", remember)
    client.meta.events.register("before-send", send)
    return client


def _time(fn: Callable[[int], None], n: int) -> tuple[float, float]:
    """(median latency ms, throughput ops/s) for n sequential calls."""
    for i in range(min(20, n)):  # warm-up
        fn(i)
    lat = []
    start = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        lat.append(time.perf_counter() - t0)
    total = time.perf_counter() - start
    return statistics.median(lat) * 1000, n / total


#: the measured calls: (client, call number) -> None
OPS: dict[str, Callable[[Any, int], Any]] = {
    "PutObject": lambda c, i: c.put_object(Bucket="bench", Key=f"k{i % 100}", Body=BODY),
    "GetObject": lambda c, i: c.get_object(Bucket="bench", Key="get.bin")["Body"].read(),
}


def _run(client: Any, n: int, label: str) -> dict[str, tuple[float, float]]:
    client.create_bucket(Bucket="bench")
    client.put_object(Bucket="bench", Key="get.bin", Body=BODY)
    res = {name: _time(lambda i, op=op: op(client, i), n) for name, op in OPS.items()}
    for op, (ms, ops) in res.items():
        print(f"  {label:<14} {op:<10} p50 {ms:7.3f} ms  {ops:8.0f} ops/s")
    return res


Results = dict[str, dict[str, tuple[float, float]]]


def _run_interleaved(clients: dict[str, Any], n: int, rounds: int = 10) -> Results:
    """Like :func:`_run` for several servers at once, in alternating blocks of n/rounds calls, so
    that a slow patch of the (shared, virtualised) machine hits every server alike."""
    for client in clients.values():
        client.create_bucket(Bucket="bench")
        client.put_object(Bucket="bench", Key="get.bin", Body=BODY)
        for i in range(20):  # warm-up
            for op in OPS.values():
                op(client, i)
    lat: dict[tuple[str, str], list[float]] = {(c, o): [] for c in clients for o in OPS}
    busy: dict[tuple[str, str], float] = dict.fromkeys(lat, 0.0)
    block = max(1, n // rounds)
    for r in range(rounds):
        for op_name, op in OPS.items():
            for label, client in clients.items():
                start = time.perf_counter()
                for i in range(r * block, (r + 1) * block):
                    t0 = time.perf_counter()
                    op(client, i)
                    lat[label, op_name].append(time.perf_counter() - t0)
                busy[label, op_name] += time.perf_counter() - start
    out: Results = {}
    for (label, op_name), values in lat.items():
        ms, ops_s = statistics.median(values) * 1000, len(values) / busy[label, op_name]
        out.setdefault(label, {})[op_name] = (ms, ops_s)
        print(f"  {label:<16} {op_name:<10} p50 {ms:7.3f} ms  {ops_s:8.0f} ops/s  (interleaved)")
    return out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(predicate: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start")
        time.sleep(0.05)


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=1)
        return True
    except OSError as exc:
        return getattr(exc, "code", None) is not None  # an HTTP error status is an answer


@contextlib.contextmanager
def _moto_server() -> Iterator[str | None]:
    exe = Path(sys.executable).parent / "moto_server"
    path = str(exe) if exe.exists() else shutil.which("moto_server")
    if path is None:
        yield None
        return
    port = _free_port()
    proc = subprocess.Popen([path, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        _wait(lambda: _answers(f"http://127.0.0.1:{port}/moto-api/"), "moto_server")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=15)


@contextlib.contextmanager
def _podid_up(*extra: str) -> Iterator[tuple[str, str, str]]:
    with tempfile.TemporaryDirectory() as d:
        state, port = Path(d) / "state", _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        proc = subprocess.Popen([str(Path(sys.executable).parent / "podid"), "up", "--state", str(state),
                                 "--host", "127.0.0.1", "--port", str(port), "--kube-port", "0", *extra],
                                env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait(lambda: (state / "env").exists() or proc.poll() is not None, "podid up")
            creds = dict(line.split(" = ", 1) for line in (state / "credentials").read_text().splitlines()
                         if " = " in line)
            yield f"http://127.0.0.1:{port}", creds["aws_access_key_id"], creds["aws_secret_access_key"]
        finally:
            proc.terminate()
            proc.wait(timeout=15)


def _http_client(url: str, akid: str = "AKIAIOSFODNN7EXAMPLE", secret: str = "secret") -> Any:
    from botocore.config import Config

    return boto3.client("s3", region_name="us-east-1", endpoint_url=url, aws_access_key_id=akid,
                        aws_secret_access_key=secret,
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))


def _judge_ms(n: int) -> float:
    """Median ms of the authorization work podid does for one admin GetObject (in-process)."""
    from types import SimpleNamespace

    from podid.auth.caller import Caller
    from podid.dataplane.kit import DataplaneRequest
    from podid.dataplane.lookup import MotoLookup
    from podid.dataplane.services import authorization_items
    from podid.gateway.context import CallContext
    from podid.store import Store, default_url

    with tempfile.TemporaryDirectory() as d:
        store = Store.open(default_url(Path(d)))
        admin = store.bootstrap_admin("111122223333")
        caller = Caller(arn="arn:aws:iam::111122223333:user/podid-admin", account="111122223333",
                        user_id="AIDAEXAMPLE", kind="user", access_key_id=admin.access_key_id,
                        user_name="podid-admin")
        backend = Backend(d)
        lookup = MotoLookup(backend)
        app = SimpleNamespace(store=store, extras={}, config=SimpleNamespace(account_id="111122223333"))
        req = DataplaneRequest("s3", "GetObject", {"Bucket": "bench", "Key": "get.bin"}, "us-east-1",
                               "111122223333", bucket="bench", key="get.bin", caller_account="111122223333")

        def once(i: int) -> None:
            ctx = CallContext(service="s3", operation="GetObject", params={}, caller=caller,
                              region="us-east-1",
                              request_id="r", source_ip="127.0.0.1", app=app)  # type: ignore[arg-type]
            for item in authorization_items(req, lookup):
                owner = item.resource_owner_lookup() if item.resource_owner_lookup else None
                ctx.authorize(item.action, item.resource, context=item.context,
                              resource_account=owner.account if owner else None)

        ms, _ = _time(once, n)
        backend.close()
        store.close()
        return ms


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=500)
    n = ap.parse_args().n
    from moto import mock_aws

    print(f"S3 1 KiB objects, {n} sequential calls each (boto3 client in all paths)")
    with mock_aws():
        base = _run(_client(None), n, "moto")  # mock_aws only intercepts AWS hostnames
    results = {}
    for mode in ("sync", "async"):
        with tempfile.TemporaryDirectory() as d:
            be = Backend(d, durability=mode)  # type: ignore[arg-type]
            results[mode] = _run(_podid_client(be), n, f"podid-{mode}")
            be.close()
    with contextlib.ExitStack() as stack:
        clients: dict[str, Any] = {}
        moto_url = stack.enter_context(_moto_server())
        if moto_url is not None:
            clients["moto-http"] = _http_client(moto_url)
        url, akid, secret = stack.enter_context(_podid_up())
        clients["podid-http"] = _http_client(url, akid, secret)
        url, akid, secret = stack.enter_context(_podid_up("--data-durability", "async"))
        clients["podid-http-async"] = _http_client(url, akid, secret)
        http = _run_interleaved(clients, n)
    judge = _judge_ms(n)
    print(f"  {'judge':<14} GetObject  p50 {judge:7.3f} ms  (authorization items + lookups + evaluate)")
    print("ratios (podid latency / moto latency):")
    for mode, res in results.items():
        for op in ("GetObject", "PutObject"):
            print(f"  {mode:<6} {op:<10} {res[op][0] / base[op][0]:5.2f}x  (in-process)")
    if "moto-http" in http:
        for op in ("GetObject", "PutObject"):
            for name, label in (("podid-http", "http  "), ("podid-http-async", "http-async")):
                ratio = http[name][op][0] / http["moto-http"][op][0]
                print(f"  {label} {op:<10} {ratio:5.2f}x  (podid up vs moto_server, both over loopback HTTP)")
    share = judge / http["podid-http"]["GetObject"][0]
    print(f"judge's share of a podid-http GetObject: {share * 100:.1f}%")


if __name__ == "__main__":
    main()
