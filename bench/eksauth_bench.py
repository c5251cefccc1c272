"""EKS Auth AssumeRoleForPodIdentity latency with 100 vs 100,000 associations in the store.

For each size a fresh ``podid up`` (with podid.eks installed) gets one cluster, ``size - 1``
associations bulk-inserted through :class:`podid.eks.repo.EksRepo` (directly into the server's
SQLite database) plus the one association the measured pod uses, that pod/ServiceAccount in
podid.k8s's object store, and a node user allowed ``eks-auth:AssumeRoleForPodIdentity``. It then
times boto3 ``eks-auth`` calls over HTTP (signing, gateway, token verification, pod check,
association lookup, trust evaluation, credential sealing) and the same decision path in-process
(:func:`podid.eksauth.assume_role_for_pod_identity`, no HTTP), and prints p50/p99 side by side.
Every loop is bounded by a request count and a time cap.

    .venv/bin/python bench/eksauth_bench.py [-n REQUESTS] [--sizes 100,100000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

TIME_CAP = 60.0


def _timings(fn: Callable[[], Any], n: int) -> list[float]:
    for _ in range(min(20, n)):
        fn()
    out: list[float] = []
    start = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
        if time.perf_counter() - start > TIME_CAP:
            break
    return out


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run(size: int, n: int) -> dict[str, Any]:
    from podid.auth.tokens import TokenCodec
    from podid.eks import ids
    from podid.eks.repo import EksRepo, NewAssociation
    from podid.eks.service import EksService
    from podid.eksauth import assume_role_for_pod_identity
    from podid.gateway.state import AppState, Config
    from support.eks import add_pod, create_role, node_credentials, open_store, pod_token, start_eks_server

    with tempfile.TemporaryDirectory() as tmp, start_eks_server(Path(tmp) / "state") as srv:
        eks = srv.client("eks")
        eks.create_cluster(name="bench", roleArn=f"arn:aws:iam::{srv.account_id}:role/x",
                           resourcesVpcConfig={})
        role = create_role(srv, "bench-role")
        store = open_store(srv)
        repo = EksRepo.for_store(store)
        cluster = repo.get_cluster(srv.account_id, srv.region, "bench")
        assert cluster is not None
        t0 = time.perf_counter()

        def rows() -> Any:
            for i in range(size - 1):
                aid = ids.new_association_id()
                yield NewAssociation(association_id=aid, arn=ids.association_arn(srv.region, srv.account_id,
                                                                                 "bench", aid),
                                     namespace=f"ns-{i % 1000}", service_account=f"sa-{i}", role_arn=role)

        inserted = repo.bulk_insert_associations(cluster.pk, rows())
        if store.engine.dialect.name == "sqlite":   # fold the bulk load into the main file
            with store.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        setup = time.perf_counter() - t0
        eks.create_pod_identity_association(clusterName="bench", namespace="measured", serviceAccount="app",
                                            roleArn=role)
        assert repo.count_associations(cluster.pk) == size
        sa_uid, pod_uid = add_pod(store, "bench", "measured", "app", "app-0")
        token = pod_token(srv, store, "bench", "measured", "app", sa_uid, "app-0", pod_uid, lifetime=86400)
        auth = srv.client("eks-auth", credentials=node_credentials(srv, "bench-node"))
        http = _timings(lambda: auth.assume_role_for_pod_identity(clusterName="bench", token=token), n)

        state = AppState(config=Config(state_dir=srv.state_dir, account_id=srv.account_id, region=srv.region,
                                       port=srv.port), store=store, tokens=TokenCodec.open(srv.state_dir),
                         audit=None)  # type: ignore[arg-type]
        svc = EksService.from_state(state)
        local = _timings(lambda: assume_role_for_pod_identity(state, svc, cluster, token), n)
        store.close()
    return {"size": size, "inserted": inserted, "setup_s": setup, "http": http, "local": local}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=500, help="calls per measurement (bounded by a time cap)")
    parser.add_argument("--sizes", default="100,100000", help="association counts, comma-separated")
    args = parser.parse_args()
    results = [run(int(s), max(1, min(args.n, 20000))) for s in args.sizes.split(",")]
    print("\nAssumeRoleForPodIdentity latency (ms)")
    header = f"{'':34}" + "".join(f"{r['size']:>14,} assoc." for r in results)
    print(header)
    for label, key in (("HTTP via boto3  p50", "http"), ("HTTP via boto3  p99", "http"),
                       ("in-process path p50", "local"), ("in-process path p99", "local")):
        pct = 50 if label.endswith("p50") else 99
        print(f"{label:34}" + "".join(f"{_pct(r[key], pct):20.2f}" for r in results))
    print(f"{'HTTP mean':34}" + "".join(f"{statistics.fmean(r['http']):20.2f}" for r in results))
    print(f"{'calls measured (HTTP / in-process)':34}" + "".join(
        f"{len(r['http']):>12} / {len(r['local']):<5}" for r in results))
    print(f"{'bulk insert (s)':34}" + "".join(f"{r['setup_s']:20.2f}" for r in results))


if __name__ == "__main__":
    main()
