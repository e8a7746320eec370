"""Realtime fan-out between web processes (IM-13; SSE to browsers): a process-wide hub on a Litestar channels
backend — PostgreSQL LISTEN/NOTIFY by default, Redis pub/sub when `TC_REALTIME_URL=redis://…` names one (several
web processes or machines).

Publishers call `publish(channel, text)`; on PostgreSQL it is a `pg_notify` on the caller's pool connection, so
inside `db.transaction()` it is delivered on commit and never for a rolled-back write. Each process holds one
backend subscription per channel however many local listeners it has; `listen(channel, callback)` registers a
plain callback that must be quick (it runs on the event loop for every event: index, queue, return). A module
builds its own second-level routing on top (the messenger routes by conversation), so one event costs one
notification per process, not one per recipient.

Payloads are small (ids, at most a few hundred bytes: NOTIFY caps them at 8,000); readers load the rest.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Iterable

from litestar.channels import ChannelsBackend
from litestar.channels.backends.asyncpg import AsyncPgChannelsBackend

from app.core import db

log = logging.getLogger(__name__)
Callback = Callable[[str, str], None]  # (channel, payload)


class PoolNotifyBackend(AsyncPgChannelsBackend):
    """Litestar's asyncpg backend, publishing through the pool (one connection per publish is what the stock
    backend does: far too slow for chat) and reconnecting its LISTEN connection when it is lost."""

    def __init__(self, dsn: str):
        super().__init__(dsn=dsn)
        self._dsn = dsn
        self.lost = asyncio.Event()

    async def on_startup(self) -> None:
        await super().on_startup()
        self._listener_conn.add_termination_listener(lambda _c: self.lost.set())

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        for channel in channels:
            await db.execute("SELECT pg_notify($1, $2)", channel, data.decode())

    async def reconnect(self) -> None:
        channels = set(self._subscribed_channels)
        with contextlib.suppress(Exception):
            await self._listener_conn.close()
        self._subscribed_channels.clear()
        self.lost = asyncio.Event()
        self._listener_conn = await self._connect()
        self._listener_conn.add_termination_listener(lambda _c: self.lost.set())
        await self.subscribe(channels)


def _make_backend() -> ChannelsBackend:
    url = os.environ.get("TC_REALTIME_URL", "")
    if url.startswith("redis"):
        from litestar.channels.backends.redis import RedisChannelsPubSubBackend
        from redis.asyncio import Redis

        return RedisChannelsPubSubBackend(redis=Redis.from_url(url))
    return PoolNotifyBackend(db.engine().config["dsn"])


class Hub:
    def __init__(self, backend: ChannelsBackend | None = None):
        self._backend = backend
        self._callbacks: dict[str, list[Callback]] = {}
        self._started = False
        self._lock = asyncio.Lock()
        self._pump: asyncio.Task | None = None
        self._watch: asyncio.Task | None = None
        self.delivered = 0  # events handed to callbacks (for the bench)

    @property
    def backend(self) -> ChannelsBackend:
        if self._backend is None:
            self._backend = _make_backend()
        return self._backend

    async def _start(self) -> None:
        await self.backend.on_startup()
        self._pump = asyncio.get_running_loop().create_task(self._run())
        if isinstance(self.backend, PoolNotifyBackend):
            self._watch = asyncio.get_running_loop().create_task(self._keep_connected(self.backend))
        self._started = True

    async def _run(self) -> None:
        async for channel, data in self.backend.stream_events():
            text = data.decode() if isinstance(data, bytes) else str(data)
            for callback in list(self._callbacks.get(channel, ())):
                try:
                    callback(channel, text)
                    self.delivered += 1
                except Exception:
                    log.exception("realtime callback on %s failed", channel)

    async def _keep_connected(self, backend: PoolNotifyBackend) -> None:
        while True:
            await backend.lost.wait()
            log.warning("realtime LISTEN connection lost; reconnecting (listeners resume from their last id)")
            for channel in list(self._callbacks):  # tell listeners: events may have been missed
                for callback in list(self._callbacks[channel]):
                    with contextlib.suppress(Exception):
                        callback(channel, "")
            while True:
                try:
                    await backend.reconnect()
                    break
                except Exception:
                    await asyncio.sleep(1)

    async def listen(self, channel: str, callback: Callback) -> Callable[[], None]:
        """Call `callback(channel, payload)` for every event on `channel` (an empty payload: the connection was
        lost and events may be missing — resume from the database). Returns the function that stops it."""
        async with self._lock:
            if not self._started:
                await self._start()
            if channel not in self._callbacks:
                await self.backend.subscribe([channel])
            self._callbacks.setdefault(channel, []).append(callback)

        def stop() -> None:
            callbacks = self._callbacks.get(channel, [])
            if callback in callbacks:
                callbacks.remove(callback)

        return stop

    async def publish(self, channel: str, payload: str) -> None:
        if isinstance(self._backend, PoolNotifyBackend) or (self._backend is None and not os.environ.get(
                "TC_REALTIME_URL", "").startswith("redis")):
            await db.execute("SELECT pg_notify($1, $2)", channel, payload)  # no startup needed to publish
            return
        async with self._lock:
            if not self._started:
                await self._start()
        await self.backend.publish(payload.encode(), [channel])

    async def stop(self) -> None:
        for task in (self._pump, self._watch):
            if task:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self._started:
            with contextlib.suppress(Exception):
                await self.backend.on_shutdown()
        self._started = False
        self._callbacks.clear()


_hub: Hub | None = None


def hub() -> Hub:
    global _hub
    if _hub is None:
        _hub = Hub()
    return _hub


async def publish(channel: str, payload: str) -> None:
    await hub().publish(channel, payload)


async def listen(channel: str, callback: Callback) -> Callable[[], None]:
    return await hub().listen(channel, callback)


async def stop() -> None:
    """At shutdown (and between tests: a hub belongs to one event loop)."""
    global _hub
    if _hub is not None:
        await _hub.stop()
    _hub = None
