"""Per-token credential cache (mirrors `internal/credsretriever/refreshing_cache.go`).

Rules, as the real agent:
- key = the pod's service-account token; credentials are never shared between tokens;
- an entry is renewed `min(credential lifetime, renewal_ttl)` (3 h) after it was fetched;
- credentials with <= `min_ttl` (15 s) left are never served (the entry is dropped, the request
  becomes a miss);
- a failed renewal keeps the old credentials while they are valid and retries after
  `retry_interval` + jitter; an irrecoverable EKS Auth error (InvalidToken, ExpiredToken,
  AccessDenied, ResourceNotFound) evicts the entry;
- background renewals are rate limited (`refresh_qps`); misses are not;
- bounded size, least recently used entry evicted first.

podid additions: concurrent fetches for one token share one upstream call (singleflight, where the
Go agent polls an "active request" table), and a request that finds its entry due for renewal is
served the cached credentials at once while the renewal runs in the background.

All state lives on the event loop; only the blocking upstream call runs in the thread pool.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import partial

from podid.agent.credentials import PodCredentials
from podid.agent.errors import CredentialsTooShortError, UpstreamError, is_irrecoverable
from podid.agent.metrics import AgentMetrics
from podid.agent.ratelimit import TokenBucket
from podid.agent.upstream import Upstream

#: Called after every upstream call with None (success) or the exception raised.
UpstreamObserver = Callable[[BaseException | None], None]


@dataclass
class _Entry:
    creds: PodCredentials
    refresh_at: float


class CredentialCache:
    """Async front of an `Upstream` for one cluster."""

    def __init__(
        self,
        upstream: Upstream,
        cluster_name: str,
        executor: Executor,
        *,
        renewal_ttl: float = 3 * 3600,
        max_size: int = 2000,
        min_ttl: float = 15.0,
        retry_interval: float = 60.0,
        max_retry_jitter: float = 60.0,
        refresh_qps: float = 3.0,
        clock: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random,
        metrics: AgentMetrics | None = None,
        observer: UpstreamObserver | None = None,
    ) -> None:
        self._upstream = upstream
        self._cluster = cluster_name
        self._executor = executor
        self.renewal_ttl = renewal_ttl
        self.max_size = max_size
        self.min_ttl = min_ttl
        self.retry_interval = retry_interval
        self.max_retry_jitter = max_retry_jitter
        self._clock = clock
        self._rng = rng
        self._refresh_limiter = TokenBucket(refresh_qps, max(1, int(refresh_qps)))
        self.metrics = metrics or AgentMetrics()
        self._observer = observer
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._inflight: dict[str, asyncio.Future[PodCredentials]] = {}
        self._renewing: set[str] = set()
        self._background: set[asyncio.Task[None]] = set()

    # -- public -------------------------------------------------------------------------------

    @property
    def enabled(self) -> bool:
        """Caching is off when the size or the renewal TTL is 0 (like the real agent's flags)."""
        return self.max_size > 0 and self.renewal_ttl > 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, token: object) -> bool:
        return token in self._entries

    async def get(self, token: str) -> PodCredentials:
        """Credentials for `token`: cached if valid for more than `min_ttl`, else from upstream."""
        if self.enabled:
            entry = self._entries.get(token)
            if entry is not None:
                now = self._clock()
                if entry.creds.remaining(now) > self.min_ttl:
                    self._entries.move_to_end(token)
                    if now >= entry.refresh_at:
                        self._kick_renewal(token)
                    self.metrics.cache_state.inc("hit")
                    return entry.creds
                self._drop(token, "expired")
            self.metrics.cache_state.inc("miss")
        return await self._fetch(token)

    async def refresh_due(self) -> int:
        """Janitor sweep: drop expired entries, renew those due; returns how many renewals ran."""
        now = self._clock()
        due: list[str] = []
        for token, entry in list(self._entries.items()):
            if entry.creds.remaining(now) <= self.min_ttl:
                self._drop(token, "expired")
            elif now >= entry.refresh_at and token not in self._renewing:
                due.append(token)
        for token in due:
            self._renewing.add(token)
        await asyncio.gather(*(self._renew(token) for token in due))
        return len(due)

    async def drain(self) -> None:
        """Wait for background renewals started by requests (bounded: one pass over current tasks)."""
        if self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    def clear(self) -> None:
        """Forget every cached credential."""
        self._entries.clear()

    # -- internals ----------------------------------------------------------------------------

    def _drop(self, token: str, why: str) -> None:
        if self._entries.pop(token, None) is not None:
            self.metrics.cache_state.inc(why)

    def _kick_renewal(self, token: str) -> None:
        if token in self._renewing:
            return
        self._renewing.add(token)
        task = asyncio.get_running_loop().create_task(self._renew(token))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _renew(self, token: str) -> None:
        try:
            if token not in self._entries:
                return
            if not self._refresh_limiter.allow():
                self.metrics.cache_state.inc("renewal_throttled")
                self._reschedule(token)
                return
            try:
                await self._fetch(token)
                self.metrics.cache_state.inc("renewed")
            except Exception as exc:  # noqa: BLE001 - every failure is classified below
                code = exc.code if isinstance(exc, UpstreamError) else type(exc).__name__
                if is_irrecoverable(exc):
                    self.metrics.cache_errors.inc("NonRecoverable", code)
                    return
                self.metrics.cache_errors.inc("Recoverable", code)
                self._reschedule(token)
        finally:
            self._renewing.discard(token)

    def _reschedule(self, token: str) -> None:
        """Keep the old credentials after a failed/skipped renewal while they are valid."""
        entry = self._entries.get(token)
        if entry is None:
            return
        now = self._clock()
        remaining = entry.creds.remaining(now)
        if remaining <= self.min_ttl:
            self._drop(token, "expired")
            return
        retry = self.retry_interval + self._rng() * self.max_retry_jitter
        entry.refresh_at = now + min(remaining, retry)

    async def _fetch(self, token: str) -> PodCredentials:
        flight = self._inflight.get(token)
        if flight is None:
            flight = asyncio.ensure_future(self._call_and_store(token))
            self._inflight[token] = flight
            flight.add_done_callback(partial(self._flight_done, token))
        return await asyncio.shield(flight)

    def _flight_done(self, token: str, flight: asyncio.Future[PodCredentials]) -> None:
        if self._inflight.get(token) is flight:
            del self._inflight[token]
        if not flight.cancelled():
            flight.exception()  # mark retrieved even if every waiter went away

    async def _call_and_store(self, token: str) -> PodCredentials:
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        try:
            creds = await loop.run_in_executor(self._executor, self._upstream, self._cluster, token)
        except Exception as exc:
            self._observe(exc, "error", started)
            if is_irrecoverable(exc):
                self._drop(token, "evicted")
            raise
        self._observe(None, "ok", started)
        remaining = creds.remaining(self._clock())
        if remaining <= self.min_ttl:
            raise CredentialsTooShortError(
                "error getting credentials to cache: fetched credentials are expired or will expire "
                f"within the next {remaining:.2f} seconds"
            )
        if self.enabled:
            self._entries[token] = _Entry(creds, self._clock() + min(remaining, self.renewal_ttl))
            self._entries.move_to_end(token)
            while len(self._entries) > self.max_size:
                self._entries.popitem(last=False)
                self.metrics.cache_state.inc("evicted")
        return creds

    def _observe(self, exc: BaseException | None, outcome: str, started: float) -> None:
        self.metrics.upstream_calls.inc(outcome)
        self.metrics.upstream_seconds.inc(amount=time.perf_counter() - started)
        if self._observer is not None:
            self._observer(exc)
