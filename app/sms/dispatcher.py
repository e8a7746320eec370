"""The SMS dispatcher (SMS-10/11/13): moves messages from the outbox to the channels, exactly once.

Protocol, per message:
 1. claim (one transaction, FOR UPDATE SKIP LOCKED): status → `submitting`, attempt + 1, channel set,
    COMMITTED before the channel hears of it;
 2. submit through the channel with ref "m<id>" (the SMSC keeps it with the message);
 3. the outcome (`submitted` + segment ids / retry later / failed) is written by the Store in batches.
A message found in `submitting` that this process does not hold (crash of the dispatcher, lost commit
acknowledgement, PostgreSQL restart) goes back to `queued` with reason "in doubt: interrupted". A claim of a
message with attempt > 1 whose previous attempt may have reached the SMSC (anything but a plain SMSC error
status such as ESME_RTHROTTLED, or "not bound") first asks the channel `lookup(ref)`:
 - ids found → it was accepted: record them, do not send again;
 - None → the SMSC proves it never arrived (our simulator, HTTP providers): send it;
 - LookupInconclusive → the SMSC cannot be asked by reference (a standard SMSC answers ESME_RQUERYFAIL
   whether or not it holds the message): UNKNOWN is not "absent". The message is held as `submitted`
   without ids (reason "unconfirmed: …") and never resent; after the receipt window
   (dispatch_store.resolve_unconfirmed, job sms.unconfirmed) it becomes `unknown` — final, reported,
   not refunded, for an operator to review. A duplicate on a carrier costs more than a lost message
   that the customer is told about.
One dispatcher runs at a time (advisory lock); a second one waits.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import time

import asyncpg

from app.adapters.sms_channels.base import (
    ChannelUnavailable,
    LookupInconclusive,
    MoMessage,
    OutboundSms,
    Receipt,
)
from app.core import db
from app.sms import alerts, webhooks
from app.sms.channels import ChannelRegistry, LiveChannel, TokenBucket
from app.sms.dispatch_store import Store

log = logging.getLogger("sms.dispatcher")
LOCK_KEY = 0x5A5D15  # pg advisory lock: one active dispatcher
MAX_ATTEMPTS = 8
INTERRUPTED = "in doubt: interrupted"  # reason of a message whose attempt's outcome was lost
_NOT_SENT = re.compile(r"ESME_R\w+|not bound")  # previous outcomes that prove the SMSC did not take it


def maybe_accepted(previous_reason: str) -> bool:
    """Could the previous attempt (whose outcome left this reason) have reached the SMSC? Only an SMSC's own
    error status or "not bound" says no; timeouts, lost connections, crashes, partial sends say maybe."""
    return not _NOT_SENT.fullmatch(previous_reason or "")


def backoff(attempt: int) -> float:
    """Seconds before attempt `attempt + 1`: 1, 2, 4 … capped at a minute, with jitter."""
    return min(60.0, 2.0 ** max(0, attempt - 1)) * random.uniform(0.8, 1.2)


class Dispatcher:
    def __init__(self, *, batch_size: int = 500, max_inflight: int = 2000, flush_ms: int = 20,
                 reload_s: float = 3.0, idle_s: float = 0.5):
        self.batch_size, self.max_inflight = batch_size, max_inflight
        self.flush_s, self.reload_s, self.idle_s = flush_ms / 1000, reload_s, idle_s
        self.store = Store()
        self.registry = ChannelRegistry(self._on_receipt, self._on_mo)
        self.inflight: set[int] = set()  # claimed by us, outcome not yet durable
        self.accounts: dict[int, TokenBucket] = {}
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._stopping = False
        self._stop_event = asyncio.Event()
        self._paused = True  # until the lock is held and recovery ran
        self._lock_conn: asyncpg.Connection | None = None
        self._tasks: list[asyncio.Task] = []
        self._submits: set[asyncio.Task] = set()
        # recover() must never run between a claim's commit and the claimed ids entering `inflight`
        self._claim_lock = asyncio.Lock()
        self._checked = 0.0  # last platform health check (alerts)

    # --- lifecycle -----------------------------------------------------------------------------------
    async def start(self) -> None:
        await self._acquire_lock()
        await self.registry.reload()
        await self._load_accounts()
        await self.recover()
        self._paused = False
        for loop in (self._claim_loop, self._flush_loop, self._maintenance_loop, self._webhook_loop):
            self._tasks.append(asyncio.create_task(loop(), name=f"sms:{loop.__name__}"))

    async def stop(self) -> None:
        """Let the loops finish their current step (cancelling one inside a transaction could strand a
        pooled connection), then flush what is left."""
        self._stopping = True
        self._stop_event.set()
        self._wake.set()
        self._room.set()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=10)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._submits:  # the claim loop is done: no new ones
            await asyncio.wait(self._submits, timeout=5)
        try:
            await self.flush()
        except Exception as exc:  # nothing lost: rows left in submitting are reconciled at next start
            log.warning("final flush failed: %s", exc)
            self.store.abandon()
        await self.registry.stop_all()
        if self._lock_conn is not None and not self._lock_conn.is_closed():
            await self._lock_conn.close()

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake at once when stopping."""
        with contextlib.suppress(TimeoutError):  # the timeout is the normal end of the sleep
            await asyncio.wait_for(self._stop_event.wait(), seconds)

    async def run_forever(self) -> None:
        await self.start()
        try:
            while not self._stopping:
                await asyncio.sleep(3600)
        finally:
            await self.stop()

    async def _acquire_lock(self) -> None:
        """Hold the advisory lock on a connection of our own; LISTEN there for new work."""
        while not self._stopping:
            try:
                conn = await asyncpg.connect(**db.engine().config)
                if await conn.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY):
                    await conn.add_listener("sms_outbox", lambda *_a: self._wake.set())
                    self._lock_conn = conn
                    return
                await conn.close()
                log.info("another dispatcher is active; waiting")
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("waiting for PostgreSQL: %s", exc)
            await self._sleep(1.0)

    async def recover(self) -> int:
        """Messages in `submitting` that we do not hold go back to the queue; their next claim verifies
        with the channel (lookup) before sending anything."""
        async with self._claim_lock:
            rows = await db.fetch(
            "UPDATE sms_message SET status = 'queued', next_attempt_at = now(), updated_at = now(), reason = $2"
                " WHERE status = 'submitting' AND NOT (id = ANY($1::bigint[])) RETURNING id", list(self.inflight),
                INTERRUPTED)
        if rows:
            log.info("recovered %s messages left in submitting", len(rows))
        return len(rows)

    # --- claiming and submitting -------------------------------------------------------------------
    async def _claim_loop(self) -> None:
        while not self._stopping:
            try:
                if self._paused:
                    await self._sleep(0.2)
                    continue
                if len(self.inflight) >= self.max_inflight:
                    self._room.clear()
                    await asyncio.wait_for(self._room.wait(), 1.0)
                    continue
                claimed = await self.claim_once()
                if claimed == 0:
                    self._wake.clear()
                    await asyncio.wait_for(self._wake.wait(), self.idle_s)
            except TimeoutError:
                pass
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # PostgreSQL away: back off and try again
                log.warning("claim failed: %s", exc)
                await self._sleep(0.5)

    async def claim_once(self) -> int:
        """Claim one batch for one channel and start submitting it; returns how many were claimed."""
        async with self._claim_lock:
            return await self._claim()

    async def _claim(self) -> int:
        live = self.registry.pick()
        if live is None:
            return 0
        n = min(self.batch_size, self.max_inflight - len(self.inflight), live.bucket.available())
        if n <= 0:
            return 0
        enabled = list(self.registry.live)
        async with db.transaction():
            due = await db.fetch(
                "SELECT id, account, batch, status FROM sms_message WHERE status IN ('queued', 'scheduled')"
                " AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED", n)
            if not due:
                return 0
            allowed, deferred = self._account_flow(due)
            started = list({r["batch"] for r in due if r["status"] == "scheduled"})
            if started:  # a scheduled send begins: its batch leaves `scheduled`
                await db.execute("UPDATE sms_batch SET status = 'queued', updated_at = now()"
                                 " WHERE id = ANY($1::bigint[]) AND status = 'scheduled'", started)
            for delay, ids in deferred.items():
                await db.execute("UPDATE sms_message SET next_attempt_at = now() + make_interval(secs => $2)"
                                 " WHERE id = ANY($1::bigint[])", ids, delay)
            rows = await db.fetch(
                "UPDATE sms_message m SET status = 'submitting', attempt = m.attempt + 1, submitting_at = now(),"
                " updated_at = now(), channel = CASE WHEN m.attempt > 0 AND m.channel = ANY($2::int[])"
                " THEN m.channel ELSE $3 END WHERE m.id = ANY($1::bigint[])"
                " RETURNING m.id, m.phone, m.text, m.sender, m.attempt, m.channel, m.reason", allowed, enabled, live.id)
        live.bucket.take(len(rows))
        for row in rows:
            self.inflight.add(row["id"])
            channel = self.registry.get(row["channel"]) or live
            task = asyncio.create_task(self._submit(row, channel))
            self._submits.add(task)
            task.add_done_callback(self._submits.discard)
        return len(rows)

    def _account_flow(self, due: list[dict]) -> tuple[list[int], dict[float, list[int]]]:
        """Per-account flow control: rows over an account's budget wait until it refills."""
        allowed: list[int] = []
        deferred: dict[float, list[int]] = {}
        per_account: dict[int, list[int]] = {}
        for r in due:
            per_account.setdefault(r["account"], []).append(r["id"])
        for account, ids in per_account.items():
            bucket = self.accounts.get(account)
            if bucket is None:
                allowed += ids
                continue
            room = max(0, bucket.available())
            allowed += ids[:room]
            bucket.take(min(room, len(ids)))
            if len(ids) > room:
                delay = round(max(0.05, bucket.wait_for(len(ids) - room)), 2)
                deferred.setdefault(delay, []).extend(ids[room:])
        return allowed, deferred

    async def _submit(self, row: dict, live: LiveChannel) -> None:
        message_id, attempt = row["id"], row["attempt"]
        ref = f"m{message_id}"
        try:
            if attempt > 1 and maybe_accepted(row.get("reason", INTERRUPTED)):  # ask before sending again
                try:
                    ids = await live.channel.lookup(ref)
                except LookupInconclusive as exc:  # unknown is not absent: hold it, never resend
                    self.store.pending.held.append((message_id, live.id, f"unconfirmed: {exc}"))
                    return
                except ChannelUnavailable as exc:
                    self._retry(message_id, attempt, f"lookup: {exc or 'channel unavailable'}")
                    return
                if ids is not None:
                    self.store.pending.submitted.append((message_id, live.id, ids))
                    return
            result = await live.channel.submit(OutboundSms(ref, row["phone"], row["text"], row["sender"] or ""))
            if result.ok:
                live.sent += 1
                self.store.pending.submitted.append((message_id, live.id, result.channel_ids))
            elif result.retryable:
                self._retry(message_id, attempt, result.error)
            else:
                self.store.pending.failed.append((message_id, result.error or "rejected"))
        except Exception as exc:  # a bug or a broken channel must not lose the message: retry (verified)
            log.exception("submit of %s failed", ref)
            self._retry(message_id, attempt, str(exc) or type(exc).__name__)

    def _retry(self, message_id: int, attempt: int, error: str) -> None:
        if attempt >= MAX_ATTEMPTS:
            self.store.pending.failed.append((message_id, f"gave up after {attempt} attempts: {error}"))
        else:
            self.store.pending.retry.append((message_id, backoff(attempt), error))

    # --- results, receipts, MO -----------------------------------------------------------------------
    async def _on_receipt(self, channel_id: int, receipt: Receipt) -> None:
        """Returns once the receipt is committed: only then does the channel answer deliver_sm_resp."""
        stored = asyncio.get_running_loop().create_future()
        self.store.add_receipt(channel_id, receipt, stored)
        await stored

    async def _on_mo(self, channel_id: int, mo: MoMessage) -> None:
        self.store.pending.mo.append((channel_id, mo))

    async def flush(self) -> None:
        done = await self.store.flush()
        if done:
            self.inflight.difference_update(done)
            self._room.set()

    async def _flush_loop(self) -> None:
        delay = self.flush_s
        while not self._stopping:
            await self._sleep(delay)
            try:
                await self.flush()
                delay = self.flush_s
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep the outcomes in memory until PostgreSQL is back
                log.warning("flush failed (%s pending): %s", len(self.store.pending), exc)
                delay = min(2.0, max(0.2, delay * 2))

    # --- housekeeping --------------------------------------------------------------------------------
    async def _load_accounts(self) -> None:
        for r in await db.fetch("SELECT id, max_tps FROM sms_account"):
            bucket = self.accounts.get(r["id"])
            if bucket is None:
                self.accounts[r["id"]] = TokenBucket(r["max_tps"])
            else:
                bucket.set_rate(r["max_tps"])

    async def _maintenance_loop(self) -> None:
        """Channel hot-plug, account limits, and the lock: losing it (PostgreSQL restarted) pauses
        claiming until it is held again and recovery ran."""
        while not self._stopping:
            await self._sleep(self.reload_s if not self._paused else 0.5)
            if self._stopping:
                break
            try:
                if self._lock_conn is None or self._lock_conn.is_closed():
                    self._paused = True
                    await self._acquire_lock()
                    await self.recover()
                    self._paused = False
                await self.registry.reload()
                await self._load_accounts()
                if time.monotonic() - self._checked > 30:
                    self._checked = time.monotonic()
                    await alerts.check_platform()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("maintenance failed: %s", exc)

    async def _webhook_loop(self) -> None:
        """Push delivery reports and MO to customers' webhooks within about a second."""
        while not self._stopping:
            await self._sleep(1.0)
            if self._stopping:
                break
            try:
                await webhooks.push_due()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("webhook push failed: %s", exc)

    def stats(self) -> dict:
        return {**self.store.counts, "inflight": len(self.inflight), "pending": len(self.store.pending),
                "channels": {c.name: {"healthy": c.healthy, "sent": c.sent} for c in self.registry.live.values()}}


async def run() -> None:
    """`python -m app sms-dispatcher`: run until SIGTERM/SIGINT (then flush and stop cleanly), logging a
    line of figures a minute."""
    import os
    import signal

    dispatcher = Dispatcher(batch_size=int(os.environ.get("SMS_DISPATCH_BATCH", 500)),
                            max_inflight=int(os.environ.get("SMS_DISPATCH_INFLIGHT", 2000)))
    stop = asyncio.Event()

    def on_signal() -> None:
        stop.set()
        if dispatcher._paused:  # still waiting for the lock as a standby: give up waiting
            dispatcher._stopping = True

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    await dispatcher.start()
    started = time.monotonic()
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), 60)
        except TimeoutError:
            log.info("dispatcher %ss: %s", int(time.monotonic() - started), dispatcher.stats())
    await dispatcher.stop()
