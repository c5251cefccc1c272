"""`EksService`: the per-process EKS state shared by the EKS API, EKS Auth and the OIDC routes.

It lives in ``AppState.extras["eks"]`` (see :func:`podid.eks.server.install`) and holds the
repository, the cached issuer keys of each cluster (rotated every 7 days, persisted), the
:class:`~podid.eks.pods.PodDirectory`, the agent-heartbeat bookkeeping and hooks other components
use:

* ``endpoint_for(cluster)``: the cluster's Kubernetes API URL; ``endpoint_resolvers`` may be
  appended to by podid.k8s (first non-None wins), otherwise the stored ``endpoint`` column.
* ``on_cluster_created`` / ``on_cluster_deleted``: callables ``(ClusterRecord) -> None``.
* ``issuer(cluster)`` / ``issuer_keys(cluster)``: what a token issuer for the cluster needs.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from podid.eks import errors, ids
from podid.eks.pods import PodDirectory, SqlPodDirectory
from podid.eks.repo import AlreadyExists, ClusterRecord, EksRepo
from podid.oidc import IssuerKeys

DEFAULT_VERSION = "1.32"
SUPPORTED_VERSIONS = ("1.29", "1.30", "1.31", "1.32", "1.33")
#: issuer keys are re-read from the store at most this often (another process may rotate them)
KEY_CACHE_SECONDS = 60.0

EndpointResolver = Callable[[ClusterRecord], "str | None"]
ClusterHook = Callable[[ClusterRecord], None]


@dataclass
class _CachedKeys:
    keys: IssuerKeys
    loaded: float


@dataclass
class EksService:
    """EKS control-plane state for one podid process."""

    repo: EksRepo
    account_id: str
    default_region: str
    base_url: str                                   # podid's public URL, e.g. http://127.0.0.1:4566
    pods: PodDirectory
    clock: Callable[[], float] = time.time
    endpoint_resolvers: list[EndpointResolver] = field(default_factory=list)
    #: ``(cluster) -> base64 PEM | None``: ``certificateAuthority.data`` of DescribeCluster (podid.cluster)
    ca_resolvers: list[EndpointResolver] = field(default_factory=list)
    on_cluster_created: list[ClusterHook] = field(default_factory=list)
    on_cluster_deleted: list[ClusterHook] = field(default_factory=list)
    _keys: dict[int, _CachedKeys] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _seen: dict[tuple[int, str], float] = field(default_factory=dict)

    @classmethod
    def from_state(cls, state: Any) -> EksService:
        """Build the service for a gateway ``AppState`` (store engine, config URL, account)."""
        config = state.config
        return cls(repo=EksRepo.for_store(state.store), account_id=config.account_id,
                   default_region=config.region, base_url=config.url,
                   pods=SqlPodDirectory(state.store.engine))

    # -- issuer --------------------------------------------------------------------------------
    def issuer(self, cluster: ClusterRecord) -> str:
        """The cluster's OIDC issuer URL (served by podid itself; follows podid's current URL)."""
        return f"{self.base_url.rstrip('/')}/clusters/{cluster.name}/oidc/id/{cluster.oidc_id}"

    def issuer_keys(self, cluster: ClusterRecord, *, refresh: bool = False) -> IssuerKeys:
        """The cluster's signing keys (cached; rotated when due and persisted)."""
        now = self.clock()
        with self._lock:
            cached = self._keys.get(cluster.pk)
            if cached is not None and not refresh and now - cached.loaded < KEY_CACHE_SECONDS:
                return cached.keys
            record = self.repo.get_issuer_keys(cluster.pk)
            if record is None:
                keys = IssuerKeys.generate(int(now))
                self.repo.put_issuer_keys(cluster.pk, keys.to_record(), now)
            else:
                keys = IssuerKeys.from_record(record)
            rotated = keys.rotate_if_due(int(now))
            if rotated is not keys:
                self.repo.put_issuer_keys(cluster.pk, rotated.to_record(), now)
                keys = rotated
            self._keys[cluster.pk] = _CachedKeys(keys, now)
            return keys

    def resolve_issuer(self, oidc_id: str) -> tuple[str, IssuerKeys] | None:
        """``podid.oidc.cluster_routes`` resolver: issuer URL and keys by the issuer id."""
        cluster = self.repo.get_cluster_by_oidc_id(oidc_id)
        if cluster is None:
            return None
        return self.issuer(cluster), self.issuer_keys(cluster)

    # -- clusters ------------------------------------------------------------------------------
    def endpoint_for(self, cluster: ClusterRecord) -> str | None:
        for resolver in self.endpoint_resolvers:
            url = resolver(cluster)
            if url:
                return url
        return cluster.endpoint

    def certificate_authority_for(self, cluster: ClusterRecord) -> str | None:
        """The cluster's CA bundle (base64 PEM), from ``ca_resolvers`` (first non-None wins)."""
        for resolver in self.ca_resolvers:
            data = resolver(cluster)
            if data:
                return data
        return None

    def cluster(self, region: str, name: str, account_id: str | None = None) -> ClusterRecord:
        """The cluster or ResourceNotFoundException."""
        found = self.repo.get_cluster(account_id or self.account_id, region, name)
        if found is None:
            raise errors.no_cluster(name)
        return found

    def create_cluster(self, region: str, name: str, *, version: str | None = None,
                       role_arn: str | None = None, tags: Mapping[str, str] | None = None,
                       account_id: str | None = None) -> ClusterRecord:
        """Create a local cluster (ACTIVE at once, with fresh issuer keys)."""
        account = account_id or self.account_id
        if not ids.CLUSTER_NAME.fullmatch(name or ""):
            raise errors.invalid_parameter(
                "The cluster name must satisfy regular expression pattern: [0-9A-Za-z][A-Za-z0-9\\-_]* "
                "and be 1 to 100 characters long.")
        version = version or DEFAULT_VERSION
        if version not in SUPPORTED_VERSIONS:
            raise errors.invalid_parameter(f"unsupported Kubernetes version {version}")
        now = self.clock()
        keys = IssuerKeys.generate(int(now))
        try:
            record = self.repo.create_cluster(
                account_id=account, region=region, name=name, arn=ids.cluster_arn(region, account, name),
                cluster_id=str(uuid.uuid4()), version=version, oidc_id=ids.new_oidc_id(), role_arn=role_arn,
                endpoint=None, tags=dict(tags or {}), issuer_keys=keys.to_record(), now=now)
        except AlreadyExists as exc:
            raise errors.in_use(f"Cluster already exists with name: {name}") from exc
        with self._lock:
            self._keys[record.pk] = _CachedKeys(keys, now)
        for hook in self.on_cluster_created:
            hook(record)
        return record

    def ensure_cluster(self, name: str, *, region: str | None = None,
                       version: str | None = None) -> ClusterRecord:
        """Create ``name`` if absent (``podid up --cluster NAME``); returns the cluster either way."""
        region = region or self.default_region
        found = self.repo.get_cluster(self.account_id, region, name)
        if found is not None:
            return found
        try:
            return self.create_cluster(region, name, version=version)
        except Exception:
            found = self.repo.get_cluster(self.account_id, region, name)   # lost a race: fine
            if found is None:
                raise
            return found

    def delete_cluster(self, cluster: ClusterRecord) -> None:
        from podid.eks.repo import InUse

        try:
            self.repo.delete_cluster(cluster.pk)
        except InUse as exc:
            what = "pod identity associations" if "association" in str(exc) else "addons"
            raise errors.in_use(f"Cluster has {what} attached") from exc
        with self._lock:
            self._keys.pop(cluster.pk, None)
        for hook in self.on_cluster_deleted:
            hook(cluster)

    # -- agent liveness ------------------------------------------------------------------------
    def observe_agent_call(self, cluster: ClusterRecord, caller_arn: str, *, every: float = 10.0) -> None:
        """An authorized eks-auth call from ``caller_arn`` is an implicit HEALTHY heartbeat of the
        node agent (written at most every ``every`` seconds per caller)."""
        now = self.clock()
        key = (cluster.pk, caller_arn)
        last = self._seen.get(key)
        if last is not None and now - last < every:
            return
        self._seen[key] = now
        if len(self._seen) > 10000:
            self._seen.clear()
        self.repo.record_heartbeat(cluster.pk, node_name=f"caller:{caller_arn}"[:253], agent_id="eks-auth",
                                   status="HEALTHY", reasons=(), now=now)
