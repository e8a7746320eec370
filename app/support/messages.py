"""Message templates per code and channel (SUP-07), the delivery log with re-queue, and the dev mailbox.

Admins override the default texts in app.core.notify.DEFAULT_TEMPLATES; an override is checked by
rendering it through the same sandbox notify() uses, with sample data, before it is stored."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from email import message_from_string, policy

from jinja2 import TemplateError, meta
from jinja2.sandbox import SandboxedEnvironment

from app.core import audit, db, jobs, notify, sqlfilter
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.pagination import Page, PageRequest
from app.core.permissions import PermissionDenied

# Sample data for previews; for these codes an unknown placeholder is refused (it would print blank).
SAMPLE_DATA: dict[str, dict] = {
    "password_reset": {"name": "张三", "link": "https://alumni.example.edu/password/reset/SAMPLE", "minutes": 60},
    "todo_assigned": {"title": "审核校友信息变更", "link": "https://alumni.example.edu/admin/todos",
                      "url": "/admin/todos", "kind": "record.change"},
    "import_finished": {"imported": 120, "errors": 3},
    "generic": {"title": "通知", "body": "校友总会年会将于下周六举行。"},
}
SUBJECT_REQUIRED = ("email", "inbox")
_parser = SandboxedEnvironment()


# --- templates -----------------------------------------------------------------------------------

def _default(code: str, channel: str) -> tuple[str, str] | None:
    text = notify.DEFAULT_TEMPLATES.get(code, (None, {}))[1].get(channel)
    return (str(text[0]), str(text[1])) if text else None


def template_name(code: str) -> str:
    entry = notify.DEFAULT_TEMPLATES.get(code)
    return str(entry[0]) if entry else code


async def list_templates() -> list[dict]:
    """Every (code, channel) with a default text, plus stored overrides (one query)."""
    stored = {(r["code"], r["channel"]): r for r in await db.fetch(
        "SELECT code, channel, subject, body, updated_at FROM message_template ORDER BY code, channel")}
    keys = {(code, channel) for code, (_name, texts) in notify.DEFAULT_TEMPLATES.items() for channel in texts}
    keys |= set(stored)
    out = []
    def order(key: tuple[str, str]) -> tuple:
        return key[0], notify.CHANNELS.index(key[1]) if key[1] in notify.CHANNELS else len(notify.CHANNELS)

    for code, channel in sorted(keys, key=order):
        default, override = _default(code, channel), stored.get((code, channel))
        subject = override["subject"] if override else default[0]
        out.append({"code": code, "channel": channel, "name": template_name(code), "subject": subject,
                    "overridden": override is not None, "has_default": default is not None,
                    "updated_at": override["updated_at"] if override else None})
    return out


async def get_template(code: str, channel: str) -> dict | None:
    """Current text (override or default) of one template; None when neither exists."""
    default = _default(code, channel)
    override = await db.fetchrow("SELECT subject, body, updated_at FROM message_template "
                                 "WHERE code = $1 AND channel = $2", code, channel)
    if default is None and override is None:
        return None
    current = (override["subject"], override["body"]) if override else default
    return {"code": code, "channel": channel, "name": template_name(code), "subject": current[0], "body": current[1],
            "default_subject": default[0] if default else "", "default_body": default[1] if default else "",
            "overridden": override is not None, "has_default": default is not None,
            "sample": SAMPLE_DATA.get(code, {})}


class TemplateInvalid(Invalid):
    """One or more fields of a template fail to render; `errors` maps field → message."""

    def __init__(self, errors: dict[str, str]):
        field, message = next(iter(errors.items()))
        super().__init__(field, message)
        self.errors = errors


def _check(field: str, text: str, code: str) -> str:
    """Render one text with the sample data; a syntax/sandbox error or unknown placeholder is Invalid."""
    try:
        names = meta.find_undeclared_variables(_parser.parse(text))
        rendered = notify.render_text(text, SAMPLE_DATA.get(code, {}))
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        detail = f"{exc.message or exc.__class__.__name__}" + (f" (line {line})" if line else "")
        raise Invalid(field, _("This template cannot be rendered: %(error)s", error=detail)) from None
    except Exception as exc:
        raise Invalid(field, _("This template cannot be rendered: %(error)s",
                               error=str(exc) or exc.__class__.__name__)) from None
    if code in SAMPLE_DATA:
        unknown = sorted(names - set(SAMPLE_DATA[code]))
        if unknown:
            raise Invalid(field, _("Unknown placeholder %(names)s. Available: %(available)s.",
                                   names=", ".join(unknown), available=", ".join(sorted(SAMPLE_DATA[code]))))
    return rendered


def preview(code: str, subject: str, body: str) -> dict:
    """Subject and body rendered with the code's sample data; TemplateInvalid lists every broken field."""
    errors: dict[str, str] = {}
    out = {"subject": "", "body": ""}
    for field, text in (("subject", subject), ("body", body)):
        try:
            out[field] = _check(field, text or "", code)
        except Invalid as exc:
            errors[field] = exc.message
    if errors:
        raise TemplateInvalid(errors)
    return out


async def save_template(actor: Actor, code: str, channel: str, subject: str, body: str) -> None:
    current = await get_template(code, channel)
    if current is None:
        raise Invalid("", _("This template does not exist."))
    if channel in SUBJECT_REQUIRED and not subject.strip():
        raise TemplateInvalid({"subject": _("This field is required.")})
    preview(code, subject, body)
    async with db.transaction():
        await db.execute(
            "INSERT INTO message_template (code, channel, name, subject, body, created_by, updated_by) "
            "VALUES ($1,$2,$3,$4,$5,$6,$6) ON CONFLICT (code, channel) DO UPDATE SET subject = EXCLUDED.subject, "
            "body = EXCLUDED.body, updated_at = now(), updated_by = EXCLUDED.updated_by",
            code, channel, template_name(code)[:100], subject, body, actor.id)
        await audit.record(actor, "update", "message_template", f"{code}/{channel}",
                           before={"subject": current["subject"], "body": current["body"]},
                           after={"subject": subject, "body": body})


async def reset_template(actor: Actor, code: str, channel: str) -> None:
    """Delete the override: the default text applies again."""
    async with db.transaction():
        before = await db.fetchrow("DELETE FROM message_template WHERE code = $1 AND channel = $2 "
                                   "RETURNING subject, body", code, channel)
        if before is None:
            raise Conflict(_("This template already uses the default text."))
        await audit.record(actor, "delete", "message_template", f"{code}/{channel}", before=before,
                           summary="reset to default")


# --- delivery log ------------------------------------------------------------------------------------

DELIVERY_STATUSES = ("queued", "sent", "failed", "skipped")


@dataclass
class DeliveryFilters:
    channel: str = ""
    status: str = ""
    template: str = ""
    q: str = ""  # username, name or address
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_query(cls, params) -> tuple[DeliveryFilters, dict[str, str]]:
        """Filters from the query string, and messages for dates that do not parse."""
        dates, errors = sqlfilter.dates(params, "date_from", "date_to")
        return cls(channel=sqlfilter.choice(params, "channel", notify.CHANNELS),
                   status=sqlfilter.choice(params, "status", DELIVERY_STATUSES),
                   template=sqlfilter.text(params, "template", 64), q=sqlfilter.text(params, "q"), **dates), errors


async def list_deliveries(actor: Actor, f: DeliveryFilters, req: PageRequest) -> Page:
    """The delivery log, limited to recipients in the viewer's data scope."""
    args: list = []
    where = sqlfilter.Where(args, actor.scope.sql("u.org", "d.user_id", args))
    where.equals("d.channel", f.channel).equals("d.status", f.status).equals("d.template_code", f.template)
    where.contains(("d.address", "u.username", "u.name"), f.q)
    sql_where = where.date_range("d.created_at", f.date_from, f.date_to).sql()
    base = f"FROM delivery_log d LEFT JOIN app_user u ON u.id = d.user_id WHERE {sql_where}"
    total = await db.fetchval(f"SELECT count(*) {base}", *args)
    items = await db.fetch(f"SELECT d.*, u.username, u.name AS user_name {base} ORDER BY d.created_at DESC, d.id DESC "
                           f"LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page(items, total, req.page, req.per_page)


async def template_choices() -> list[tuple[str, str]]:
    """(code, code) for every template known or seen in the log: the delivery filter's options."""
    return [(code, code) for code in sorted(set(notify.DEFAULT_TEMPLATES) | {r["template_code"] for r in await db.fetch(
        "SELECT DISTINCT template_code FROM delivery_log WHERE template_code <> ''")})]


async def requeue(actor: Actor, delivery_id: int) -> None:
    """Send a failed email again: its send job (which holds the rendered text) goes back to the queue."""
    async with db.transaction():
        row = await db.fetchrow("SELECT d.id, d.channel, d.status, d.address, d.error, d.user_id, u.org, o.path "
                                "FROM delivery_log d LEFT JOIN app_user u ON u.id = d.user_id "
                                "LEFT JOIN org_node o ON o.id = u.org WHERE d.id = $1 FOR UPDATE OF d", delivery_id)
        if row is None:
            raise Conflict(_("This delivery does not exist."))
        if not actor.scope.allows(row["path"], row["user_id"]):
            raise PermissionDenied()
        if row["channel"] != "email" or row["status"] != "failed":
            raise Conflict(_("Only a failed email can be sent again."))
        job_id = await db.fetchval(
            "UPDATE job SET status = 'queued', attempts = 0, run_at = now(), error = '', finished_at = NULL, "
            "locked_by = '', locked_until = NULL WHERE dedupe_key = $1 AND status <> 'running' RETURNING id",
            f"delivery:{delivery_id}")
        if job_id is None:
            raise Conflict(_("The text of this message is no longer available; it cannot be sent again."))
        await db.execute("UPDATE delivery_log SET status = 'queued', error = '' WHERE id = $1", delivery_id)
        await audit.record(actor, "requeue", "delivery_log", delivery_id,
                           before={"status": "failed", "error": row["error"]},
                           after={"status": "queued", "job": job_id}, org_id=row["org"])
    await db.execute(f"NOTIFY {jobs.NOTIFY_CHANNEL}")


# --- dev mailbox (local SMTP sink) ----------------------------------------------------------------------

URL_RE = re.compile(r"https?://[^\s<>\"']+")


async def list_dev_mail(req: PageRequest) -> Page:
    total = await db.fetchval("SELECT count(*) FROM dev_mail")
    items = await db.fetch("SELECT id, received_at, mail_from, rcpt, subject FROM dev_mail "
                           f"ORDER BY received_at DESC, id DESC LIMIT {req.per_page} OFFSET {req.offset}")
    return Page(items, total, req.page, req.per_page)


def split_links(text: str) -> list[dict]:
    """The text as parts, each plain text or an http(s) link, so a template can autoescape both."""
    parts, pos = [], 0
    for match in URL_RE.finditer(text or ""):
        url = match.group(0).rstrip(".,;:!?)）。，")
        if match.start() > pos:
            parts.append({"text": text[pos:match.start()], "link": False})
        parts.append({"text": url, "link": True})
        pos = match.start() + len(url)
    if pos < len(text or ""):
        parts.append({"text": text[pos:], "link": False})
    return parts


async def get_dev_mail(mail_id: int) -> dict | None:
    row = await db.fetchrow("SELECT * FROM dev_mail WHERE id = $1", mail_id)
    if row is None:
        return None
    parsed = message_from_string(row["raw"] or "", policy=policy.default)
    row["headers"] = [(name, str(value)) for name, value in parsed.items()]
    row["parts"] = split_links(row["body"])
    row["links"] = [p["text"] for p in row["parts"] if p["link"]]
    return row
