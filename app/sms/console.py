"""Console send (SMS-03): turn the send form into a checked draft (numbers, text, segments, cost against
the balance) for the preview step, then hand it to outbox.send. Also the scheduled sends of the
accounts an operator may use, and the live character/segment counter."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from app.adapters.sms_channels.encoding import MAX_CHARS, is_gsm7, segment_count
from app.core import db
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.pagination import Page, PageRequest
from app.sms import accounts, checks, contacts, outbox, templates

MAX_NUMBERS = 10_000


@dataclass
class Draft:
    account: dict
    numbers: list[str]  # as typed/picked, for outbox.send
    valid: int
    rejected: list[tuple[str, str]]
    text: str  # the text one recipient gets (template rendered)
    template_id: int | None
    params: dict
    sender: str
    scheduled_at: datetime | None
    segments: int  # per message
    cost: int
    balance: int
    errors: dict = field(default_factory=dict)

    @property
    def enough(self) -> bool:
        return self.cost <= self.balance


def counter(text: str) -> dict:
    """Characters, encoding and segments of a text (the live counter under the text box)."""
    text = text or ""
    return {"chars": len(text), "segments": segment_count(text) if text else 0,
            "encoding": "GSM-7" if is_gsm7(text) else "UCS-2", "max": MAX_CHARS, "too_long": len(text) > MAX_CHARS}


def split_numbers(raw: str) -> list[str]:
    """Numbers pasted one per line or separated by commas, semicolons or spaces."""
    return [p for p in re.split(r"[\s,;，；、]+", raw or "") if p]


def parse_params(raw: str) -> dict:
    """Template parameters as `name=value` lines (or name：value)."""
    out = {}
    for line in (raw or "").splitlines():
        if "=" in line or "：" in line or ":" in line:
            key, _sep, value = re.split(r"([=：:])", line, maxsplit=1)
            if key.strip():
                out[key.strip()] = value.strip()
    return out


def parse_when(data: dict) -> datetime | None:
    """None = now; a future moment from the datetime-local input (server-local time)."""
    if data.get("when") != "later":
        return None
    raw = str(data.get("scheduled_at") or "").strip()
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise Invalid("scheduled_at", _("Enter the date and time of the scheduled send.")) from None
    moment = moment.astimezone() if moment.tzinfo is None else moment
    if moment <= datetime.now(UTC):
        raise Invalid("scheduled_at", _("The scheduled time must be in the future."))
    return moment


def _list(value) -> list[str]:
    return value if isinstance(value, list) else ([value] if value else [])


async def approved_templates(account_id: int) -> list[dict]:
    rows = await templates.list_templates(account_id, status="approved")
    return [{**r, "placeholders": templates.placeholders(r["content"])} for r in rows]


async def draft(actor: Actor, data: dict) -> Draft:
    """Check everything the operator entered; Invalid names the field to fix."""
    account = await accounts.resolve(actor, data.get("account"))
    if account is None:
        raise Invalid("account", _("Choose an SMS account."))
    if account["status"] != "active":
        raise Invalid("account", _("The SMS account is suspended."))
    numbers = split_numbers(str(data.get("to") or ""))
    numbers += await contacts.group_phones(actor, _list(data.get("groups")))
    if not numbers:
        raise Invalid("to", _("Enter at least one mobile number or choose a group."))
    if len(numbers) > MAX_NUMBERS:
        raise Invalid("to", _("At most %(n)s numbers per send.", n=MAX_NUMBERS))
    valid, rejected = checks.clean_numbers(numbers)
    blocked = await checks.blacklisted(account["id"], valid)
    rejected += [(p, _("Blacklisted")) for p in valid if p in blocked]
    valid = [p for p in valid if p not in blocked]
    params: dict = {}
    template_id = None
    if data.get("mode") == "template":
        raw = str(data.get("template") or "")
        tpl = await templates.get(int(raw)) if raw.isdigit() else None
        if tpl is None or tpl["account"] != account["id"] or tpl["status"] != "approved":
            raise Invalid("template", _("Choose an approved template."))
        params = parse_params(str(data.get("params") or ""))
        try:
            text = templates.fill(tpl["sign"], tpl["content"], params)
        except Invalid as exc:
            raise Invalid("params", exc.message) from None
        template_id = tpl["id"]
    else:
        text = str(data.get("text") or "").strip()
        if not text:
            raise Invalid("text", _("Enter the message text."))
    if len(text) > MAX_CHARS:
        raise Invalid("text", _("A message may have at most %(max)s characters.", max=MAX_CHARS))
    problem = await checks.text_problem(text, reviewed=template_id is not None)
    if problem:
        raise Invalid("text" if template_id is None else "template", problem)
    sender = str(data.get("sender") or "").strip()
    if sender and (not sender.isdigit() or len(sender) > 8):
        raise Invalid("sender", _("The extension is up to 8 digits."))
    scheduled_at = parse_when(data)
    segments = segment_count(text)
    return Draft(account, numbers, len(valid), rejected, text, template_id, params, sender, scheduled_at,
                 segments, segments * len(valid), int(account["balance"]))


async def send(actor: Actor, data: dict) -> tuple[Draft, outbox.SendResult]:
    """Check again (the balance may have changed since the preview) and queue the send."""
    d = await draft(actor, data)
    if not d.valid:
        raise Invalid("to", _("No number can be sent to: %(reason)s", reason=d.rejected[0][1]))
    result = await outbox.send(d.account["id"], to=d.numbers, text=None if d.template_id else d.text,
                               template_id=d.template_id, params=d.params, scheduled_at=d.scheduled_at,
                               source="console", user_id=actor.id, sender=d.sender, actor=actor)
    return d, result


async def scheduled_batches(actor: Actor, req: PageRequest, status: str = "scheduled") -> Page:
    """Sends waiting for their time (or, with status '', all console sends), newest first."""
    args: list = []
    where = accounts.visible_sql(actor, args, "b.account")
    if status:
        args.append(status)
        where += f" AND b.status = ${len(args)}"
    total = await db.fetchval(f"SELECT count(*) FROM sms_batch b WHERE {where}", *args)
    rows = await db.fetch(
        f"SELECT b.*, a.name AS account_name, u.username FROM sms_batch b JOIN sms_account a ON a.id = b.account"
        f" LEFT JOIN app_user u ON u.id = b.\"user\" WHERE {where}"
        f" ORDER BY COALESCE(b.scheduled_at, b.created_at) DESC, b.id DESC LIMIT {req.per_page} OFFSET {req.offset}",
        *args)
    return Page(rows, total, req.page, req.per_page, req.sort)


async def get_batch(actor: Actor, batch_id: int) -> dict:
    row = await accounts.one_in_scope(
        actor, "SELECT b.*, a.name AS account_name, u.username, t.name AS template_name FROM sms_batch b"
        " JOIN sms_account a ON a.id = b.account LEFT JOIN app_user u ON u.id = b.\"user\""
        " LEFT JOIN sms_template t ON t.id = b.template WHERE b.id = $1", batch_id, "b.account")
    if isinstance(row["rejections"], str):
        row["rejections"] = json.loads(row["rejections"])
    return row


async def cancel(actor: Actor, batch_id: int) -> int:
    await get_batch(actor, batch_id)
    return await outbox.cancel_scheduled(batch_id, user_id=actor.id, actor=actor)
