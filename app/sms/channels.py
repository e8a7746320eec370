"""Channel registry of the dispatcher (SMS-11): the enabled rows of sms_channel, each a live channel
object from app/adapters/sms_channels. `reload()` runs every few seconds, so adding, disabling,
re-configuring or removing a channel takes effect without a restart (hot-plug). `pick()` is a weighted
random choice among healthy channels that still have send budget this second (failover = an unhealthy
channel simply is not picked)."""
from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from app.adapters.sms_channels.base import MoMessage, Receipt, SmsChannel
from app.adapters.sms_channels.factory import make_channel
from app.core import db
from app.sms import alerts

log = logging.getLogger("sms.channels")


class TokenBucket:
    """Flow control: `rate` per second with a burst of half a second (0 = unlimited)."""

    def __init__(self, rate: float):
        self.set_rate(rate)
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def set_rate(self, rate: float) -> None:
        self.rate = float(rate) if rate and rate > 0 else 1e9
        self.capacity = max(self.rate * 0.5, 1.0)

    def available(self) -> int:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return int(self.tokens)

    def take(self, n: int) -> None:
        self.available()
        self.tokens -= n

    def wait_for(self, n: int) -> float:
        """Seconds until n more tokens are there."""
        return max(0.0, (n - self.available()) / self.rate)


@dataclass
class LiveChannel:
    id: int
    name: str
    kind: str
    weight: int
    signature: str  # kind + config: a change rebuilds the connection
    channel: SmsChannel
    bucket: TokenBucket
    health: str = "unknown"
    sent: int = field(default=0)

    @property
    def healthy(self) -> bool:
        return self.channel.healthy


ReceiptSink = Callable[[int, Receipt], Awaitable[None]]
MoSink = Callable[[int, MoMessage], Awaitable[None]]


class ChannelRegistry:
    def __init__(self, on_receipt: ReceiptSink, on_mo: MoSink):
        self.on_receipt = on_receipt
        self.on_mo = on_mo
        self.live: dict[int, LiveChannel] = {}

    async def reload(self) -> None:
        """Make the live set match the table: start new/changed channels, stop removed/disabled ones."""
        rows = await db.fetch("SELECT id, name, kind, config, weight, max_tps FROM sms_channel WHERE enabled")
        wanted = {r["id"]: r for r in rows}
        for channel_id in [c for c in self.live if c not in wanted]:
            await self._stop(channel_id, "removed or disabled")
        for channel_id, r in wanted.items():
            config = r["config"] if isinstance(r["config"], dict) else json.loads(r["config"] or "{}")
            signature = r["kind"] + json.dumps(config, sort_keys=True)
            current = self.live.get(channel_id)
            if current is not None and current.signature != signature:
                await self._stop(channel_id, "configuration changed")
                current = None
            if current is None:
                try:
                    channel = make_channel(r["name"], r["kind"], config)
                except Exception as exc:  # a bad row must not stop the others
                    log.warning("channel %s: cannot build: %s", r["name"], exc)
                    await db.execute("UPDATE sms_channel SET health = 'down', last_error = $2 WHERE id = $1",
                                     channel_id, str(exc)[:500])
                    continue
                channel.on_receipt = self._receipt_sink(channel_id)
                channel.on_mo = self._mo_sink(channel_id)
                await channel.start()
                current = self.live[channel_id] = LiveChannel(channel_id, r["name"], r["kind"], r["weight"],
                                                              signature, channel, TokenBucket(r["max_tps"]))
                log.info("channel %s (%s) started", r["name"], r["kind"])
            current.weight = max(0, r["weight"])
            current.bucket.set_rate(r["max_tps"])
        await self._report_health()

    def _receipt_sink(self, channel_id: int):
        async def sink(receipt: Receipt) -> None:
            await self.on_receipt(channel_id, receipt)
        return sink

    def _mo_sink(self, channel_id: int):
        async def sink(mo: MoMessage) -> None:
            await self.on_mo(channel_id, mo)
        return sink

    async def _stop(self, channel_id: int, why: str) -> None:
        live = self.live.pop(channel_id)
        log.info("channel %s stopped: %s", live.name, why)
        try:
            await live.channel.stop()
        except Exception as exc:  # stopping a broken connection may fail; it is gone either way
            log.warning("channel %s: stop failed: %s", live.name, exc)

    async def _report_health(self) -> None:
        """Write health changes to the table; a channel going down raises an alert."""
        for live in self.live.values():
            health = "up" if live.healthy else "down"
            if health != live.health:
                previous, live.health = live.health, health
                await db.execute("UPDATE sms_channel SET health = $2, checked_at = now() WHERE id = $1", live.id,
                                 health)
                if health == "down" and previous == "up":
                    await alerts.raise_alert("channel_down", "critical", f"channel {live.name} is down")

    def pick(self) -> LiveChannel | None:
        """Weighted choice among healthy channels with budget left this second."""
        ready = [c for c in self.live.values() if c.weight > 0 and c.healthy and c.bucket.available() > 0]
        if not ready:
            return None
        return random.choices(ready, weights=[c.weight for c in ready])[0]

    def get(self, channel_id: int | None) -> LiveChannel | None:
        return self.live.get(channel_id) if channel_id is not None else None

    async def stop_all(self) -> None:
        for channel_id in list(self.live):
            await self._stop(channel_id, "dispatcher stopping")
