"""podid.agent bench: cached /v1/credentials latency and throughput over loopback, and upstream
calls for N pods x M fetches (must equal N: one AssumeRoleForPodIdentity per pod token).

Baseline measured in the same run: a bare uvicorn ASGI app answering the same JSON document on the
same loopback transport, i.e. the floor set by uvicorn + HTTP/1.1, with no validation or cache.
The upstream is an injected callable sleeping `--upstream-ms` (EKS Auth stand-in), so the figures
are the agent's own. Everything is bounded by the counts given on the command line.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import jwt
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from podid.agent import AgentConfig, AgentThread, PodCredentials  # noqa: E402
from podid.agent.server import _Server, bind_socket  # noqa: E402


class SleepyUpstream:
    """Counts calls; sleeps like a network round trip; returns 6 h credentials."""

    def __init__(self, delay: float) -> None:
        self.delay, self.calls = delay, 0
        self._lock = threading.Lock()

    def __call__(self, cluster_name: str, token: str) -> PodCredentials:
        with self._lock:
            self.calls += 1
            n = self.calls
        time.sleep(self.delay)
        return PodCredentials(
            f"ASIABENCH{n:011d}", "s" * 40, "t" * 400, time.time() + 6 * 3600, "123456789012"
        )


def token(pod: str) -> str:
    now = int(time.time())
    claims = {
        "sub": f"system:serviceaccount:bench:{pod}",
        "iat": now,
        "nbf": now,
        "exp": now + 86400,
        "aud": ["pods.eks.amazonaws.com"],
        "kubernetes.io": {"pod": {"name": pod, "uid": pod}},
    }
    return jwt.encode(claims, "k" * 32, algorithm="HS256")


def measure(url: str, headers: dict[str, str], requests: int) -> list[float]:
    """Sequential keep-alive requests; per-request seconds."""
    out: list[float] = []
    with httpx.Client(trust_env=False) as client:
        client.get(url, headers=headers).raise_for_status()  # warm
        for _ in range(requests):
            t = time.perf_counter()
            client.get(url, headers=headers).raise_for_status()
            out.append(time.perf_counter() - t)
    return out


def throughput(url: str, headers: dict[str, str], requests: int, clients: int) -> float:
    """req/s with `clients` concurrent keep-alive clients sharing `requests`."""
    per = max(1, requests // clients)

    def worker(_: int) -> None:
        with httpx.Client(trust_env=False) as client:
            for _ in range(per):
                client.get(url, headers=headers).raise_for_status()

    t = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, range(clients)))
    return per * clients / (time.perf_counter() - t)


def start_baseline(body: bytes) -> tuple[str, _Server, threading.Thread]:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    sock = bind_socket("127.0.0.1", 0)
    server = _Server(
        uvicorn.Config(
            app, interface="asgi3", lifespan="off", log_level="warning", access_log=False, proxy_headers=False
        )
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.01)
    return f"http://127.0.0.1:{sock.getsockname()[1]}/v1/credentials", server, thread


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="cached fetches per measurement")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients for req/s")
    parser.add_argument("--pods", type=int, default=200, help="N pods (distinct tokens)")
    parser.add_argument("--fetches", type=int, default=10, help="M fetches per pod")
    parser.add_argument("--upstream-ms", type=float, default=20.0, help="simulated EKS Auth latency")
    args, _ = parser.parse_known_args()

    upstream = SleepyUpstream(args.upstream_ms / 1000)
    config = AgentConfig(
        cluster_name="bench",
        port=0,
        bind_hosts=("127.0.0.1",),
        probe_port=None,
        metrics_port=None,
        request_rate=1e9,
        request_burst=10**9,
    )
    with AgentThread(config, upstream) as agent:
        url = agent.urls[0]
        hot = {"Authorization": token("hot")}
        lat = measure(url, hot, args.requests)
        rps = throughput(url, hot, args.requests, args.clients)
        body = httpx.get(url, headers=hot).content

        base_url, base_server, base_thread = start_baseline(body)
        base_lat = measure(base_url, hot, args.requests)
        base_rps = throughput(base_url, hot, args.requests, args.clients)
        base_server.should_exit = True
        base_thread.join(10)

        print(
            f"{'cached /v1/credentials':28} {'agent':>10} {'baseline':>10}"
            "   (baseline: bare uvicorn, same JSON)"
        )
        print(
            f"{'p50 ms':28} {statistics.median(lat) * 1000:10.3f} {statistics.median(base_lat) * 1000:10.3f}"
        )
        print(f"{'p99 ms':28} {pct(lat, 0.99):10.3f} {pct(base_lat, 0.99):10.3f}")
        print(f"{'req/s (1 client)':28} {len(lat) / sum(lat):10.0f} {len(base_lat) / sum(base_lat):10.0f}")
        print(f"{f'req/s ({args.clients} clients)':28} {rps:10.0f} {base_rps:10.0f}")

        before = upstream.calls
        tokens = [{"Authorization": token(f"pod-{i}")} for i in range(args.pods)]
        order = [h for _ in range(args.fetches) for h in tokens]  # every pod fetches M times, interleaved

        def fetch(chunk: list[dict[str, str]]) -> None:
            with httpx.Client(trust_env=False) as client:
                for headers in chunk:
                    client.get(url, headers=headers).raise_for_status()

        t = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(fetch, [order[i :: args.clients] for i in range(args.clients)]))
        elapsed = time.perf_counter() - t
        calls = upstream.calls - before
        print(
            f"pods N={args.pods} x fetches M={args.fetches}: "
            f"{args.pods * args.fetches} requests in {elapsed:.2f}s, "
            f"upstream calls={calls} (expected N={args.pods}) {'OK' if calls == args.pods else 'MISMATCH'}"
        )


if __name__ == "__main__":
    main()
