"""Seat and table allocation (OPS-02): an event with numbered seats or tables of `table_size` gives every
registration holding a place a seat, unique within the event (a partial unique index guards it). Allocation keeps
the seats already given, fills the rest in order and, when asked, seats people who gave the same answer to a
signup question (a class, a college) or hold the same ticket type together: in table mode a group that fits in
one table is never split across tables when a table with room for all of it exists.

Stored seat labels: "12" (seat 12) or "3-5" (table 3, seat 5); `label()` renders them for people."""
from __future__ import annotations

import re
from collections import defaultdict

import asyncpg

from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.ops import custom_forms, events

HOLDING = ("pending", "unpaid", "confirmed")  # the statuses that hold a place (and so a seat)
MAX_SEATS = 20_000
_SEAT = re.compile(r"^[1-9]\d{0,4}$")
_TABLE_SEAT = re.compile(r"^([1-9]\d{0,3})-([1-9]\d?)$")


def label(seat: str) -> str:
    match = _TABLE_SEAT.match(seat or "")
    if match:
        return _("Table %(table)s, seat %(seat)s", table=match.group(1), seat=match.group(2))
    return _("Seat %(seat)s", seat=seat) if seat else ""


async def group_choices(event: dict) -> list[tuple[str, str]]:
    """What allocation can group by: nothing, the ticket type, or a question of the signup form."""
    out = [("", _("Registration order")), ("ticket", _("Ticket type"))]
    for q in await custom_forms.questions(event["form"]):
        if q.kind in ("text", "choice", "number"):
            out.append((f"q_{q.key}", q.label))
    return out


async def _holders(event_id: int, group_by: str) -> list[dict]:
    group_sql = "''"
    args: list = [event_id, list(HOLDING)]
    if group_by == "ticket":
        group_sql = "r.ticket_type::text"
    elif group_by.startswith("q_"):
        args.append(group_by[2:])
        group_sql = "COALESCE(fr.answers ->> $3, '')"
    return await db.fetch(
        f"SELECT r.id, r.seat, r.name, {group_sql} AS grp FROM ops_registration r LEFT JOIN ops_form_response fr"
        " ON fr.id = r.response WHERE r.event = $1 AND r.status = ANY($2::varchar[]) ORDER BY r.id", *args)


def _plan_seats(taken: set[str], groups: list[list[dict]]) -> dict[int, str]:
    free = (str(n) for n in range(1, MAX_SEATS + 1) if str(n) not in taken)
    return {row["id"]: next(free) for group in groups for row in group}


def _plan_tables(taken: set[str], groups: list[list[dict]], size: int) -> dict[int, str]:
    free: dict[int, list[int]] = defaultdict(lambda: list(range(1, size + 1)))
    for seat in taken:
        match = _TABLE_SEAT.match(seat)
        if match and int(match.group(2)) in free[int(match.group(1))]:
            free[int(match.group(1))].remove(int(match.group(2)))
    plan: dict[int, str] = {}
    tables = max((int(m.group(1)) for s in taken if (m := _TABLE_SEAT.match(s))), default=0)

    def table_with_room(n: int) -> int:
        nonlocal tables
        for table in range(1, tables + 1):
            if len(free[table]) >= n:
                return table
        tables += 1
        while len(free[tables]) < n:  # a table partly filled by hand, too full for this group
            tables += 1
        return tables

    for group in groups:
        rest = list(group)
        while rest:
            chunk = rest[:size] if len(rest) > size else rest
            table = table_with_room(len(chunk))
            for row in chunk:
                plan[row["id"]] = f"{table}-{free[table].pop(0)}"
            rest = rest[len(chunk):]
    return plan


async def allocate(actor: Actor, event_id: int, group_by: str = "") -> int:
    """Seat everyone holding a place who has no seat yet; returns how many were seated."""
    async with db.transaction():
        event = await events.managed_event(actor, event_id)
        if event["seating"] == "none":
            raise Conflict(_("This event has no seating: choose numbered seats or tables in its settings."))
        if group_by and group_by not in dict(await group_choices(event)):
            raise Invalid("group_by", _("Choose from the list."))
        await db.execute("SELECT pg_advisory_xact_lock($1::int, 0)", event_id)
        rows = await _holders(event_id, group_by)
        taken = {r["seat"] for r in rows if r["seat"]}
        grouped: dict[str, list[dict]] = {}
        for row in rows:
            if not row["seat"]:
                grouped.setdefault(row["grp"] or "", []).append(row)
        groups = sorted(grouped.values(), key=lambda g: -len(g)) if event["seating"] == "table" \
            else list(grouped.values())
        plan = _plan_tables(taken, groups, event["table_size"]) if event["seating"] == "table" \
            else _plan_seats(taken, groups)
        if plan:
            await db.execute("UPDATE ops_registration r SET seat = p.seat, updated_at = now() FROM"
                             " unnest($1::bigint[], $2::varchar[]) AS p(id, seat) WHERE r.id = p.id",
                             list(plan), list(plan.values()))
        await audit.record(actor, "allocate_seats", "ops_event", event_id, after={"seated": len(plan),
                                                                                "group_by": group_by},
                           summary=event["title"])
        return len(plan)


def clean_seat(event: dict, raw: str) -> str:
    seat = (raw or "").strip().replace(" ", "")
    if not seat:
        return ""
    if event["seating"] == "table":
        match = _TABLE_SEAT.match(seat)
        if not match or int(match.group(2)) > event["table_size"]:
            raise Invalid("seat", _("Write table-seat, e.g. 3-5 (at most %(n)s seats per table).",
                                    n=event["table_size"]))
    elif not _SEAT.match(seat):
        raise Invalid("seat", _("Write the seat number, e.g. 12."))
    return seat


async def assign(actor: Actor, event_id: int, code: str, raw_seat: str) -> None:
    """Give one ticket (by its code) a seat by hand, or take it away with an empty seat."""
    async with db.transaction():
        event = await events.managed_event(actor, event_id)
        if event["seating"] == "none":
            raise Conflict(_("This event has no seating: choose numbered seats or tables in its settings."))
        seat = clean_seat(event, raw_seat)
        row = await db.fetchrow("SELECT id, seat, name FROM ops_registration WHERE event = $1 AND code = $2"
                                " AND status = ANY($3::varchar[]) FOR UPDATE", event_id,
                                (code or "").strip().upper(), list(HOLDING))
        if row is None:
            raise Invalid("code", _("No ticket of this event holding a place has this code."))
        holder = await db.fetchval("SELECT name FROM ops_registration WHERE event = $1 AND seat = $2 AND id <> $3"
                                   " AND status = ANY($4::varchar[])", event_id, seat, row["id"], list(HOLDING)) \
            if seat else None
        if holder is not None:
            raise Invalid("seat", _("This seat is already %(name)s's.", name=holder or "?"))
        try:
            await db.execute("UPDATE ops_registration SET seat = $2, updated_at = now(), updated_by = $3"
                             " WHERE id = $1", row["id"], seat, actor.id)
        except asyncpg.UniqueViolationError:
            raise Invalid("seat", _("This seat was just given to someone else.")) from None
        await audit.record(actor, "seat", "ops_registration", row["id"], before={"seat": row["seat"]},
                           after={"seat": seat}, summary=event["title"])


async def clear(actor: Actor, event_id: int) -> int:
    async with db.transaction():
        event = await events.managed_event(actor, event_id)
        cleared = await db.fetchval("WITH c AS (UPDATE ops_registration SET seat = '', updated_at = now() WHERE"
                                    " event = $1 AND seat <> '' RETURNING 1) SELECT count(*) FROM c", event_id)
        await audit.record(actor, "clear_seats", "ops_event", event_id, after={"cleared": cleared},
                           summary=event["title"])
        return cleared


async def seat_map(event_id: int) -> dict:
    """Everyone holding a place by seat: {"tables": [(table, [(seat, name, code)])] | "seats": [...],
    "unseated": n}. Rows come sorted by seat number."""
    rows = await db.fetch("SELECT seat, name, code FROM ops_registration WHERE event = $1 AND status ="
                          " ANY($2::varchar[]) ORDER BY id", event_id, list(HOLDING))
    unseated = sum(1 for r in rows if not r["seat"])
    tables: dict[int, list] = defaultdict(list)
    seats = []
    for r in rows:
        match = _TABLE_SEAT.match(r["seat"] or "")
        if match:
            tables[int(match.group(1))].append((int(match.group(2)), r["name"], r["code"]))
        elif r["seat"]:
            seats.append((int(r["seat"]), r["name"], r["code"]))
    return {"tables": [(t, sorted(tables[t])) for t in sorted(tables)], "seats": sorted(seats),
            "unseated": unseated, "holding": len(rows)}
