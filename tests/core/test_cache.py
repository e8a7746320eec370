"""The shared TTL cache: one computation for concurrent callers, expiry, errors not cached."""
import asyncio

import pytest

from app.core import cache


@pytest.fixture
def caching(monkeypatch):
    monkeypatch.setenv("TC_CACHE_TTL", "1")
    cache.clear()
    yield
    cache.clear()


@pytest.mark.req("NFR-01")
async def test_concurrent_callers_share_one_computation(caching):
    calls = 0

    async def compute():
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return calls

    results = await asyncio.gather(*[cache.cached("k", 60, compute) for _ in range(20)])
    assert results == [1] * 20 and calls == 1
    assert await cache.cached("k", 60, compute) == 1 and calls == 1  # still fresh


@pytest.mark.req("NFR-01")
async def test_expired_values_and_errors_are_recomputed(caching):
    calls = 0

    async def compute():
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database hiccup")
        return calls

    with pytest.raises(RuntimeError):
        await cache.cached("e", 60, compute)
    assert await cache.cached("e", 0.01, compute) == 2
    await asyncio.sleep(0.02)
    assert await cache.cached("e", 0.01, compute) == 3


@pytest.mark.req("NFR-01")
async def test_ttl_factor_zero_disables_caching(monkeypatch):
    monkeypatch.setenv("TC_CACHE_TTL", "0")
    calls = []

    async def compute():
        calls.append(1)
        return len(calls)

    assert [await cache.cached("z", 60, compute) for _ in range(3)] == [1, 2, 3]


@pytest.mark.req("NFR-01")
async def test_forget_prefix_drops_only_that_family(caching):
    calls = []

    async def compute():
        calls.append(1)
        return len(calls)

    assert await cache.cached(("a", 1), 60, compute) == 1
    assert await cache.cached(("b", 1), 60, compute) == 2
    cache.forget_prefix("a")
    assert await cache.cached(("a", 1), 60, compute) == 3  # recomputed
    assert await cache.cached(("b", 1), 60, compute) == 2  # kept


@pytest.mark.req("NFR-01")
async def test_stale_value_answered_while_one_background_refresh_runs(caching):
    calls, release = [], asyncio.Event()

    async def compute():
        calls.append(1)
        if len(calls) > 1:
            await release.wait()  # a slow recount
        return len(calls)

    assert await cache.cached("s", 0.01, compute, stale=60) == 1
    await asyncio.sleep(0.02)
    # expired: both readers get the old value at once, and only one refresh starts
    assert [await cache.cached("s", 0.01, compute, stale=60) for _ in range(2)] == [1, 1]
    await asyncio.sleep(0.01)
    assert len(calls) == 2
    assert await cache.cached("s", 0.01, compute, stale=60) == 1  # still refreshing: no second refresh
    assert len(calls) == 2
    release.set()
    await asyncio.sleep(0.01)
    assert await cache.cached("s", 60, compute, stale=60) == 2  # the refreshed value


@pytest.mark.req("NFR-01")
async def test_failed_background_refresh_keeps_the_stale_value(caching):
    calls = []

    async def compute():
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database hiccup")
        return len(calls)

    assert await cache.cached("f", 0.01, compute, stale=60) == 1
    await asyncio.sleep(0.02)
    assert await cache.cached("f", 0.01, compute, stale=60) == 1
    await asyncio.sleep(0.01)  # the refresh failed: still the old value, the next read tries again
    assert await cache.cached("f", 0.01, compute, stale=60) == 1
    await asyncio.sleep(0.01)
    assert await cache.cached("f", 0.01, compute, stale=60) == 3
