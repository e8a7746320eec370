"""A small in-process cache for expensive, slightly-stale-is-fine results (tree counts, dashboard
totals). Concurrent requests for the same key share one computation instead of stampeding the
database. TC_CACHE_TTL scales every TTL (0 disables caching, e.g. in tests that assert fresh counts)."""
from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

log = logging.getLogger(__name__)
_values: dict[Hashable, tuple[float, Any]] = {}
_pending: dict[Hashable, asyncio.Future] = {}
MAX_ENTRIES = 5000


def _factor() -> float:
    return float(os.environ.get("TC_CACHE_TTL", "1"))


async def cached(key: Hashable, ttl: float, compute: Callable[[], Awaitable[Any]], stale: float = 0) -> Any:
    """`compute()`'s value for `ttl` seconds. With `stale`, an expired value is still answered for that
    many seconds more while ONE background refresh runs: readers never wait on a slow recount."""
    ttl, stale = ttl * _factor(), stale * _factor()
    if ttl <= 0:
        return await compute()
    now = time.monotonic()
    hit = _values.get(key)
    if hit and hit[0] > now:
        return hit[1]
    if hit and hit[0] + stale > now:
        if key not in _pending:
            task = asyncio.ensure_future(_refresh(key, ttl, compute, _claim(key)))
            _refreshing.add(task)
            task.add_done_callback(_refreshing.discard)
        return hit[1]
    if key in _pending:
        return await asyncio.shield(_pending[key])
    return await _compute(key, ttl, compute, _claim(key))


_refreshing: set[asyncio.Future] = set()  # background refreshes, referenced until done


def _claim(key: Hashable) -> asyncio.Future:
    """Registered before any await, so concurrent callers find it and share it."""
    future = asyncio.get_running_loop().create_future()
    _pending[key] = future
    return future


async def _compute(key: Hashable, ttl: float, compute: Callable[[], Awaitable[Any]], future: asyncio.Future) -> Any:
    try:
        value = await compute()
    except BaseException as exc:
        future.set_exception(exc)
        future.exception()  # mark retrieved: waiters re-raise it, nobody else must
        raise
    finally:
        _pending.pop(key, None)
    if len(_values) >= MAX_ENTRIES:
        _values.clear()
    _values[key] = (time.monotonic() + ttl, value)
    future.set_result(value)
    return value


async def _refresh(key: Hashable, ttl: float, compute: Callable[[], Awaitable[Any]], future: asyncio.Future) -> None:
    try:
        await _compute(key, ttl, compute, future)
    except Exception:
        log.warning("background refresh of %r failed", key, exc_info=True)


def clear() -> None:
    _values.clear()


def forget_prefix(prefix: str) -> None:
    """Drop every entry whose (tuple) key starts with `prefix`, after a write that changes them."""
    for key in [k for k in _values if isinstance(k, tuple) and k and k[0] == prefix]:
        _values.pop(key, None)
