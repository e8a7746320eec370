"""The council (ORG-03 理事会): positions in display order (会长, 副会长, 秘书长, 理事 …), terms (届) with one current
term, and who holds which position in a term (a member's account, or just a name). Every write checks that the
org is inside the actor's scope and is audited."""
from __future__ import annotations

from datetime import date

from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.orgs import orgs

DEFAULT_POSITIONS = ("会长", "副会长", "秘书长", "副秘书长", "理事")


class NotFound(Exception):
    """No such position, term or seat in this org."""


async def positions(org_id: int) -> list[dict]:
    return await db.fetch("SELECT * FROM orgs_position WHERE org = $1 ORDER BY sort, id", org_id)


async def terms(org_id: int) -> list[dict]:
    return await db.fetch("SELECT * FROM orgs_term WHERE org = $1 ORDER BY number DESC", org_id)


async def council(org_id: int, term_id: int | None = None) -> dict:
    """A term (the current one unless asked) with its positions and their holders, in order."""
    all_terms = await terms(org_id)
    term = next((t for t in all_terms if t["id"] == term_id), None) if term_id else None
    term = term or next((t for t in all_terms if t["current"]), None) or (all_terms[0] if all_terms else None)
    seats = await db.fetch(
        "SELECT s.*, u.username FROM orgs_seat s LEFT JOIN app_user u ON u.id = s.\"user\" WHERE s.term = $1"
        " ORDER BY s.sort, s.id", term["id"] if term else None)
    groups = [{"position": p, "seats": [s for s in seats if s["position"] == p["id"]]} for p in await positions(org_id)]
    return {"terms": all_terms, "term": term, "groups": groups, "seat_count": len(seats)}


# --- positions ------------------------------------------------------------------------------------------

async def save_position(actor: Actor, org_id: int, name: str, sort: int | None, position_id: int | None = None) -> int:
    name = (name or "").strip()
    if not name:
        raise Invalid("name", _("This field is required."))
    async with db.transaction():
        org = await orgs.for_manager(actor, org_id)
        if await db.fetchval("SELECT 1 FROM orgs_position WHERE org = $1 AND name = $2 AND id IS DISTINCT FROM $3",
                             org_id, name, position_id):
            raise Invalid("name", _("This position already exists."))
        if position_id is None:
            sort = sort if sort is not None else await db.fetchval(
                "SELECT COALESCE(max(sort), 0) + 10 FROM orgs_position WHERE org = $1", org_id)
            position_id = await db.fetchval("INSERT INTO orgs_position (org, name, sort) VALUES ($1, $2, $3)"
                                            " RETURNING id", org_id, name[:40], sort)
            await audit.record(actor, "create", "orgs_position", position_id, org_id=org["node"], summary=name)
        else:
            status = await db.execute("UPDATE orgs_position SET name = $3, sort = COALESCE($4, sort) WHERE id = $1"
                                      " AND org = $2", position_id, org_id, name[:40], sort)
            if not status.endswith(" 1"):
                raise NotFound(position_id)
            await audit.record(actor, "update", "orgs_position", position_id, org_id=org["node"], summary=name)
    return position_id


async def ensure_default_positions(actor: Actor, org_id: int) -> None:
    """The usual positions, for an org that has none yet."""
    if not await positions(org_id):
        for n, name in enumerate(DEFAULT_POSITIONS, 1):
            await save_position(actor, org_id, name, n * 10)


async def delete_position(actor: Actor, org_id: int, position_id: int) -> None:
    async with db.transaction():
        org = await orgs.for_manager(actor, org_id)
        if await db.fetchval("SELECT 1 FROM orgs_seat WHERE position = $1 LIMIT 1", position_id):
            raise Conflict(_("People hold this position in some term; remove them first."))
        row = await db.fetchrow("DELETE FROM orgs_position WHERE id = $1 AND org = $2 RETURNING *", position_id, org_id)
        if row is None:
            raise NotFound(position_id)
        await audit.record(actor, "delete", "orgs_position", position_id, org_id=org["node"], before=row)


# --- terms ----------------------------------------------------------------------------------------------

async def save_term(actor: Actor, org_id: int, *, number: int, name: str = "", starts_on: date | None = None,
                    ends_on: date | None = None, current: bool = False, term_id: int | None = None) -> int:
    if not number or number < 1:
        raise Invalid("number", _("At least %(n)s.", n=1))
    if starts_on and ends_on and ends_on < starts_on:
        raise Invalid("ends_on", _("The end cannot be before the start."))
    async with db.transaction():
        org = await orgs.for_manager(actor, org_id)
        if await db.fetchval("SELECT 1 FROM orgs_term WHERE org = $1 AND number = $2 AND id IS DISTINCT FROM $3",
                             org_id, number, term_id):
            raise Invalid("number", _("This term number already exists."))
        if current:  # one current term per org
            await db.execute("UPDATE orgs_term SET current = FALSE WHERE org = $1 AND current"
                             " AND id IS DISTINCT FROM $2", org_id, term_id)
        after = {"number": number, "name": (name or "").strip()[:100], "starts_on": starts_on, "ends_on": ends_on,
                 "current": current}
        if term_id is None:
            term_id = await db.fetchval(
                "INSERT INTO orgs_term (org, number, name, starts_on, ends_on, current) VALUES ($1,$2,$3,$4,$5,$6)"
                " RETURNING id", org_id, number, after["name"], starts_on, ends_on, current)
            await audit.record(actor, "create", "orgs_term", term_id, org_id=org["node"], after=after)
        else:
            status = await db.execute("UPDATE orgs_term SET number=$3, name=$4, starts_on=$5, ends_on=$6, current=$7"
                                      " WHERE id = $1 AND org = $2", term_id, org_id, number, after["name"],
                                      starts_on, ends_on, current)
            if not status.endswith(" 1"):
                raise NotFound(term_id)
            await audit.record(actor, "update", "orgs_term", term_id, org_id=org["node"], after=after)
    return term_id


async def get_term(org_id: int, term_id: int) -> dict:
    row = await db.fetchrow("SELECT * FROM orgs_term WHERE id = $1 AND org = $2", term_id, org_id)
    if row is None:
        raise NotFound(term_id)
    return row


async def delete_term(actor: Actor, org_id: int, term_id: int) -> None:
    async with db.transaction():
        org = await orgs.for_manager(actor, org_id)
        row = await db.fetchrow("DELETE FROM orgs_term WHERE id = $1 AND org = $2 RETURNING *", term_id, org_id)
        if row is None:
            raise NotFound(term_id)
        await audit.record(actor, "delete", "orgs_term", term_id, org_id=org["node"], before=row)


# --- seats ----------------------------------------------------------------------------------------------

async def add_seat(actor: Actor, org_id: int, term_id: int, position_id: int | None, user_id: int | None,
                   name: str = "", note: str = "") -> int:
    """Someone holds a position in a term: a member (user_id) or a name typed in."""
    async with db.transaction():
        org = await orgs.for_manager(actor, org_id)
        await get_term(org_id, term_id)
        if not position_id or not await db.fetchval("SELECT 1 FROM orgs_position WHERE id = $1 AND org = $2",
                                                    position_id, org_id):
            raise Invalid("position", _("Choose from the list."))
        if user_id:
            member_name = await db.fetchval(
                "SELECT COALESCE(NULLIF(u.name, ''), u.username) FROM orgs_member m"
                " JOIN app_user u ON u.id = m.\"user\" WHERE m.org = $1 AND m.\"user\" = $2 AND m.status = 'active'",
                org_id, user_id)
            if member_name is None:
                raise Invalid("user", _("Choose a member of the association."))
            name = name.strip() or member_name
        name = (name or "").strip()
        if not name:
            raise Invalid("name", _("Choose a member or type the name."))
        if user_id and await db.fetchval("SELECT 1 FROM orgs_seat WHERE term = $1 AND position = $2 AND \"user\" = $3",
                                         term_id, position_id, user_id):
            raise Invalid("user", _("This person already holds this position in the term."))
        seat_id = await db.fetchval(
            "INSERT INTO orgs_seat (term, position, \"user\", name, note, sort) VALUES ($1,$2,$3,$4,$5,"
            " (SELECT COALESCE(max(sort), 0) + 1 FROM orgs_seat WHERE term = $1)) RETURNING id",
            term_id, position_id, user_id or None, name[:64], (note or "").strip()[:200])
        await audit.record(actor, "create", "orgs_seat", seat_id, org_id=org["node"], summary=name,
                           after={"term": term_id, "position": position_id, "user": user_id, "name": name})
    return seat_id


async def delete_seat(actor: Actor, org_id: int, seat_id: int) -> None:
    async with db.transaction():
        org = await orgs.for_manager(actor, org_id)
        row = await db.fetchrow("DELETE FROM orgs_seat s USING orgs_term t WHERE s.id = $1 AND t.id = s.term"
                                " AND t.org = $2 RETURNING s.*", seat_id, org_id)
        if row is None:
            raise NotFound(seat_id)
        await audit.record(actor, "delete", "orgs_seat", seat_id, org_id=org["node"], before=row, summary=row["name"])


async def get_seat(org_id: int, seat_id: int) -> dict:
    row = await db.fetchrow("SELECT s.*, p.name AS position_name FROM orgs_seat s JOIN orgs_term t ON t.id = s.term"
                            " JOIN orgs_position p ON p.id = s.position WHERE s.id = $1 AND t.org = $2",
                            seat_id, org_id)
    if row is None:
        raise NotFound(seat_id)
    return row
