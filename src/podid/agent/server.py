"""The agent process (mirrors `pkg/server` + `cmd/server.go`): listeners, servers, background loops.

One asyncio loop runs three uvicorn servers on sockets the agent binds itself:
- credentials on every bind host at `port` (default 127.0.0.1 and ::1) and, with `link_local`,
  169.254.170.23 / fd00:ec2::23 at 80 — skipped with a warning when not bindable;
- probes (`/healthz`, `/readyz`, `/status`) on `probe_host:probe_port`;
- metrics (`/metrics`, plus the probes, as the Go agent) on `metrics_host:metrics_port`.
Background: the cache janitor (renewals) and the heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import signal
import socket
import threading
import time
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import uvicorn

from podid.agent.cache import CredentialCache
from podid.agent.config import LINK_LOCAL_HOSTS, AgentConfig
from podid.agent.handlers import CredentialsApp, ProbeApp, url_host
from podid.agent.health import HealthTracker, Heartbeat
from podid.agent.metrics import AgentMetrics
from podid.agent.protocol import MAX_HEADER_BLOCK, AgentH11Protocol
from podid.agent.ratelimit import TokenBucket
from podid.agent.upstream import Upstream
from podid.gateway.listener import bare_host
from podid.gateway.listener import bind as bind_socket

log = logging.getLogger("podid.agent")


def bind_group(
    hosts: tuple[str, ...], port: int, *, attempts: int = 5
) -> tuple[list[socket.socket], list[str], list[str]]:
    """Bind every host on one shared port (port 0: the first host picks it; retried if a later host
    finds it taken). Returns (sockets, bound hosts, skipped "host:port (reason)")."""
    for _ in range(attempts):
        sockets: list[socket.socket] = []
        bound: list[str] = []
        skipped: list[str] = []
        chosen = port
        retry = False
        for host in hosts:
            try:
                sock = bind_socket(host, chosen)
            except OSError as exc:
                if port == 0 and sockets and exc.errno == errno.EADDRINUSE:
                    retry = True
                    break
                skipped.append(f"{url_host(bare_host(host))}:{chosen} ({exc.strerror or exc})")
                continue
            if chosen == 0:
                chosen = sock.getsockname()[1]
            sockets.append(sock)
            bound.append(bare_host(host))
        if not retry:
            return sockets, bound, skipped
        for sock in sockets:
            sock.close()
    raise OSError(errno.EADDRINUSE, f"could not find one free port for {', '.join(hosts)}")


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling (the agent owns SIGINT/SIGTERM for all servers)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def _uvicorn(app: Any) -> _Server:
    """One uvicorn server on the agent's own HTTP/1.1 protocol (`podid.agent.protocol`): Go's
    header limit and protocol-error answers, lingering close; h11 always, never httptools."""
    return _Server(
        uvicorn.Config(
            app,
            http=AgentH11Protocol,
            ws="none",
            h11_max_incomplete_event_size=MAX_HEADER_BLOCK,
            interface="asgi3",
            lifespan="off",
            proxy_headers=False,
            server_header=False,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=5,
        )
    )


class Agent:
    """The running agent. `await start()`, then `await stop()`; or `async with Agent(...)`."""

    def __init__(
        self,
        config: AgentConfig,
        upstream: Upstream,
        *,
        heartbeat: Heartbeat | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.clock = clock
        self.metrics = AgentMetrics()
        self.health = HealthTracker(cluster_name=config.cluster_name)
        self.executor = ThreadPoolExecutor(
            max_workers=config.upstream_threads, thread_name_prefix="podid-agent-upstream"
        )
        self.cache = CredentialCache(
            upstream,
            config.cluster_name,
            self.executor,
            renewal_ttl=config.renewal_ttl,
            max_size=config.max_cache_size,
            refresh_qps=config.refresh_qps,
            metrics=self.metrics,
            observer=self.health.observe_upstream,
            clock=clock,
        )
        self.health.cache_size = lambda: len(self.cache)
        self.metrics.registry.gauge(
            "podid_agent_cache_entries", "Credentials held in the cache", lambda: len(self.cache)
        )
        self.heartbeat = heartbeat
        self.credential_addresses: list[tuple[str, int]] = []
        self.probe_address: tuple[str, int] | None = None
        self.metrics_address: tuple[str, int] | None = None
        self._servers: list[_Server] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind, serve, start the janitor and heartbeat. Raises if no credential listener binds."""
        cfg = self.config
        sockets, bound, skipped = bind_group(cfg.bind_hosts, cfg.port)
        for warning in skipped:
            log.warning("not serving credentials on %s", warning)
        port = sockets[0].getsockname()[1] if sockets else cfg.port
        self.credential_addresses = [(h, port) for h in bound]
        required_skipped: list[str] = []
        if cfg.link_local:
            for host in LINK_LOCAL_HOSTS:
                ll_sockets, ll_bound, ll_skipped = bind_group((host,), cfg.link_local_port)
                for warning in ll_skipped:
                    log.warning("link-local address not bindable, skipping %s", warning)
                sockets += ll_sockets
                skipped += ll_skipped
                required_skipped += ll_skipped
                self.credential_addresses += [(h, cfg.link_local_port) for h in ll_bound]
        if not sockets:
            raise OSError(f"no credential listener could be bound: {'; '.join(skipped)}")
        allowed = list(dict.fromkeys(h for h, _ in self.credential_addresses))
        self.health.listening = tuple(f"{url_host(h)}:{p}" for h, p in self.credential_addresses)
        self.health.skipped = tuple(skipped)
        self.health.required_skipped = tuple(required_skipped)
        creds_app = CredentialsApp(
            self.cache,
            allowed,
            limiter=TokenBucket(cfg.request_rate, cfg.request_burst),
            metrics=self.metrics,
            verify_iat=cfg.verify_iat,
            clock=self.clock,
        )
        await self._serve(creds_app, sockets)
        if cfg.probe_port is not None:
            probe_sock = bind_socket(cfg.probe_host, cfg.probe_port)
            self.probe_address = (bare_host(cfg.probe_host), probe_sock.getsockname()[1])
            await self._serve(ProbeApp(self.credential_addresses, self.health), [probe_sock])
        if cfg.metrics_port is not None:
            metrics_sock = bind_socket(cfg.metrics_host, cfg.metrics_port)
            self.metrics_address = (bare_host(cfg.metrics_host), metrics_sock.getsockname()[1])
            await self._serve(
                ProbeApp(self.credential_addresses, self.health, metrics=self.metrics), [metrics_sock]
            )
        self._tasks.append(asyncio.create_task(self._janitor()))
        if self.heartbeat is not None:
            self._tasks.append(asyncio.create_task(self._heartbeat_loop()))
        log.info(
            "podid agent for cluster %s serving credentials on %s",
            cfg.cluster_name,
            ", ".join(self.health.listening),
        )

    async def _serve(self, app: Any, sockets: list[socket.socket]) -> None:
        server = _uvicorn(app)
        self._servers.append(server)
        self._tasks.append(asyncio.create_task(server.serve(sockets=sockets)))
        for _ in range(500):  # bounded: 5 s
            if server.started:
                return
            await asyncio.sleep(0.01)
        raise RuntimeError("agent server did not start")

    async def stop(self) -> None:
        """Graceful shutdown; sends a final STOPPED heartbeat."""
        self._stopping.set()
        for server in self._servers:
            server.should_exit = True
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self.heartbeat is not None:
            await self._beat(stopped=True)
        self.executor.shutdown(wait=False, cancel_futures=True)

    async def wait_stopped(self) -> None:
        """Block until `stop` is requested."""
        await self._stopping.wait()

    async def __aenter__(self) -> Agent:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- background ---------------------------------------------------------------------------

    async def _sleep(self, seconds: float) -> bool:
        """Sleep unless stopping; True when the agent is stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        return self._stopping.is_set()

    async def _janitor(self) -> None:
        while not await self._sleep(self.config.cleanup_interval):
            try:
                await self.cache.refresh_due()
            except Exception:  # noqa: BLE001 - the janitor must survive
                log.exception("cache sweep failed")

    async def _beat(self, *, stopped: bool = False) -> None:
        assert self.heartbeat is not None
        status = self.health.status(stopped=stopped)
        try:
            await asyncio.wait_for(
                asyncio.get_running_loop().run_in_executor(None, self.heartbeat, status), 10
            )
        except Exception as exc:  # noqa: BLE001 - a failed heartbeat is logged, never fatal
            log.warning("heartbeat failed: %s", exc)

    async def _heartbeat_loop(self) -> None:
        await self._beat()
        while not await self._sleep(self.config.heartbeat_interval):
            await self._beat()

    # -- helpers ------------------------------------------------------------------------------

    @property
    def urls(self) -> list[str]:
        """`http://host:port/v1/credentials` for every credential listener."""
        return [f"http://{url_host(h)}:{p}/v1/credentials" for h, p in self.credential_addresses]


def run(config: AgentConfig, upstream: Upstream, *, heartbeat: Heartbeat | None = None) -> None:
    """Run until SIGINT/SIGTERM (the CLI's entry point)."""

    async def main() -> None:
        agent = Agent(config, upstream, heartbeat=heartbeat)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, agent._stopping.set)
        await agent.start()
        await agent.wait_stopped()
        await agent.stop()

    asyncio.run(main())


class AgentThread:
    """The agent on its own event loop in a daemon thread (tests, benches, in-process embedding)."""

    def __init__(
        self,
        config: AgentConfig,
        upstream: Upstream,
        *,
        heartbeat: Heartbeat | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config, self.upstream, self.heartbeat, self.clock = config, upstream, heartbeat, clock
        self.agent: Agent | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self, timeout: float = 10.0) -> Agent:
        """Start and wait until every listener serves."""
        self._thread = threading.Thread(target=self._run, name="podid-agent", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("agent did not start")
        if self._error is not None:
            raise self._error
        assert self.agent is not None
        return self.agent

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self.agent = Agent(self.config, self.upstream, heartbeat=self.heartbeat, clock=self.clock)
            try:
                await self.agent.start()
            except BaseException as exc:
                self._error = exc
                self._ready.set()
                return
            self._ready.set()
            await self.agent.wait_stopped()
            await self.agent.stop()

        asyncio.run(main())

    def call(self, coro: Any, timeout: float = 30.0) -> Any:
        """Run a coroutine on the agent's loop and return its result."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def stop(self, timeout: float = 15.0) -> None:
        """Stop and join."""
        if (
            self._loop is not None
            and self.agent is not None
            and self._thread is not None
            and self._thread.is_alive()
        ):
            self._loop.call_soon_threadsafe(self.agent._stopping.set)
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> Agent:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def iter_addresses(agent: Agent) -> Iterator[str]:
    """`host:port` strings of the credential listeners."""
    for host, port in agent.credential_addresses:
        yield f"{url_host(host)}:{port}"
