"""Unified message service (SUP-07): notify(users, template, data, channels).

Each channel has an admin-editable template per message code (default texts below, translated).
The in-site inbox is written at once; email is sent by a job through SMTP (aiosmtplib) with a
delivery log row per recipient. SMS and WeChat plug in with `register_channel` (their modules
provide the sender), so callers never change.
"""
from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from email.message import EmailMessage

import aiosmtplib
from jinja2.sandbox import SandboxedEnvironment

from app.config import get_settings
from app.core import db, jobs, sessions, settings_store
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L

# code -> (name, {channel: (subject, body)}); bodies are Jinja templates over `data`.
DEFAULT_TEMPLATES: dict[str, tuple] = {
    "password_reset": (L("Password reset"), {
        "email": (L("Reset your password"),
                  L("Hello {{ name }},\n\nOpen this link to set a new password (valid {{ minutes }} minutes):\n"
                    "{{ link }}\n\nIf you did not ask for this, ignore this mail.")),
        "inbox": (L("Password reset requested"), L("A password reset link was sent to your email.")),
    }),
    "todo_assigned": (L("New todo"), {
        "inbox": (L("New todo: {{ title }}"), L("{{ title }}")),
        "email": (L("New todo: {{ title }}"), L("A new item waits for you: {{ title }}\n{{ link }}")),
    }),
    "import_finished": (L("Import finished"), {
        "inbox": (L("Import finished"), L("{{ imported }} rows imported, {{ errors }} rows with errors.")),
    }),
    "generic": (L("General notice"), {
        "inbox": (L("{{ title }}"), L("{{ body }}")),
        "email": (L("{{ title }}"), L("{{ body }}")),
    }),
}
CHANNELS = ("inbox", "email", "sms", "wechat")
_env = SandboxedEnvironment(autoescape=False)
# name -> async sender(delivery_row, subject, body) for channels provided by other modules (sms, wechat)
_senders: dict[str, Callable[[dict, str, str], Awaitable[None]]] = {}


def register_channel(name: str, sender: Callable[[dict, str, str], Awaitable[None]]) -> None:
    """The sender runs inside the transaction that marks the delivery sent, so rows it writes (an outbox)
    commit with that status, exactly once. One that calls a remote service should key the call on
    delivery["id"]: a retry may repeat it."""
    _senders[name] = sender


async def template_for(code: str, channel: str) -> tuple[str, str] | None:
    row = await db.fetchrow("SELECT subject, body FROM message_template WHERE code = $1 AND channel = $2",
                            code, channel)
    if row:
        return row["subject"], row["body"]
    default = DEFAULT_TEMPLATES.get(code, (None, {}))[1].get(channel)
    return (str(default[0]), str(default[1])) if default else None


def render_text(template: str, data: dict) -> str:
    return _env.from_string(template).render(**data)


async def notify(user_ids: Iterable[int], template_code: str, data: dict, channels: Iterable[str] = ("inbox",),
                 url: str = "") -> int:
    """Queue/deliver one message per user per channel; returns the number of deliveries created."""
    count, channels = 0, tuple(channels)
    users = await db.fetch("SELECT id, email, phone, name FROM app_user WHERE id = ANY($1)", list(user_ids))
    for channel in channels:
        tpl = await template_for(template_code, channel)
        if tpl is None:
            continue
        subject, body = render_text(tpl[0], data), render_text(tpl[1], data)
        for user in users:
            address = {"email": user["email"], "sms": user["phone"]}.get(channel, str(user["id"]))
            if channel == "inbox":
                await db.execute('INSERT INTO inbox_message ("user", title, body, url, template_code) '
                                 "VALUES ($1,$2,$3,$4,$5)", user["id"], subject[:200], body, url, template_code)
                status = "sent"
            elif not address:
                status = "skipped"
            else:
                status = "queued"
            delivery_id = await db.fetchval(
                "INSERT INTO delivery_log (user_id, channel, address, template_code, subject, status, sent_at) "
                "VALUES ($1,$2,$3,$4,$5,$6::varchar, CASE WHEN $6::varchar = 'sent' THEN now() END) RETURNING id",
                user["id"], channel, address or "", template_code, subject[:200], status)
            if status == "queued":
                await jobs.enqueue("notify.send", {"delivery": delivery_id, "subject": subject, "body": body},
                                   dedupe_key=f"delivery:{delivery_id}")
            count += 1
    if "inbox" in channels:
        await sessions.shell_changed([u["id"] for u in users])  # their unread counts
    return count


def channel_available(name: str) -> bool:
    """Whether a channel can deliver here: inbox and email always, others once a module registered a sender."""
    return name in ("inbox", "email") or name in _senders


async def notify_address(channel: str, address: str, template_code: str, data: dict, *,
                         secret: bool = False) -> int | None:
    """One message to a bare address (email or phone) of someone without an account; same templates,
    delivery log and send job as notify(). Returns the delivery id, None when no template or address.
    `secret` (one-time codes): a module channel (sms) takes the text at once, in this transaction, so it
    never waits in a job payload; email still goes by job (SMTP is a network call)."""
    tpl = await template_for(template_code, channel)
    if tpl is None or not address or channel == "inbox":
        return None
    subject, body = render_text(tpl[0], data), render_text(tpl[1], data)
    delivery_id = await db.fetchval(
        "INSERT INTO delivery_log (user_id, channel, address, template_code, subject, status)"
        " VALUES (NULL, $1, $2, $3, $4, 'queued') RETURNING id", channel, address, template_code, subject[:200])
    if secret and channel in _senders:
        await db.execute("UPDATE delivery_log SET attempts = 1 WHERE id = $1", delivery_id)
        await _send_through_channel({"id": delivery_id, "channel": channel, "address": address}, subject, body)
        return delivery_id
    await jobs.enqueue("notify.send", {"delivery": delivery_id, "subject": subject, "body": body},
                       dedupe_key=f"delivery:{delivery_id}")
    return delivery_id


async def send_email(to: str, subject: str, body: str) -> None:
    settings = get_settings()
    host = await settings_store.get("smtp.host") or settings.smtp_host
    port = int(await settings_store.get("smtp.port") or settings.smtp_port)
    user = await settings_store.get("smtp.user") or None
    password = await settings_store.get("smtp.password") or None
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    await aiosmtplib.send(message, hostname=host, port=port, username=user, password=password, timeout=20,
                          start_tls=False if port in (25, 1025) or host in ("127.0.0.1", "localhost") else None)


@jobs.handler("notify.send")
async def _send_delivery(ctx: jobs.JobContext) -> dict:
    delivery = await db.fetchrow("SELECT * FROM delivery_log WHERE id = $1", ctx.payload["delivery"])
    if delivery is None or delivery["status"] == "sent":
        return {"skipped": True}  # already sent by an earlier attempt
    await db.execute("UPDATE delivery_log SET attempts = attempts + 1 WHERE id = $1", delivery["id"])
    try:
        if delivery["channel"] == "email":
            await send_email(delivery["address"], ctx.payload["subject"], ctx.payload["body"])
        elif delivery["channel"] in _senders:
            if not await _send_through_channel(delivery, ctx.payload["subject"], ctx.payload["body"]):
                return {"skipped": True}
            return {"sent": delivery["address"]}
        else:
            raise RuntimeError(_("Channel %(channel)s is not configured.", channel=delivery["channel"]))
    except Exception as exc:
        await db.execute("UPDATE delivery_log SET status = 'failed', error = $2 WHERE id = $1 AND status <> 'sent'",
                         delivery["id"], str(exc)[:1000])
        raise
    await _mark_sent(delivery["id"])
    return {"sent": delivery["address"]}


async def _send_through_channel(delivery: dict, subject: str, body: str) -> bool:
    """Hand the message to a registered channel and mark the delivery sent in ONE transaction, so what the
    sender writes (the SMS outbox rows) commits with the status or not at all: a worker dying in between
    leaves neither, and the retried job hands the message over exactly once. False: already sent."""
    async with db.transaction():
        # The row lock also makes a concurrent attempt wait here, then see `sent` and queue nothing.
        status = await db.fetchval("SELECT status FROM delivery_log WHERE id = $1 FOR UPDATE", delivery["id"])
        if status == "sent":
            return False
        await _senders[delivery["channel"]](delivery, subject, body)
        await _mark_sent(delivery["id"])
    return True


async def _mark_sent(delivery_id: int) -> None:
    await db.execute("UPDATE delivery_log SET status = 'sent', sent_at = now(), error = '' WHERE id = $1", delivery_id)


async def unread_count(user_id: int) -> int:
    return await db.fetchval('SELECT count(*) FROM inbox_message WHERE "user" = $1 AND read_at IS NULL', user_id)


__all__ = ["notify", "notify_address", "channel_available", "register_channel", "unread_count", "json"]
