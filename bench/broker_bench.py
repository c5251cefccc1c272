"""Broker AssumeRoleForPodIdentity throughput and p99 with 1 and 2 replicas on PostgreSQL, and the
node agent's cached /v1/credentials p99 in the network-namespace set-up.

Broker: a real PostgreSQL (Debian's, started here), ``podid up`` replicas on it (``--db``, the AWS
endpoint over https) and ``podid broker`` processes (JWKS-file token validation, STS AssumeRole +
session tags, EKS association reads), each tier behind a round-robin loopback balancer when
replicated. ``CLIENTS`` threads call boto3 ``eks-auth`` for ``SECONDS``; the baseline in the same
run is the broker's own upstream call, STS ``AssumeRole`` with the six session tags straight to the
``podid up`` tier (what every broker answer costs at least).

Agent: the agent in a "node" namespace on 169.254.170.23:80, fetched from a "pod" namespace over
veth (``tests/support/netns.py``), against the same agent fetched on the node's own loopback
(no veth hop). Skipped with a message where namespaces or PostgreSQL are unavailable.

    .venv/bin/python bench/broker_bench.py [--seconds 8] [--clients 4]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

AGENT_FETCHES = 2000
SESSION_TAGS = ("eks-cluster-arn", "eks-cluster-name", "kubernetes-namespace", "kubernetes-service-account",
                "kubernetes-pod-name", "kubernetes-pod-uid")


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _load(make_call: Callable[[int], Callable[[], Any]], clients: int, seconds: float) -> dict[str, float]:
    """``clients`` threads, each calling its own ``make_call(i)()`` for ``seconds``; rate and latency."""
    lat: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    stop = threading.Event()

    def run(i: int) -> None:
        call = make_call(i)
        call()  # warm: connection, first signature
        while not stop.is_set():
            t0 = time.perf_counter()
            try:
                call()
            except Exception:  # noqa: BLE001 - counted and printed
                errors[i] += 1
            lat[i].append((time.perf_counter() - t0) * 1000)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    start = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    elapsed = time.perf_counter() - start
    flat = [x for per in lat for x in per]
    return {"rps": len(flat) / elapsed, "p50": _pct(flat, 50), "p99": _pct(flat, 99), "errors": sum(errors)}


def broker_tier(tmp: Path, replicas: int, clients: int, seconds: float, db: str) -> dict[str, Any]:
    from support.lb import RoundRobinLB
    from support.replicas import CLUSTER, Fleet, client, start_replica
    from support.server import free_port

    with ExitStack() as stack:
        ports = [free_port() for _ in range(replicas)]
        first = stack.enter_context(start_replica(tmp, "r0", db, ports[0], None))
        for i in range(1, replicas):
            stack.enter_context(start_replica(tmp, f"r{i}", db, ports[i], first.state_dir))
        aws_port = stack.enter_context(RoundRobinLB([("127.0.0.1", p) for p in ports])).port
        aws_url = f"https://127.0.0.1:{aws_port}"
        ca = str(first.state_dir / "ca.crt")
        fleet = Fleet.create(tmp, aws_url, ca, (first.access_key_id, first.secret_access_key),
                             first.account_id, pods=clients)
        brokers = [stack.enter_context(fleet.broker(tmp)) for _ in range(replicas)]
        broker_port = stack.enter_context(RoundRobinLB([("127.0.0.1", b.port) for b in brokers])).port
        broker_url = f"http://127.0.0.1:{broker_port}"

        def pod_call(i: int) -> Callable[[], Any]:
            eks_auth = client("eks-auth", broker_url, ca, ("AKIAIOSFODNN7EXAMPLE", "x" * 40), attempts=1)
            return lambda: eks_auth.assume_role_for_pod_identity(clusterName=CLUSTER, token=fleet.tokens[i])

        def sts_call(i: int) -> Callable[[], Any]:
            sts = client("sts", aws_url, ca, fleet.broker_keys, attempts=1)
            arn = f"arn:aws:iam::{first.account_id}:role/pods-{i}"
            tags = [{"Key": k, "Value": "v"} for k in SESSION_TAGS]
            return lambda: sts.assume_role(RoleArn=arn, RoleSessionName=f"bench-{i}", Tags=tags,
                                           TransitiveTagKeys=[t["Key"] for t in tags])

        return {"broker": _load(pod_call, clients, seconds), "sts": _load(sts_call, clients, seconds)}


def agent_netns(tmp: Path) -> dict[str, Any] | str:
    from support.broker import BrokerWorld, write_token
    from support.eks import start_eks_server
    from support.netns import AGENT_V4, netns_unavailable
    from support.server import BIN, free_port

    reason = netns_unavailable()
    if reason:
        return f"skipped: {reason}"
    # paced at <= 500 fetches/s: under the agent's 1000 req/s limit (burst 500), so the figures are
    # latency, not 429s
    timer = (
        "import sys, time, urllib.request as u\n"
        "url, token, n = sys.argv[1], open(sys.argv[2]).read(), int(sys.argv[3])\n"
        "req = u.Request(url, headers={'Authorization': token})\n"
        "u.urlopen(req, timeout=10).read()\n"
        "out = []\n"
        "for _ in range(n):\n"
        "    t0 = time.perf_counter(); u.urlopen(req, timeout=10).read()\n"
        "    out.append((time.perf_counter() - t0) * 1000)\n"
        "    time.sleep(max(0.0, 0.002 - (time.perf_counter() - t0)))\n"
        "print(' '.join(f'{x:.4f}' for x in out))\n"
    )
    with start_eks_server(tmp / "aws", extra_args=["--tls-port", str(free_port())]) as server:
        world = BrokerWorld.create(server, tmp)
        cluster = world.cluster("bench-netns")
        role = world.role("bench-netns-role")
        pod = world.pod(cluster, "web-1", namespace="shop", sa="reader")
        world.associate(cluster, "shop", "reader", role)
        token_file = write_token(tmp / "token", pod.token)
        with world.start_node_agent(cluster) as (net, _broker, agent):
            results: dict[str, Any] = {}
            for label, prefix, url in (
                ("pod netns -> 169.254.170.23 (veth)", net.in_pod(), f"http://{AGENT_V4}/v1/credentials"),
                ("node netns -> 127.0.0.1 (baseline)", net.in_node(), f"http://127.0.0.1:{agent.port}/v1/credentials"),
            ):
                out = _run_timer(prefix, BIN, timer, url, str(token_file))
                results[label] = {"p50": _pct(out, 50), "p99": _pct(out, 99), "n": len(out)}
            return results


def _run_timer(prefix: list[str], bin_dir: Path, code: str, url: str, token: str) -> list[float]:
    done = subprocess.run([*prefix, str(bin_dir / "python"), "-c", code, url, token, str(AGENT_FETCHES)],
                          capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return [float(x) for x in done.stdout.split()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    from support.postgres import PgServer, pg_missing

    report: dict[str, Any] = {}
    reason = pg_missing()
    if reason:
        print(f"broker replicas: skipped ({reason})")
    else:
        pg = PgServer()
        pg.start()
        try:
            print(f"AssumeRoleForPodIdentity via podid broker, {args.clients} clients x "
                  f"{args.seconds:.0f} s, PostgreSQL store; baseline: the broker's upstream STS AssumeRole "
                  "(6 session tags)")
            print(f"{'replicas':>8} {'path':<28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
            for replicas in (1, 2):
                with tempfile.TemporaryDirectory() as tmp:
                    res = broker_tier(Path(tmp), replicas, args.clients, args.seconds, pg.create_database())
                report[f"replicas_{replicas}"] = res
                rows = (("broker AssumeRoleForPodId.", res["broker"]),
                        ("STS AssumeRole (baseline)", res["sts"]))
                for path, r in rows:
                    print(f"{replicas:>8} {path:<28} {r['rps']:>8.1f} {r['p50']:>8.2f} {r['p99']:>8.2f} "
                          f"{r['errors']:>6}")
        finally:
            pg.stop()
    with tempfile.TemporaryDirectory() as tmp:
        agent = agent_netns(Path(tmp))
    report["agent_netns"] = agent
    if isinstance(agent, str):
        print(f"agent in netns: {agent}")
    else:
        print(f"agent cached /v1/credentials, {AGENT_FETCHES} sequential fetches")
        for label, r in agent.items():
            print(f"  {label:<38} p50 {r['p50']:.3f} ms  p99 {r['p99']:.3f} ms")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "broker_bench.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
