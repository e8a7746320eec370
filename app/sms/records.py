"""Sent-message records (SMS-05): search by number, batch, status, date range, account and text, in the
accounts the operator may use. Paging is keyset on the message id (newest first), so page 500 of a
table with millions of rows costs what page 1 costs; the failed numbers of a search can be exported
and resent in one go (outbox.resend makes the new send)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.core import db, sqlfilter
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.sqlfilter import Where
from app.sms import accounts, labels, outbox

STATUSES = labels.MESSAGE_STATUS
FAILED = outbox.FINAL_FAILED
MAX_RESEND = 10_000
MAX_EXPORT = 100_000


@dataclass
class RecordFilter:
    phone: str = ""
    batch: int | None = None
    status: str = ""  # one status, or "failed_all" for every failed state
    account: int | None = None
    text: str = ""
    date_from: object = None
    date_to: object = None

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> tuple[RecordFilter, dict]:
        dates, errors = sqlfilter.dates(params, "from", "to")
        status = sqlfilter.choice(params, "status", [*STATUSES, "failed_all"])
        return cls(sqlfilter.text(params, "phone", 20), sqlfilter.number(params, "batch"), status,
                   sqlfilter.number(params, "account"), sqlfilter.text(params, "q"), dates["from"], dates["to"]), errors

    def where(self, actor: Actor, *, failed_only: bool = False) -> Where:
        where = Where()
        where.add(accounts.visible_sql(actor, where.args, "m.account"))
        if self.phone:
            digits = "".join(ch for ch in self.phone if ch.isdigit())
            where.add(f"m.phone LIKE {where.param(sqlfilter.like_pattern(digits, prefix_only=True))}")
        where.equals("m.batch", self.batch).equals("m.account", self.account)
        if failed_only or self.status == "failed_all":
            where.add(f"m.status = ANY({where.param(list(FAILED))}::text[])")
        elif self.status:
            where.equals("m.status", self.status)
        where.contains("m.text", self.text).date_range("m.created_at", self.date_from, self.date_to)
        return where


@dataclass
class KeysetPage:
    items: list[dict]
    per_page: int
    next_before: int | None  # id to pass as ?before= for the next (older) page
    first: bool


async def search(actor: Actor, f: RecordFilter, *, before: int | None = None, per_page: int = 50) -> KeysetPage:
    where = f.where(actor)
    if before:
        where.add(f"m.id < {where.param(before)}")
    rows = await db.fetch(
        f"SELECT m.id, m.batch, m.account, a.name AS account_name, m.phone, m.text, m.segments, m.status, m.reason,"
        f" m.receipt_status, m.created_at, m.submitted_at, m.done_at, ch.name AS channel_name FROM sms_message m"
        f" JOIN sms_account a ON a.id = m.account LEFT JOIN sms_channel ch ON ch.id = m.channel"
        f" WHERE {where.sql()} ORDER BY m.id DESC LIMIT {per_page + 1}", *where.args)
    more = len(rows) > per_page
    rows = rows[:per_page]
    return KeysetPage(rows, per_page, rows[-1]["id"] if more and rows else None, before is None)


async def failed_ids(actor: Actor, f: RecordFilter, limit: int = MAX_RESEND) -> list[int]:
    where = f.where(actor, failed_only=True)
    return [r["id"] for r in await db.fetch(f"SELECT m.id FROM sms_message m WHERE {where.sql()}"
                                            f" ORDER BY m.id LIMIT {limit}", *where.args)]


async def count_failed(actor: Actor, f: RecordFilter) -> int:
    where = f.where(actor, failed_only=True)
    return await db.fetchval(f"SELECT count(*) FROM (SELECT 1 FROM sms_message m WHERE {where.sql()}"
                             f" LIMIT {MAX_RESEND + 1}) x", *where.args)


async def failed_rows(actor: Actor, f: RecordFilter) -> list[dict]:
    """The failed numbers of a search for export (one row per failed message)."""
    where = f.where(actor, failed_only=True)
    return await db.fetch(
        f"SELECT m.phone, m.batch, a.name AS account_name, m.status, m.reason, m.receipt_status, m.created_at, m.text"
        f" FROM sms_message m JOIN sms_account a ON a.id = m.account WHERE {where.sql()}"
        f" ORDER BY m.id LIMIT {MAX_EXPORT}", *where.args)


async def resend_failed(actor: Actor, f: RecordFilter) -> outbox.SendResult:
    ids = await failed_ids(actor, f)
    if not ids:
        raise Invalid("", _("There are no failed messages to resend in this search."))
    return await outbox.resend(ids, user_id=actor.id, actor=actor)


async def get_message(actor: Actor, message_id: int) -> dict:
    return await accounts.one_in_scope(
        actor, "SELECT m.*, a.name AS account_name, ch.name AS channel_name FROM sms_message m"
        " JOIN sms_account a ON a.id = m.account LEFT JOIN sms_channel ch ON ch.id = m.channel WHERE m.id = $1",
        message_id, "m.account")


def timeline(m: dict) -> list[dict]:
    """The stations of a message: queued → submitting → submitted → receipt (or the final failure)."""
    steps = [{"label": _("Queued"), "at": m["created_at"], "done": True}]
    if m["status"] == "scheduled" or m["status"] == "cancelled":
        steps.append({"label": STATUSES[m["status"]], "at": m["next_attempt_at"] if m["status"] == "scheduled"
                      else m["done_at"], "done": m["status"] == "cancelled"})
        return steps
    steps.append({"label": _("Submitting (attempt %(n)s)", n=m["attempt"] or 1), "at": m["submitting_at"],
                  "done": m["submitting_at"] is not None})
    steps.append({"label": _("Submitted to the channel"), "at": m["submitted_at"],
                  "done": m["submitted_at"] is not None})
    final = STATUSES.get(m["status"], m["status"]) if m["status"] in ("delivered", *FAILED) else _("Receipt")
    steps.append({"label": final, "at": m["done_at"], "done": m["done_at"] is not None,
                  "note": " · ".join(x for x in (m["receipt_status"], m["reason"]) if x)})
    return steps


async def channel_ids(message_id: int) -> list[dict]:
    return await db.fetch("SELECT segment, channel_msg_id, receipt_status, created_at FROM sms_channel_id"
                          " WHERE message = $1 ORDER BY segment", message_id)


async def batch_counts(batch_id: int) -> dict[str, int]:
    rows = await db.fetch("SELECT status, count(*) AS n FROM sms_message WHERE batch = $1 GROUP BY status", batch_id)
    return {r["status"]: r["n"] for r in rows}
