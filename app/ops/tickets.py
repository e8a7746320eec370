"""Ticket types of an event (OPS-02): free, paid (cash in fen through the payment adapter) or points, each
with a quota, a sale window and a per-person limit. `taken` is only ever changed by registrations.py, in the
same statement that checks the quota."""
from __future__ import annotations

from datetime import datetime

from app.core import audit, db, money
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.ops import events
from app.ops.access import NotFound

KINDS = {"free": L("Free"), "paid": L("Paid ticket (cash)"), "points": L("Points")}
QUOTA_MAX = 100_000


async def ticket_types(event_id: int) -> list[dict]:
    rows = await db.fetch("SELECT * FROM ops_ticket_type WHERE event = $1 ORDER BY sort, id", event_id)
    for row in rows:
        row["left"] = max(0, row["quota"] - row["taken"])
        row["kind_label"] = str(KINDS.get(row["kind"], row["kind"]))
        row["price_label"] = price_label(row)
    return rows


def price_label(ticket: dict) -> str:
    if ticket["kind"] == "points":
        return _("%(n)s points", n=ticket["price"])
    if ticket["kind"] == "paid":
        return money.yuan(ticket["price"])
    return _("Free admission")


def _clean(values: dict) -> dict:
    name = (values.get("name") or "").strip()
    if not name:
        raise Invalid("name", _("This field is required."))
    if len(name) > 100:
        raise Invalid("name", _("At most %(n)s characters.", n=100))
    kind = values.get("kind") or "free"
    if kind not in KINDS:
        raise Invalid("kind", _("Choose from the list."))
    numbers = {}
    for key, lo, hi in (("quota", 1, QUOTA_MAX), ("per_person", 1, 20), ("price", 0, 10_000_000)):
        raw = values.get(key)
        try:
            numbers[key] = int(raw if raw not in (None, "") else {"quota": 100, "per_person": 1, "price": 0}[key])
        except (TypeError, ValueError):
            raise Invalid(key, _("Enter a whole number.")) from None
        if not lo <= numbers[key] <= hi:
            raise Invalid(key, _("Between %(lo)s and %(hi)s.", lo=lo, hi=hi))
    if kind == "points" and numbers["price"] <= 0:
        raise Invalid("price", _("A points ticket costs at least 1 point."))
    if kind == "paid":
        numbers["price"] = money.fen(values.get("price_yuan")) or 0
        if not 1 <= numbers["price"] <= 10_000_000:
            raise Invalid("price_yuan", _("Enter the price in yuan, e.g. 50 or 49.90."))
    if kind == "free":
        numbers["price"] = 0
    for key in ("sale_starts", "sale_ends"):
        if values.get(key) is not None and not isinstance(values[key], datetime):
            raise Invalid(key, _("Enter a date and time."))
    if values.get("sale_starts") and values.get("sale_ends") and values["sale_ends"] <= values["sale_starts"]:
        raise Invalid("sale_ends", _("The sale ends before it starts."))
    return {"name": name, "kind": kind, **numbers, "sale_starts": values.get("sale_starts"),
            "sale_ends": values.get("sale_ends")}


async def save_ticket_type(actor: Actor, event_id: int, values: dict, ticket_id: int | None = None) -> int:
    fields = _clean(values)
    async with db.transaction():
        event = await events.managed_event(actor, event_id)
        if ticket_id:
            before = await db.fetchrow("SELECT * FROM ops_ticket_type WHERE id = $1 AND event = $2 FOR UPDATE",
                                       ticket_id, event_id)
            if before is None:
                raise NotFound()
            if fields["quota"] < before["taken"]:
                raise Invalid("quota", _("%(n)s places are already taken: the quota cannot be lower.",
                                         n=before["taken"]))
            if before["taken"] and (fields["kind"] != before["kind"] or fields["price"] != before["price"]):
                raise Conflict(_("People hold tickets of this type: its kind and price stay as they are."))
            await db.execute(
                "UPDATE ops_ticket_type SET name = $2, kind = $3, price = $4, quota = $5, per_person = $6,"
                " sale_starts = $7, sale_ends = $8, updated_at = now(), updated_by = $9 WHERE id = $1", ticket_id,
                fields["name"], fields["kind"], fields["price"], fields["quota"], fields["per_person"],
                fields["sale_starts"], fields["sale_ends"], actor.id)
            await audit.record(actor, "update", "ops_ticket_type", ticket_id,
                               before={k: before[k] for k in fields}, after=fields, summary=event["title"])
            return ticket_id
        new_id = await db.fetchval(
            "INSERT INTO ops_ticket_type (event, name, kind, price, quota, per_person, sale_starts, sale_ends, sort,"
            " created_by, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
            " (SELECT COALESCE(max(sort), 0) + 1 FROM ops_ticket_type WHERE event = $1), $9, $9) RETURNING id",
            event_id, fields["name"], fields["kind"], fields["price"], fields["quota"], fields["per_person"],
            fields["sale_starts"], fields["sale_ends"], actor.id)
        await audit.record(actor, "create", "ops_ticket_type", new_id, after=fields, summary=event["title"])
        return new_id


async def delete_ticket_type(actor: Actor, event_id: int, ticket_id: int) -> None:
    async with db.transaction():
        await events.managed_event(actor, event_id)
        if await db.fetchval("SELECT 1 FROM ops_registration WHERE ticket_type = $1 LIMIT 1", ticket_id):
            raise Conflict(_("People registered with this ticket type: it cannot be deleted."))
        row = await db.fetchrow("DELETE FROM ops_ticket_type WHERE id = $1 AND event = $2 RETURNING name",
                                ticket_id, event_id)
        if row:
            await audit.record(actor, "delete", "ops_ticket_type", ticket_id, before=dict(row), summary=row["name"])
