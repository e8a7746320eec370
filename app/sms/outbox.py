"""Sending (SMS-01/03/04/06/10): validate, check, charge and queue a send in one transaction. Rows go
into sms_message (the durable outbox) with one INSERT … SELECT FROM unnest(…) whatever the number of
recipients; the dispatcher (app/sms/dispatcher.py) is woken by NOTIFY sms_outbox on commit."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from app.adapters.sms_channels.encoding import MAX_CHARS, is_gsm7, segment_count
from app.adapters.sms_channels.factory import make_channel
from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.sms import alerts, billing, checks, templates

FINAL_FAILED = ("failed", "expired", "rejected")
_CHANNELS_TTL = 3.0  # seconds the enabled channels are cached for sender checks (the dispatcher's reload)
_channels: tuple[float, list] = (0.0, [])


@dataclass
class SendResult:
    batch_id: int
    accepted: int
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (number as given, reason)
    segments: int = 0
    cost: int = 0


class SendRefused(Invalid):
    """Nothing could be queued; `rejected` says why for every number."""

    def __init__(self, message: str, rejected: list[tuple[str, str]]):
        super().__init__("to", message)
        self.rejected = rejected


def _actor(actor: Actor | None, user_id: int | None, source: str, api_key_id: int | None) -> Actor:
    if actor is not None:
        return actor
    return Actor(user_id, f"api-key:{api_key_id}" if api_key_id else source)


async def _account(account_id: int) -> dict:
    account = await db.fetchrow("SELECT id, name, status, low_balance_alert FROM sms_account WHERE id = $1",
                                account_id)
    if account is None:
        raise Invalid("account", _("No such SMS account."))
    if account["status"] != "active":
        raise Invalid("account", _("The SMS account is suspended."))
    return account


async def _enabled_channels() -> list:
    """Adapters (not started) of the enabled channels: a message may leave through any of them."""
    global _channels
    if time.monotonic() - _channels[0] > _CHANNELS_TTL:
        built = []
        for r in await db.fetch("SELECT name, kind, config FROM sms_channel WHERE enabled ORDER BY id"):
            config = r["config"] if isinstance(r["config"], dict) else json.loads(r["config"] or "{}")
            try:
                built.append(make_channel(r["name"], r["kind"], config))
            except Exception:  # a broken row is reported by the dispatcher; it sends nothing
                continue
        _channels = (time.monotonic(), built)
    return _channels[1]


async def check_sender(sender: str) -> None:
    """Refuse a sender (source address) that a channel cannot send, before anything is queued."""
    if not sender:
        return
    for channel in await _enabled_channels():
        problem = channel.validate_sender(sender)
        if problem:
            raise Invalid("sender", problem)


async def send(account_id: int, *, to: list[str], text: str | None = None, template_id: int | None = None,
               params: dict | None = None, scheduled_at: datetime | None = None, source: str = "console",
               user_id: int | None = None, api_key_id: int | None = None, sender: str = "",
               per_number: dict[str, dict] | None = None, actor: Actor | None = None) -> SendResult:
    """Queue one text (or one template with params; `per_number` maps a number as given in `to` to its
    own params) to many numbers. Refused numbers are reported, not fatal, unless none is left."""
    await _account(account_id)
    await check_sender(sender)
    if template_id is not None:
        tpl = await templates.get(template_id)
        if tpl is None or tpl["account"] != account_id:
            raise Invalid("template", _("No such template."))
        if tpl["status"] != "approved":
            raise Invalid("template", _("The template is not approved yet."))
        base = templates.fill(tpl["sign"], tpl["content"], params) if not per_number else None
    else:
        base = (text or "").strip()
        if not base:
            raise Invalid("text", _("Enter the message text."))
    if base is not None and len(base) > MAX_CHARS:
        raise Invalid("text", _("A message may have at most %(max)s characters.", max=MAX_CHARS))

    phones, rejected = checks.clean_numbers(list(to))
    if not phones and not rejected:
        raise Invalid("to", _("Enter at least one mobile number."))
    raw_by_phone = {checks.normalize(str(r)): str(r) for r in to}
    blocked = await checks.blacklisted(account_id, phones)
    recipients: list[tuple[str, str]] = []
    for phone in phones:
        if phone in blocked:
            rejected.append((raw_by_phone.get(phone, phone), _("Blacklisted: %(reason)s", reason=blocked[phone])
                             if blocked[phone] else _("Blacklisted")))
            continue
        if base is not None:
            recipients.append((phone, base))
            continue
        try:
            own = {**(params or {}), **(per_number or {}).get(raw_by_phone.get(phone, phone), {})}
            body = templates.fill(tpl["sign"], tpl["content"], own)
        except Invalid as exc:
            rejected.append((raw_by_phone.get(phone, phone), exc.message))
            continue
        if len(body) > MAX_CHARS:
            rejected.append((raw_by_phone.get(phone, phone), _("Longer than %(max)s characters", max=MAX_CHARS)))
            continue
        recipients.append((phone, body))

    reviewed = template_id is not None
    if base is not None:
        problem = await checks.text_problem(base, reviewed=reviewed)
        if problem:
            raise Invalid("text", problem)
    elif recipients:
        problems = await checks.text_problems([t for _p, t in recipients], reviewed=reviewed)
        if problems:
            rejected += [(raw_by_phone.get(p, p), problems[i]) for i, (p, _t) in enumerate(recipients) if i in problems]
            recipients = [r for i, r in enumerate(recipients) if i not in problems]
    if not recipients:
        raise SendRefused(_("No number can be sent to: %(reason)s", reason=rejected[0][1]), rejected)
    return await enqueue(account_id, recipients, rejected=rejected, template_id=template_id, text=base or "",
                         scheduled_at=scheduled_at, source=source, sender=sender, user_id=user_id,
                         api_key_id=api_key_id, actor=_actor(actor, user_id, source, api_key_id))


async def enqueue(account_id: int, recipients: list[tuple[str, str]], *, rejected: list[tuple[str, str]],
                  template_id: int | None, text: str, scheduled_at: datetime | None, source: str, sender: str,
                  user_id: int | None, api_key_id: int | None, actor: Actor) -> SendResult:
    """Charge and insert already-checked (phone, text) pairs as one batch."""
    seg_cache: dict[str, tuple[int, str]] = {}
    for _p, body in recipients:
        if body not in seg_cache:
            seg_cache[body] = (segment_count(body), "gsm7" if is_gsm7(body) else "ucs2")
    segments = sum(seg_cache[body][0] for _p, body in recipients)
    now = datetime.now(UTC)
    scheduled = scheduled_at is not None and scheduled_at > now
    status = "scheduled" if scheduled else "queued"
    due = scheduled_at if scheduled else now
    async with db.transaction():
        batch_id = await db.fetchval(
            "INSERT INTO sms_batch (account, \"user\", api_key, source, template, text, sender, scheduled_at, status,"
            " total, accepted, rejected, segments, cost, rejections, created_by)"
            " VALUES ($1, $2::int, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::int, $13::bigint, $14::jsonb,"
            " $2::bigint) RETURNING id",
            account_id, user_id, api_key_id, source, template_id, text, sender, scheduled_at if scheduled else None,
            status, len(recipients) + len(rejected), len(recipients), len(rejected), segments,
            json.dumps(rejected[:1000], ensure_ascii=False))
        after = await billing.charge(account_id, segments, ref=f"batch:{batch_id}", actor=actor)
        phones = [p for p, _t in recipients]
        segs = [seg_cache[b][0] for _p, b in recipients]
        if len(seg_cache) == 1:  # one text for all: send it once, not once per number
            await db.execute(
                "INSERT INTO sms_message (batch, account, phone, text, sender, encoding, segments, status,"
                " next_attempt_at, cost) SELECT $1, $2, p, $3, $4, $5, $6::int, $7, $8, $6::int"
                " FROM unnest($9::text[]) AS p",
                batch_id, account_id, recipients[0][1], sender, seg_cache[recipients[0][1]][1], segs[0], status, due,
                phones)
        else:
            await db.execute(
                "INSERT INTO sms_message (batch, account, phone, text, sender, encoding, segments, status,"
                " next_attempt_at, cost) SELECT $1, $2, u.p, u.t, $3, u.e, u.s, $4, $5, u.s"
                " FROM unnest($6::text[], $7::text[], $8::text[], $9::int[]) AS u(p, t, e, s)",
                batch_id, account_id, sender, status, due, phones, [t for _p, t in recipients],
                [seg_cache[t][1] for _p, t in recipients], segs)
        if not scheduled:
            await db.execute("SELECT pg_notify('sms_outbox', '')")
        await audit.record(actor, "sms.send", "sms_batch", batch_id,
                           summary=f"{source}: {len(recipients)} numbers, {segments} segments")
        low = await db.fetchval("SELECT low_balance_alert FROM sms_account WHERE id = $1", account_id)
        if low and after < low:
            await alerts.raise_alert("low_balance", "warning",
                                     _("Balance is down to %(n)s messages.", n=after), account_id=account_id)
    return SendResult(batch_id, len(recipients), rejected, segments, segments)


async def resend(message_ids: list[int], *, user_id: int | None, actor: Actor | None = None) -> SendResult:
    """Send failed messages again as a new batch (one account at a time), same numbers and texts."""
    rows = await db.fetch("SELECT account, phone, text, sender FROM sms_message WHERE id = ANY($1::bigint[])"
                          " AND status = ANY($2::text[]) ORDER BY id", message_ids, list(FINAL_FAILED))
    if not rows:
        raise Invalid("messages", _("None of the chosen messages has failed."))
    accounts = {r["account"] for r in rows}
    if len(accounts) > 1:
        raise Invalid("messages", _("Resend the messages of one account at a time."))
    account_id = accounts.pop()
    await _account(account_id)
    phones, rejected = checks.clean_numbers([r["phone"] for r in rows])  # drops duplicates of the same number
    keep = set(phones)
    blocked = await checks.blacklisted(account_id, phones)
    recipients, seen = [], set()
    for r in rows:
        if r["phone"] in keep and r["phone"] not in seen and r["phone"] not in blocked:
            seen.add(r["phone"])
            recipients.append((r["phone"], r["text"]))
    rejected = [(p, reason) for p, reason in rejected] + [(p, _("Blacklisted")) for p in blocked]
    if not recipients:
        raise SendRefused(_("No number can be sent to: %(reason)s", reason=rejected[0][1]), rejected)
    return await enqueue(account_id, recipients, rejected=rejected, template_id=None, text=recipients[0][1],
                         scheduled_at=None, source="resend", sender=rows[0]["sender"], user_id=user_id,
                         api_key_id=None, actor=_actor(actor, user_id, "resend", None))


async def cancel_scheduled(batch_id: int, *, user_id: int | None, actor: Actor | None = None) -> int:
    """Cancel the messages of a scheduled send that have not gone out; their segments are refunded."""
    async with db.transaction():
        ids = [r["id"] for r in await db.fetch(
            "UPDATE sms_message SET status = 'cancelled', done_at = now(), updated_at = now(),"
            " reason = 'cancelled' WHERE batch = $1 AND status = 'scheduled' RETURNING id", batch_id)]
        if not ids:
            raise Conflict(_("Nothing left to cancel: the send has already gone out."))
        await billing.refund(ids, note="cancelled")
        await db.execute("UPDATE sms_batch SET status = 'cancelled', updated_at = now() WHERE id = $1", batch_id)
        await audit.record(_actor(actor, user_id, "console", None), "sms.cancel", "sms_batch", batch_id,
                           summary=f"{len(ids)} messages")
    return len(ids)
