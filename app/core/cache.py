"""A small in-process cache for expensive, slightly-stale-is-fine results (tree counts, dashboard
totals). Concurrent requests for the same key share one computation instead of stampeding the
database. TC_CACHE_TTL scales every TTL (0 disables caching, e.g. in tests that assert fresh counts)."""
from __future__ import annotations

import asyncio
import os
import time
from typing import Any, Awaitable, Callable, Hashable

_values: dict[Hashable, tuple[float, Any]] = {}
_pending: dict[Hashable, asyncio.Future] = {}
MAX_ENTRIES = 5000


def _factor() -> float:
    return float(os.environ.get("TC_CACHE_TTL", "1"))


async def cached(key: Hashable, ttl: float, compute: Callable[[], Awaitable[Any]]) -> Any:
    ttl = ttl * _factor()
    if ttl <= 0:
        return await compute()
    now = time.monotonic()
    hit = _values.get(key)
    if hit and hit[0] > now:
        return hit[1]
    if key in _pending:
        return await asyncio.shield(_pending[key])
    future = asyncio.get_running_loop().create_future()
    _pending[key] = future
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
    _values[key] = (now + ttl, value)
    future.set_result(value)
    return value


def clear() -> None:
    _values.clear()


def forget_prefix(prefix: str) -> None:
    """Drop every entry whose (tuple) key starts with `prefix`, after a write that changes them."""
    for key in [k for k in _values if isinstance(k, tuple) and k and k[0] == prefix]:
        _values.pop(key, None)
