"""Start-up warm-ups: expensive first reads (the records tree's root counts at a million alumni) run
once when a web process or the worker starts, in the background, instead of on the first user's click.
Modules register a coroutine function; failures are logged, never fatal."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)
WARMERS: list[Callable[[], Awaitable[object]]] = []
_tasks: set[asyncio.Task] = set()


def register(fn: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[object]]:
    if fn not in WARMERS:
        WARMERS.append(fn)
    return fn


async def _run(fn) -> None:
    try:
        await fn()
    except Exception:
        log.warning("warm-up %s failed", getattr(fn, "__qualname__", fn), exc_info=True)


def start() -> list[asyncio.Task]:
    """Runs every registered warm-up in the background, one after the other (2 cores: not all at once)."""
    async def run_all() -> None:
        for fn in list(WARMERS):
            await _run(fn)

    task = asyncio.get_running_loop().create_task(run_all())
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)
    return [task]
