"""CredentialCache with an injected upstream callable: renewal window, 15 s rule, eviction,
coalescing, failed renewal, LRU bound."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from agent_helpers import FakeClock, FakeUpstream

from podid.agent.cache import CredentialCache
from podid.agent.errors import CredentialsTooShortError, UpstreamError, UpstreamUnavailableError

T = TypeVar("T")
HOUR = 3600.0


def run(body: Callable[[CredentialCache, FakeUpstream, FakeClock], Awaitable[T]], **kw: Any) -> T:
    """Run `body` against a fresh cache (jitter 0, generous renewal QPS) on a new loop."""
    clock = FakeClock()
    upstream = FakeUpstream(clock, lifetime=kw.pop("lifetime", 6 * HOUR), delay=kw.pop("delay", 0.0))
    options: dict[str, Any] = {"max_retry_jitter": 0.0, "refresh_qps": 1000.0, "clock": clock}
    options.update(kw)

    async def main() -> T:
        with ThreadPoolExecutor(max_workers=8) as pool:
            cache = CredentialCache(upstream, "c1", pool, **options)
            result = await body(cache, upstream, clock)
            await cache.drain()
            return result

    return asyncio.run(main())


def test_miss_then_hit() -> None:
    async def body(cache: CredentialCache, up: FakeUpstream, clock: FakeClock) -> None:
        first = await cache.get("tok-a")
        second = await cache.get("tok-a")
        assert first is second
        assert len(up.calls) == 1
        assert cache.metrics.cache_state.value("hit") == 1
        assert cache.metrics.cache_state.value("miss") == 1

    run(body)


def test_credentials_never_shared_between_tokens() -> None:
    async def body(cache: CredentialCache, up: FakeUpstream, clock: FakeClock) -> None:
        a, b = await cache.get("tok-a"), await cache.get("tok-b")
        assert a.access_key_id != b.access_key_id
        assert up.calls == ["tok-a", "tok-b"]

    run(body)


def test_renewal_at_renewal_ttl_for_long_credentials() -> None:
    async def body(cache: CredentialCache, up: FakeUpstream, clock: FakeClock) -> None:
        old = await cache.get("t")
        clock.advance(3 * HOUR - 1)
        assert await cache.get("t") is old
        await cache.drain()
        assert len(up.calls) == 1  # not yet due
        clock.advance(1)
        assert await cache.get("t") is old  # served at once, renewal in the background
        await cache.drain()
        assert len(up.calls) == 2
        new = await cache.get("t")
        assert new is not old and new.access_key_id == "ASIAFAKE000000000002"

    run(body)


def test_renewal_at_expiry_for_short_credentials_and_15s_rule() -> None:
    async def body(cache: CredentialCache, up: FakeUpstream, clock: FakeClock) -> None:
        old = await cache.get("t")  # 1 h credentials: refresh at min(1 h, 3 h) = 1 h
        clock.advance(HOUR - 16)  # 16 s left: still served
        assert await cache.get("t") is old
        clock.advance(1)  # exactly 15 s left: never served
        new = await cache.get("t")
        assert new is not old
        assert len(up.calls) == 2

    run(body, lifetime=HOUR)


def test_renewal_ttl_setting_is_honoured() -> None:
    async def body(cache: CredentialCache, up: FakeUpstream, clock: FakeClock) -> None:
        await cache.get("t")
        clock.advance(600)
        await cache.get("t")
        await cache.drain()
        assert len(up.calls) == 2

    run(body, renewal_ttl=600.0)


def test_fetched_credentials_too_short_are_refused_not_cached() -> None:
    async def body(cache: CredentialCache, up: FakeUpstream, clock: FakeClock) -> None:
        with pytest.raises(CredentialsTooShortError, match="will expire within the next 10.00 seconds"):
            await cache.get("t")
        assert "t" not in cache

    run(body, lifetime=10.0)


def test_failed_renewal_keeps_old_credentials_until_they_expire() -> None:
    async def body(cache: CredentialCache, up: FakeUpstream, clock: FakeClock) -> None:
        old = await cache.get("t")
        up.error = UpstreamUnavailableError("Could not connect to the endpoint URL")
        clock.advance(HOUR)  # due (renewal_ttl = 1 h)
        assert await cache.get("t") is old
        await cache.drain()
        assert len(up.calls) == 2
        # rescheduled after retry_interval: no upstream call in between
        clock.advance(30)
        assert await cache.get("t") is old
        await cache.drain()
        assert len(up.calls) == 2
        clock.advance(31)
        assert await cache.get("t") is old
        await cache.drain()
        assert len(up.calls) == 3
        assert cache.metrics.cache_errors.value("Recoverable", "UpstreamUnavailableError") == 2
        # EKS Auth still down when the credentials run out: a clear error
        clock.now = old.expiration - 15
        with pytest.raises(UpstreamUnavailableError, match="Could not connect"):
            await cache.get("t")
        # EKS Auth back: served again
        up.error = None
        assert (await cache.get("t")) is not old

    run(body, lifetime=2 * HOUR, renewal_ttl=HOUR)


@pytest.mark.parametrize(
    "code",
    ["InvalidTokenException", "ExpiredTokenException", "AccessDeniedException", "ResourceNotFoundException"],
)
def test_irrecoverable_renewal_error_evicts(code: str) -> None:
    async def body(cache: CredentialCache, up: FakeUpstream, clock: FakeClock) -> None:
        await cache.get("t")
        up.error = UpstreamError(code, "gone", 400, "r", "client")
        clock.advance(3 * HOUR)
        assert await cache.refresh_due() == 1
        assert "t" not in cache
        with pytest.raises(UpstreamError) as info:
            await cache.get("t")
        assert info.value.code == code
        assert cache.metrics.cache_errors.value("NonRecoverable", code) == 1

    run(body)


@pytest.mark.parametrize(
    "code", ["ThrottlingException", "InternalServerException", "ServiceUnavailableException"]
)
def test_recoverable_renewal_error_keeps(code: str) -> None:
    async def body(cache: CredentialCache, up: FakeUpstream, clock: FakeClock) -> None:
        old = await cache.get("t")
        up.error = UpstreamError(code, "later", 500, "r", "server")
        clock.advance(3 * HOUR)
        await cache.refresh_due()
        assert "t" in cache
        assert await cache.get("t") is old

    run(body)


def test_concurrent_misses_coalesce_into_one_upstream_call() -> None:
    async def body(cache: CredentialCache, up: FakeUpstream, clock: FakeClock) -> None:
        results = await asyncio.gather(*(cache.get("same-token") for _ in range(50)))
        assert len(up.calls) == 1
        assert len({r.access_key_id for r in results}) == 1
        others = await asyncio.gather(*(cache.get(f"tok-{i % 5}") for i in range(50)))
        assert len(up.calls) == 1 + 5
        assert len({r.access_key_id for r in others}) == 5

    run(body, delay=0.05)


def test_concurrent_misses_share_one_failure() -> None:
    async def body(cache: CredentialCache, up: FakeUpstream, clock: FakeClock) -> None:
        up.error = UpstreamError("AccessDeniedException", "no", 400, "r", "client")
        results = await asyncio.gather(*(cache.get("t") for _ in range(20)), return_exceptions=True)
        assert len(up.calls) == 1
        assert all(isinstance(r, UpstreamError) for r in results)

    run(body, delay=0.05)


def test_cancelled_waiter_does_not_cancel_shared_call() -> None:
    async def body(cache: CredentialCache, up: FakeUpstream, clock: FakeClock) -> None:
        first = asyncio.ensure_future(cache.get("t"))
        await asyncio.sleep(0.01)
        second = asyncio.ensure_future(cache.get("t"))
        first.cancel()
        creds = await second
        assert creds.access_key_id and len(up.calls) == 1

    run(body, delay=0.05)


def test_lru_bound() -> None:
    async def body(cache: CredentialCache, up: FakeUpstream, clock: FakeClock) -> None:
        await cache.get("a")
        await cache.get("b")
        await cache.get("a")  # a is now most recent
        await cache.get("c")  # evicts b
        assert len(cache) == 2 and "a" in cache and "c" in cache and "b" not in cache
        await cache.get("b")
        assert up.calls == ["a", "b", "c", "b"]

    run(body, max_size=2)


@pytest.mark.parametrize("options", [{"max_size": 0}, {"renewal_ttl": 0.0}])
def test_cache_disabled(options: dict[str, Any]) -> None:
    async def body(cache: CredentialCache, up: FakeUpstream, clock: FakeClock) -> None:
        await cache.get("t")
        await cache.get("t")
        assert len(up.calls) == 2 and len(cache) == 0

    run(body, **options)


def test_janitor_drops_expired_and_renews_due() -> None:
    async def body(cache: CredentialCache, up: FakeUpstream, clock: FakeClock) -> None:
        await cache.get("short")
        up.lifetime = 6 * HOUR
        await cache.get("long")
        clock.advance(HOUR)
        assert await cache.refresh_due() == 0
        assert "short" not in cache  # expired, dropped, not renewed (no pod asked)
        clock.advance(2 * HOUR)
        assert await cache.refresh_due() == 1
        assert up.calls == ["short", "long", "long"]

    run(body, lifetime=HOUR)


def test_background_renewals_are_rate_limited() -> None:
    async def body(cache: CredentialCache, up: FakeUpstream, clock: FakeClock) -> None:
        for i in range(5):
            await cache.get(f"t{i}")
        clock.advance(3 * HOUR)
        await cache.refresh_due()
        assert len(up.calls) == 5 + 1  # one token in the bucket
        assert cache.metrics.cache_state.value("renewal_throttled") == 4
        assert len(cache) == 5  # throttled entries kept

    run(body, refresh_qps=1.0)


def test_upstream_observer_sees_outcomes() -> None:
    seen: list[BaseException | None] = []

    async def body(cache: CredentialCache, up: FakeUpstream, clock: FakeClock) -> None:
        await cache.get("t")
        up.error = UpstreamUnavailableError("down")
        with pytest.raises(UpstreamUnavailableError):
            await cache.get("u")

    run(body, observer=seen.append)
    assert seen[0] is None and isinstance(seen[1], UpstreamUnavailableError)
