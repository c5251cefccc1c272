"""``podid.cluster.server:install`` - every EKS cluster's Kubernetes API inside ``podid up``.

Per cluster (existing at start, created later through ``on_cluster_created``, or noticed by the
reconciler when another process created it):

* a ``podid.k8s`` app on the TLS listener at ``https://127.0.0.1:<kube-port>/clusters/<name>``,
  backed by ``SqlObjectStore(store.engine, name)`` (the store's database; tables from migration
  ``0003_k8s``), with the cluster's OIDC issuer keys as its token issuer, Pod Identity admission
  (:mod:`podid.cluster.admission`) and ``podid.runtime.ProcessRuntime`` as its pod runtime;
* an EKS endpoint and CA resolver, so ``aws eks describe-cluster`` returns ``endpoint`` and
  ``certificateAuthority.data`` (and ``aws eks update-kubeconfig`` works);
* a context in ``DIR/kubeconfig`` (admin bearer token, CA data);
* with ``--node-role``: an IMDSv2 endpoint (:mod:`podid.imds`, URL in ``server.json``) whose
  address every pod gets as ``AWS_EC2_METADATA_SERVICE_ENDPOINT``;
* when the ``eks-pod-identity-agent`` add-on exists: the node role ``podid-node-<cluster>``, the
  in-process agent on 127.0.0.1:<agent port> (pods' ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` is
  rewritten to it by the runtime) and the ``kube-system/eks-pod-identity-agent`` DaemonSet; both go
  away with the add-on.

A reconciler thread (every :data:`RECONCILE_SECONDS`) applies add-on changes and records an Event
on pods created before their ServiceAccount's association.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podid.cluster import addon as ds
from podid.cluster import pki
from podid.cluster.admission import REASON_LATE_ASSOCIATION, late_association_message, pod_identity_hook
from podid.cluster.authn import cluster_authenticator
from podid.cluster.kubeserver import PREFIX, ClusterRouter, KubeServer
from podid.cluster.webhookconfig import ensure_webhook_configuration
from podid.controllers import Controllers
from podid.eks.addons import POD_IDENTITY_AGENT
from podid.eks.repo import ClusterRecord
from podid.eks.server import service_for
from podid.eks.service import EksService
from podid.k8s.tokens import IssuedToken, ReviewedToken

log = logging.getLogger("podid.cluster")

EXTRA_KEY = "cluster"
KUBECONFIG = "kubeconfig"
RECONCILE_SECONDS = 0.5
API_AUDIENCES = ("https://kubernetes.default.svc",)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class LiveIssuer:
    """``podid.k8s`` TokenIssuer over the cluster's *current* issuer keys (they rotate every 7 days)."""

    def __init__(self, svc: EksService, record: ClusterRecord) -> None:
        self.svc = svc
        self.record = record

    def _inner(self) -> Any:
        from podid.k8s.tokens import OidcTokenIssuer

        return OidcTokenIssuer(self.svc.issuer_keys(self.record), self.svc.issuer(self.record), API_AUDIENCES)

    @property
    def api_audiences(self) -> tuple[str, ...]:
        return API_AUDIENCES

    def issue(self, namespace: str, sa_name: str, sa_uid: str, audiences: Sequence[str],
              expiration_seconds: int, pod: tuple[str, str] | None = None) -> IssuedToken:
        return self._inner().issue(namespace, sa_name, sa_uid, audiences,  # type: ignore[no-any-return]
                                   expiration_seconds, pod)

    def review(self, token: str, audiences: Sequence[str]) -> ReviewedToken:
        return self._inner().review(token, audiences)  # type: ignore[no-any-return]


@dataclass
class Mounted:
    """One cluster served by this process."""

    record: ClusterRecord
    app: Any
    cluster: Any                     # podid.k8s.registry.Cluster
    issuer: LiveIssuer
    agent_port: int
    runtime: Any = None              # podid.runtime.ProcessRuntime when available
    agent: Any = None                # podid.cluster.node.NodeAgent while the add-on exists
    controllers: Controllers | None = None   # Deployment/ReplicaSet/Job/GC loops
    notified: set[tuple[str, str]] = field(default_factory=set)   # (pod uid, association id)


class ClusterManager:
    """Owns the TLS listener, the mounted clusters, their agents and the reconciler."""

    def __init__(self, state: Any, host: str = "127.0.0.1", port: int | None = None,
                 node_agent: bool = True, imds: Any = None, issuer_tls: bool = False) -> None:
        self.state = state
        self.node_agent = node_agent
        self.imds = imds                 # podid.imds.ImdsServer with `podid up --node-role`
        self.svc = service_for(state)
        self.state_dir = Path(state.config.state_dir)
        self.region = state.config.region
        self.cert = pki.load_or_create(self.state_dir)
        self.admin_token = pki.admin_token(self.state_dir)
        admin = state.store.bootstrap_admin(state.config.account_id)
        self.admin_arns = frozenset({admin.user_arn})
        self.router = ClusterRouter(self._issuer_routes(issuer_tls))
        certfile, keyfile = pki.cert_paths(self.state_dir)
        self.server = KubeServer(self.router, host, port if port is not None else state.config.port + 1,
                                 certfile, keyfile)
        self.mounted: dict[str, Mounted] = {}
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = False

    def _issuer_routes(self, issuer_tls: bool) -> list[Any]:
        """With ``--issuer-tls`` the issuers are served on this TLS listener too (and named by it)."""
        if not issuer_tls:
            return []
        from podid.eks.server import OIDC_PREFIX
        from podid.oidc import cluster_routes

        return list(cluster_routes(self.svc.resolve_issuer, OIDC_PREFIX))

    # -- URLs ------------------------------------------------------------------------------------
    def endpoint(self, name: str) -> str:
        return f"{self.server.url}{PREFIX}/{name}"

    @property
    def kubeconfig_path(self) -> Path:
        return self.state_dir / KUBECONFIG

    # -- mounting --------------------------------------------------------------------------------
    def mount(self, record: ClusterRecord) -> Mounted | None:
        """Serve ``record``'s Kubernetes API (idempotent)."""
        from podid.k8s import SqlObjectStore, create_cluster_api

        with self._lock:
            existing = self.mounted.get(record.name)
            if existing is not None:
                if existing.record.pk != record.pk:
                    log.warning("cluster %s exists in regions %s and %s; serving the first",
                                record.name, existing.record.region, record.region)
                return existing
            store = SqlObjectStore(self.state.store.engine, record.name)
            issuer = LiveIssuer(self.svc, record)
            agent_port = free_port()
            runtime = self._runtime(store, issuer, record, agent_port)
            hook = pod_identity_hook(self.svc.repo, lambda: record, record.region)
            auth = cluster_authenticator(record.name, self.admin_token, lambda: issuer,
                                         store=self.state.store, tokens=self.state.tokens,
                                         admin_arns=self.admin_arns)
            app = create_cluster_api(record.name, store, auth, [hook], issuer, runtime=runtime,
                                     ca_pem=self.cert.ca_pem)
            m = Mounted(record, app, app.state.cluster, issuer, agent_port, runtime,
                        controllers=Controllers(app.state.cluster))
            ensure_webhook_configuration(m.cluster, self.cert.ca_pem)
            self.mounted[record.name] = m
            self.router.add(record.name, app)
            self.write_kubeconfig()
            if self._started and runtime is not None:
                runtime.recover()
            if self._started and m.controllers is not None:
                m.controllers.start()
            log.info("cluster %s: Kubernetes API at %s", record.name, self.endpoint(record.name))
            return m

    def _runtime(self, store: Any, issuer: LiveIssuer, record: ClusterRecord, agent_port: int) -> Any:
        from podid.runtime import ProcessRuntime, RuntimeConfig

        config = RuntimeConfig(state_dir=self.state_dir, cluster=record.name,
                               aws_endpoint_url=self.state.config.url,
                               agent_url=f"http://127.0.0.1:{agent_port}/v1/credentials",
                               region=record.region, imds_url=self.imds.url if self.imds else None)
        return ProcessRuntime(store, issuer, config)

    def unmount(self, record: ClusterRecord) -> None:
        """Stop serving a deleted cluster and drop its Kubernetes objects."""
        with self._lock:
            m = self.mounted.get(record.name)
            if m is None or m.record.pk != record.pk:
                return
            del self.mounted[record.name]
            self.router.remove(record.name)
            self._stop_agent(m)
            if m.controllers is not None:
                m.controllers.stop()
            if m.runtime is not None:
                m.runtime.close(grace=1.0)
            _purge(self.state.store.engine, record.name)
            self.write_kubeconfig()

    # -- kubeconfig ------------------------------------------------------------------------------
    def write_kubeconfig(self) -> None:
        from podid.k8s import ClusterAccess, write_kubeconfig

        names = sorted(self.mounted)
        if not names:
            self.kubeconfig_path.unlink(missing_ok=True)
            return
        current = None
        with contextlib.suppress(OSError, ValueError):
            current = json.loads(self.kubeconfig_path.read_text()).get("current-context")
        access = [ClusterAccess(n, self.endpoint(n), self.admin_token, self.cert.ca_pem) for n in names]
        write_kubeconfig(self.kubeconfig_path, access, current=current if current in names else names[0])

    # -- agents ----------------------------------------------------------------------------------
    def _start_agent(self, m: Mounted, version: str) -> None:
        from podid.cluster.node import NodeAgent, ensure_node_role, node_session

        record = m.record
        role_arn = ensure_node_role(self.state.store, record.account_id, record.arn, record.name)
        session = node_session(self.state, role_arn, record.region)
        repo = self.svc.repo

        def heartbeat(status: Any) -> None:
            repo.record_heartbeat(record.pk, node_name=status.node_name, agent_id=status.agent_id,
                                  status=status.status, reasons=list(status.reasons))

        agent = NodeAgent(record.name, m.agent_port, self.state.config.url, session, record.region, heartbeat)
        agent.start()
        m.agent = agent
        ds.ensure(m.cluster, record.region, version)
        ds.set_ready(m.cluster, True)
        log.info("cluster %s: pod identity agent on %s", record.name, agent.url)

    def _stop_agent(self, m: Mounted) -> None:
        if m.agent is not None:
            m.agent.stop()
            m.agent = None

    # -- reconciler ------------------------------------------------------------------------------
    def reconcile(self) -> None:
        """One pass: mount new clusters, unmount deleted ones, follow add-ons, late associations."""
        records = self.svc.repo.list_clusters(self.svc.account_id, self.region, limit=1000)
        live = {r.name: r for r in records}
        for record in records:
            if record.name not in self.mounted:
                self.mount(record)
        for name, m in list(self.mounted.items()):
            if m.record.region == self.region and name not in live:
                self.unmount(m.record)
        for m in list(self.mounted.values()):
            try:
                self._reconcile_addon(m)
                self._late_associations(m)
            except Exception:  # noqa: BLE001 - one cluster's failure must not stop the others
                log.exception("cluster %s: reconcile failed", m.record.name)

    def _reconcile_addon(self, m: Mounted) -> None:
        found = self.svc.repo.get_addon(m.record.pk, POD_IDENTITY_AGENT)
        if found is not None and not self.node_agent:
            ds.ensure(m.cluster, m.record.region, found.version)   # agents run elsewhere (`podid agent`)
        elif found is not None and m.agent is None:
            self._start_agent(m, found.version)
        elif found is not None and not ds.exists(m.cluster):   # e.g. a failed write in _start_agent
            ds.ensure(m.cluster, m.record.region, found.version)
            ds.set_ready(m.cluster, True)
        elif found is None:
            if m.agent is not None:
                self._stop_agent(m)
            ds.remove(m.cluster)

    def _late_associations(self, m: Mounted) -> None:
        from podid.webhook.config import ENV_FULL_URI

        for a in self.svc.repo.list_associations(m.record.pk, limit=100):
            pods, _ = m.cluster.store.list("", "pods", a.namespace)
            for pod in pods:
                spec, meta = pod.get("spec") or {}, pod.get("metadata") or {}
                if (spec.get("serviceAccountName") or "default") != a.service_account:
                    continue
                key = (str(meta.get("uid")), a.association_id)
                if key in m.notified or meta.get("deletionTimestamp"):
                    continue
                m.notified.add(key)
                names = {e.get("name") for c in spec.get("containers") or [] for e in c.get("env") or []}
                if ENV_FULL_URI in names or _has_event(m.cluster.store, a.namespace, key[0],
                                                        REASON_LATE_ASSOCIATION):
                    continue
                m.cluster.record_event(pod, REASON_LATE_ASSOCIATION, late_association_message(a), "Warning",
                                       component="eks-pod-identity-webhook")

    def _loop(self) -> None:
        while not self._stop.wait(RECONCILE_SECONDS):
            try:
                self.reconcile()
            except Exception:  # noqa: BLE001 - keep reconciling
                log.exception("cluster reconcile failed")

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        if self.imds is not None:
            self.imds.start()
            log.info("node role IMDS on %s", self.imds.url)
        self.server.start()
        self._started = True
        with self._lock:
            for m in list(self.mounted.values()):
                if m.runtime is not None:
                    m.runtime.recover()
                if m.controllers is not None:
                    m.controllers.start()
        with contextlib.suppress(Exception):
            self.reconcile()
        self._thread = threading.Thread(target=self._loop, name="podid-cluster-reconciler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        with self._lock:
            for m in list(self.mounted.values()):
                if m.controllers is not None:
                    m.controllers.stop()
                self._stop_agent(m)
                with contextlib.suppress(Exception):
                    ds.set_ready(m.cluster, False)
                if m.runtime is not None:
                    m.runtime.close(grace=1.0)
        self.server.stop()
        if self.imds is not None:
            self.imds.stop()


def _has_event(store: Any, namespace: str, uid: str, reason: str) -> bool:
    events, _ = store.list("", "events", namespace)
    return any((e.get("involvedObject") or {}).get("uid") == uid and e.get("reason") == reason
               for e in events)


def _purge(engine: Any, cluster: str) -> None:
    from sqlalchemy import delete

    from podid.k8s.sqlstore import k8s_objects, k8s_revisions, k8s_watch_log, write_transaction

    with write_transaction(engine) as conn:
        for table in (k8s_objects, k8s_watch_log, k8s_revisions):
            conn.execute(delete(table).where(table.c.cluster == cluster))


def node_imds(state: Any, role: str | None) -> Any:
    """The IMDSv2 endpoint serving ``role`` (``podid up --node-role``) to pods, or None."""
    if not role:
        return None
    import hashlib

    from podid.imds import ImdsServer, NodeRoleCredentials, create_imds_app

    config = state.config
    instance_id = "i-" + hashlib.sha256(str(config.state_dir).encode()).hexdigest()[:17]
    creds = NodeRoleCredentials(state.store, state.tokens, role, config.account_id, instance_id)
    return ImdsServer(create_imds_app(creds, config.region, config.account_id))


def install(state: Any) -> None:
    """Add the clusters' hooks to ``state`` (:mod:`podid.compose`, after EKS's install)."""
    from podid.k8s import create_tables

    options = state.cluster
    create_tables(state.store.engine)   # no-op once migration 0003_k8s ran
    manager = ClusterManager(state, host=options.kube_host, port=options.kube_port,
                            node_agent=options.node_agent, imds=node_imds(state, options.node_role),
                            issuer_tls=options.issuer_tls)
    state.extras[EXTRA_KEY] = manager
    svc = manager.svc
    if options.issuer_tls:
        # issuer URLs (token `iss`, describe-cluster) name the TLS listener; STS trusts the local CA
        svc.base_url = manager.server.url
        state.loopback_ca = str(manager.state_dir / "ca.crt")
    svc.endpoint_resolvers.append(lambda c: manager.endpoint(c.name) if c.name in manager.mounted else None)
    ca_data = base64.b64encode(manager.cert.ca_pem.encode()).decode()
    svc.ca_resolvers.append(lambda c: ca_data if c.name in manager.mounted else None)
    def created(record: ClusterRecord) -> None:
        manager.mount(record)

    svc.on_cluster_created.append(created)
    svc.on_cluster_deleted.append(manager.unmount)
    for record in svc.repo.list_clusters(svc.account_id, manager.region, limit=1000):
        manager.mount(record)
    state.server_info.update(
        {"kube_url": manager.server.url, "kubeconfig": str(manager.kubeconfig_path)})
    if manager.imds is not None:
        state.server_info["imds_url"] = manager.imds.url

    async def startup() -> None:
        await asyncio.to_thread(manager.start)

    async def shutdown() -> None:
        await asyncio.to_thread(manager.stop)

    state.startup.append(startup)
    state.shutdown.append(shutdown)
