"""The dispatcher's writes, batched and idempotent (SMS-10). Submit outcomes, receipts and MO collect in
memory and are written together, one transaction per flush, every few milliseconds. If PostgreSQL is
away the buffers are kept and the flush retried until it is back. Every statement is guarded by the
current state (`WHERE status = 'submitting'` …), so replaying a flush whose commit acknowledgement was
lost, a receipt arriving twice, or a submit response arriving after its receipt change nothing twice.
Receipts are acknowledged to the SMSC only after they are committed: a crash makes the SMSC send them
again instead of losing them.

Unconfirmed messages: a message the SMSC may or may not hold (its lookup was inconclusive, see
dispatcher.py) is `held` as `submitted` without ids, and any `submitted` message that has no final receipt
RECEIPT_WINDOW_HOURS after submission is resolved by `resolve_unconfirmed` (job sms.unconfirmed) as
`unknown`: final, reported (cursor, webhook) with receipt_status UNKNOWN, never resent automatically and
not refunded (the SMSC may well have delivered and billed it); a receipt arriving later still turns it
into delivered / failed. A batch is `done` once none of its messages is waiting any more.

report_seq (the reports cursor) must be taken in commit order: every writer that takes it holds the
transaction-level advisory lock REPORT_LOCK, so a cursor never skips a row committed later."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from app.adapters.sms_channels.base import FINAL_STATES, MoMessage, Receipt
from app.core import db, settings_store
from app.sms import billing, checks

log = logging.getLogger("sms.store")
SEP = "\x1f"  # joins a message's segment ids in one text parameter
REPORT_LOCK = 0x5A5D16  # pg_advisory_xact_lock: writers of report_seq commit in sequence order
RECEIPT_WINDOW_HOURS = 48  # default; site setting sms.receipt_window_hours or the job's payload "hours"


@dataclass
class Buffers:
    submitted: list[tuple[int, int, list[str]]] = field(default_factory=list)  # id, channel, segment ids
    retry: list[tuple[int, float, str]] = field(default_factory=list)  # id, delay s, error
    failed: list[tuple[int, str]] = field(default_factory=list)  # id, error
    held: list[tuple[int, int, str]] = field(default_factory=list)  # id, channel, why unconfirmed
    # channel, channel id, stat, future resolved once stored
    receipts: list[tuple[int, str, str, asyncio.Future | None]] = field(default_factory=list)
    mo: list[tuple[int, MoMessage]] = field(default_factory=list)

    def __len__(self) -> int:
        return (len(self.submitted) + len(self.retry) + len(self.failed) + len(self.held) + len(self.receipts)
                + len(self.mo))

    def message_ids(self) -> set[int]:
        return ({r[0] for r in self.submitted} | {r[0] for r in self.retry} | {r[0] for r in self.failed}
                | {r[0] for r in self.held})

    def prepend(self, other: Buffers) -> None:
        self.submitted[:0] = other.submitted
        self.retry[:0] = other.retry
        self.failed[:0] = other.failed
        self.held[:0] = other.held
        self.receipts[:0] = other.receipts
        self.mo[:0] = other.mo


class Store:
    def __init__(self) -> None:
        self.pending = Buffers()
        self.counts = {"submitted": 0, "retried": 0, "failed": 0, "receipts": 0, "final": 0, "mo": 0}

    def add_receipt(self, channel_id: int, receipt: Receipt, stored: asyncio.Future | None = None) -> None:
        """Queue a receipt; `stored` resolves when it is committed (the SMSC gets its deliver_sm_resp then)."""
        self.pending.receipts.append((channel_id, receipt.channel_id, receipt.status, stored))

    def abandon(self) -> None:
        """Stopping without a database: receipts not stored are refused, so the SMSC delivers them again."""
        for *_r, fut in self.pending.receipts:
            if fut is not None and not fut.done():
                fut.set_exception(ConnectionError("receipt not stored"))

    async def flush(self) -> set[int]:
        """Write everything pending; returns the message ids whose outcome is now durable. On error the
        work goes back to the buffers and the exception propagates (the caller retries)."""
        work, self.pending = self.pending, Buffers()
        if not len(work):
            return set()
        try:
            async with db.transaction():
                await db.execute("SELECT pg_advisory_xact_lock($1)", REPORT_LOCK)
                early = await self._submitted(work.submitted)
                await self._held(work.held)
                await self._retry(work.retry)
                failed = await self._failed(work.failed)
                receipted = await self._receipts(work.receipts)
                final, failed2 = await self._final_states(early + receipted)
                await self._mo(work.mo)
                await self._finalized(failed + final, failed + failed2)
        except BaseException:
            self.pending.prepend(work)
            raise
        for *_r, fut in work.receipts:  # the channel acknowledges a receipt only once it is stored
            if fut is not None and not fut.done():
                fut.set_result(None)
        self.counts["submitted"] += len(work.submitted)
        self.counts["retried"] += len(work.retry)
        self.counts["mo"] += len(work.mo)
        return work.message_ids()

    async def _submitted(self, rows: list[tuple[int, int, list[str]]]) -> list[int]:
        """Record segment ids; returns messages that already have receipts (the receipt came first)."""
        if not rows:
            return []
        ids, chans, segs = [r[0] for r in rows], [r[1] for r in rows], [SEP.join(r[2]) for r in rows]
        await db.execute(
            "UPDATE sms_message m SET status = 'submitted', submitted_at = now(), updated_at = now(), reason = '',"
            " channel = v.ch, channel_ids = string_to_array(v.ids, chr(31))"
            " FROM unnest($1::bigint[], $2::int[], $3::text[]) AS v(id, ch, ids)"
            " WHERE m.id = v.id AND m.status = 'submitting'", ids, chans, segs)
        flat = {(ch, cid): (mid, n + 1) for mid, ch, parts in rows for n, cid in enumerate(parts)}
        early = await db.fetch(
            "INSERT INTO sms_channel_id (channel, channel_msg_id, message, segment)"
            " SELECT * FROM unnest($1::int[], $2::text[], $3::bigint[], $4::int[])"
            " ON CONFLICT (channel, channel_msg_id)"
            " DO UPDATE SET message = EXCLUDED.message, segment = EXCLUDED.segment"
            " RETURNING message, receipt_status", [k[0] for k in flat], [k[1] for k in flat],
            [v[0] for v in flat.values()], [v[1] for v in flat.values()])
        return [r["message"] for r in early if r["receipt_status"]]

    async def _held(self, rows: list[tuple[int, int, str]]) -> None:
        """In doubt whether the SMSC holds them: `submitted` without ids, never resent (resolve_unconfirmed)."""
        if rows:
            await db.execute(
                "UPDATE sms_message m SET status = 'submitted', submitted_at = now(), updated_at = now(),"
                " reason = left(v.why, 200), channel = v.ch, channel_ids = '{}'"
                " FROM unnest($1::bigint[], $2::int[], $3::text[]) AS v(id, ch, why)"
                " WHERE m.id = v.id AND m.status = 'submitting'",
                [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])

    async def _retry(self, rows: list[tuple[int, float, str]]) -> None:
        if rows:
            await db.execute(
                "UPDATE sms_message m SET status = 'queued', next_attempt_at = now() + make_interval(secs => v.d),"
                " reason = left(v.err, 200), updated_at = now()"
                " FROM unnest($1::bigint[], $2::float8[], $3::text[]) AS v(id, d, err)"
                " WHERE m.id = v.id AND m.status = 'submitting'",
                [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])

    async def _failed(self, rows: list[tuple[int, str]]) -> list[int]:
        if not rows:
            return []
        done = await db.fetch(
            "UPDATE sms_message m SET status = 'failed', reason = left(v.err, 200), done_at = now(),"
            " updated_at = now(), report_seq = nextval('sms_report_seq')"
            " FROM unnest($1::bigint[], $2::text[]) AS v(id, err) WHERE m.id = v.id AND m.status = 'submitting'"
            " RETURNING m.id", [r[0] for r in rows], [r[1] for r in rows])
        return [r["id"] for r in done]

    async def _receipts(self, rows: list[tuple[int, str, str, asyncio.Future | None]]) -> list[int]:
        """Store receipts durably whether or not their submit response was recorded yet (message 0 until it
        is); returns the messages they belong to. A final state is never replaced by an intermediate one."""
        if not rows:
            return []
        latest = {(ch, cid): stat for ch, cid, stat, _fut in rows}  # one row per key per statement
        self.counts["receipts"] += len(rows)
        matched = await db.fetch(
            "INSERT INTO sms_channel_id AS c (channel, channel_msg_id, message, segment, receipt_status)"
            " SELECT ch, cid, 0, 0, stat FROM unnest($1::int[], $2::text[], $3::text[]) AS r(ch, cid, stat)"
            " ON CONFLICT (channel, channel_msg_id) DO UPDATE SET receipt_status = CASE"
            "  WHEN c.receipt_status = ANY($4::text[]) THEN c.receipt_status ELSE EXCLUDED.receipt_status END"
            " RETURNING c.message", [k[0] for k in latest], [k[1] for k in latest], list(latest.values()),
            list(FINAL_STATES))
        return [m["message"] for m in matched if m["message"]]

    async def _final_states(self, message_ids: list[int]) -> tuple[list[int], list[int]]:
        """A message is final when one segment failed or all are delivered: (now final, of which failed)."""
        if not message_ids:
            return [], []
        done = await db.fetch(
            "WITH s AS (SELECT c.message, count(*) FILTER (WHERE c.receipt_status = 'DELIVRD') AS ok,"
            "  min(c.receipt_status) FILTER (WHERE c.receipt_status = ANY($2::text[])"
            "   AND c.receipt_status <> 'DELIVRD') AS bad"
            "  FROM sms_channel_id c WHERE c.message = ANY($1::bigint[]) GROUP BY c.message)"
            " UPDATE sms_message m SET"
            "  status = CASE WHEN s.bad IS NULL THEN 'delivered' WHEN s.bad = 'EXPIRED' THEN 'expired'"
            "   WHEN s.bad = 'REJECTD' THEN 'rejected' ELSE 'failed' END,"
            "  receipt_status = COALESCE(s.bad, 'DELIVRD'), reason = COALESCE(s.bad, ''), done_at = now(),"
            "  updated_at = now(), report_seq = nextval('sms_report_seq')"
            " FROM s WHERE m.id = s.message AND m.status IN ('submitting', 'submitted', 'unknown')"
            "  AND (s.bad IS NOT NULL OR s.ok >= GREATEST(cardinality(m.channel_ids), 1))"
            " RETURNING m.id, m.status", list(set(message_ids)), list(FINAL_STATES))
        return [r["id"] for r in done], [r["id"] for r in done if r["status"] != "delivered"]

    async def _finalized(self, ids: list[int], failed: list[int]) -> None:
        """Refund failures once, queue webhook pushes of the delivery reports."""
        if not ids:
            return
        self.counts["final"] += len(ids)
        if failed:
            await billing.refund(failed)
        await _reported(ids)

    async def _mo(self, rows: list[tuple[int, MoMessage]]) -> None:
        """A reply belongs to the account that last texted the sender (our messages to that number)."""
        for channel_id, mo in rows:
            phone = checks.normalize(mo.sender) or mo.sender
            mo_id = await db.fetchval(
                "WITH last AS (SELECT id, account FROM sms_message WHERE phone = $1 ORDER BY id DESC LIMIT 1)"
                " INSERT INTO sms_mo (account, channel, sender, \"to\", text, received_at, reply_to)"
                " SELECT (SELECT account FROM last), $2, $1, $3, $4, $5, (SELECT id FROM last) RETURNING id",
                phone, channel_id, mo.to, mo.text, mo.received_at)
            await db.execute(
                "INSERT INTO sms_webhook_delivery (webhook, event, payload)"
                " SELECT w.id, 'mo', jsonb_build_object('event', 'mo', 'id', o.id, 'from', o.sender, 'to', o.\"to\","
                "  'text', o.text, 'received_at', o.received_at, 'reply_to', o.reply_to)"
                " FROM sms_mo o JOIN sms_webhook w ON w.account = o.account AND w.enabled AND 'mo' = ANY(w.events)"
                " WHERE o.id = $1", mo_id)


async def _reported(ids: list[int]) -> None:
    """Messages that just reached a final state: webhook pushes of their reports, and their batches done
    when nothing in them is waiting any more (set-based: one statement each, whatever the count)."""
    await db.execute(
        "INSERT INTO sms_webhook_delivery (webhook, event, payload)"
        " SELECT w.id, 'report', jsonb_build_object('event', 'report', 'message_id', m.id, 'batch_id', m.batch,"
        "  'phone', m.phone, 'status', m.status, 'reason', m.reason, 'segments', m.segments,"
        "  'done_at', m.done_at, 'cursor', m.report_seq)"
        " FROM sms_message m JOIN sms_webhook w ON w.account = m.account AND w.enabled AND 'report' = ANY(w.events)"
        " WHERE m.id = ANY($1::bigint[])", ids)
    await db.execute(
        "UPDATE sms_batch b SET status = 'done', updated_at = now()"
        " WHERE b.id IN (SELECT DISTINCT batch FROM sms_message WHERE id = ANY($1::bigint[]))"
        "  AND b.status IN ('queued', 'scheduled')"
        # the waiting states spelled out: they match the partial index sms_message_batch_waiting
        "  AND NOT EXISTS (SELECT 1 FROM sms_message m WHERE m.batch = b.id"
        "                  AND m.status IN ('scheduled', 'queued', 'submitting', 'submitted'))",
        ids)


async def receipt_window_hours(override: float | str | None = None) -> float:
    """Hours a `submitted` message waits for its receipt: `override` (the job payload's "hours"), else the site
    setting sms.receipt_window_hours, else RECEIPT_WINDOW_HOURS."""
    return float(override or await settings_store.get("sms.receipt_window_hours", RECEIPT_WINDOW_HOURS))


async def resolve_unconfirmed(window_hours: float = RECEIPT_WINDOW_HOURS, limit: int = 50_000) -> dict:
    """`submitted` messages without a final receipt for `window_hours` → `unknown` (see the module docstring):
    final and reported, not resent, not refunded. Returns {"unknown": n}."""
    async with db.transaction():
        await db.execute("SELECT pg_advisory_xact_lock($1)", REPORT_LOCK)
        rows = await db.fetch(
            "UPDATE sms_message SET status = 'unknown', receipt_status = 'UNKNOWN', done_at = now(),"
            " updated_at = now(),"
            " reason = left(CASE WHEN cardinality(channel_ids) = 0 AND reason <> '' THEN reason || '; ' ELSE '' END"
            "  || 'no delivery receipt within ' || $1::text || ' h', 200), report_seq = nextval('sms_report_seq')"
            " WHERE id IN (SELECT id FROM sms_message WHERE status = 'submitted'"
            "  AND submitted_at < now() - make_interval(secs => $2) ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)"
            " RETURNING id", f"{window_hours:g}", float(window_hours) * 3600, limit)
        ids = [r["id"] for r in rows]
        if ids:
            await _reported(ids)
    if ids:
        log.info("%s unconfirmed messages resolved as unknown", len(ids))
    return {"unknown": len(ids)}
