"""Council meetings (ORG-03 理事会议): date, place, term, the minutes (rich text, sanitised by the content
platform), the members who attended, and files (type, size and content checked by app.core.uploads)."""
from __future__ import annotations

from datetime import date

from app.content import api as content
from app.core import audit, db, uploads
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.pagination import Page, PageRequest
from app.core.storage import storage
from app.orgs import orgs


class NotFound(Exception):
    """No such meeting or file in this org."""


async def list_meetings(actor: Actor, org_id: int, req: PageRequest) -> Page:
    await orgs.for_manager(actor, org_id)
    total = await db.fetchval("SELECT count(*) FROM orgs_meeting WHERE org = $1", org_id)
    rows = await db.fetch(
        "SELECT m.id, m.title, m.held_on, m.place, t.number AS term_number,"
        " (SELECT count(*) FROM orgs_meeting_attendee a WHERE a.meeting = m.id) AS attendees,"
        " (SELECT count(*) FROM orgs_meeting_file f WHERE f.meeting = m.id) AS files"
        " FROM orgs_meeting m LEFT JOIN orgs_term t ON t.id = m.term WHERE m.org = $1"
        f" ORDER BY m.held_on DESC, m.id DESC LIMIT {req.per_page} OFFSET {req.offset}", org_id)
    return Page(rows, total, req.page, req.per_page)


async def get(actor: Actor, org_id: int, meeting_id: int) -> dict:
    await orgs.for_manager(actor, org_id)
    row = await db.fetchrow("SELECT m.*, t.number AS term_number, t.name AS term_name FROM orgs_meeting m"
                            " LEFT JOIN orgs_term t ON t.id = m.term WHERE m.id = $1 AND m.org = $2",
                            meeting_id, org_id)
    if row is None:
        raise NotFound(meeting_id)
    row["attendees"] = await db.fetch(
        "SELECT u.id, COALESCE(NULLIF(u.name, ''), u.username) AS name FROM orgs_meeting_attendee a"
        " JOIN app_user u ON u.id = a.\"user\" WHERE a.meeting = $1 ORDER BY u.name", meeting_id)
    row["files"] = await db.fetch("SELECT * FROM orgs_meeting_file WHERE meeting = $1 ORDER BY id", meeting_id)
    return row


async def save(actor: Actor, org_id: int, *, title: str, held_on: date | None, place: str = "",
               term_id: int | None = None, minutes: str = "", attendees: list[int] = (),
               meeting_id: int | None = None) -> int:
    title = (title or "").strip()
    if not title:
        raise Invalid("title", _("This field is required."))
    if held_on is None:
        raise Invalid("held_on", _("This field is required."))
    minutes = content.sanitize_rich_html(minutes or "")
    async with db.transaction():
        org = await orgs.for_manager(actor, org_id)
        if term_id and not await db.fetchval("SELECT 1 FROM orgs_term WHERE id = $1 AND org = $2", term_id, org_id):
            raise Invalid("term", _("Choose from the list."))
        attendees = sorted({int(a) for a in attendees})
        members = {r["user"] for r in await db.fetch(
            "SELECT \"user\" FROM orgs_member WHERE org = $1 AND \"user\" = ANY($2::bigint[])", org_id, attendees)}
        if set(attendees) - members:
            raise Invalid("attendees", _("Attendees must be members of the association."))
        after = {"title": title[:200], "held_on": held_on, "place": (place or "").strip()[:200],
                 "term": term_id or None, "attendees": attendees}
        if meeting_id is None:
            meeting_id = await db.fetchval(
                "INSERT INTO orgs_meeting (org, term, title, held_on, place, minutes, created_by, updated_by)"
                " VALUES ($1,$2,$3,$4,$5,$6,$7,$7) RETURNING id", org_id, after["term"], after["title"], held_on,
                after["place"], minutes, actor.id)
            action = "create"
        else:
            status = await db.execute("UPDATE orgs_meeting SET term=$3, title=$4, held_on=$5, place=$6, minutes=$7,"
                                      " updated_at=now(), updated_by=$8 WHERE id = $1 AND org = $2", meeting_id, org_id,
                                      after["term"], after["title"], held_on, after["place"], minutes, actor.id)
            if not status.endswith(" 1"):
                raise NotFound(meeting_id)
            action = "update"
        await db.execute("DELETE FROM orgs_meeting_attendee WHERE meeting = $1 AND NOT (\"user\" = ANY($2::bigint[]))",
                         meeting_id, attendees)
        await db.execute("INSERT INTO orgs_meeting_attendee (meeting, \"user\") SELECT $1, unnest($2::bigint[])"
                         " ON CONFLICT DO NOTHING", meeting_id, attendees)
        await audit.record(actor, action, "orgs_meeting", meeting_id, org_id=org["node"], summary=after["title"],
                           after=after)
    return meeting_id


async def delete(actor: Actor, org_id: int, meeting_id: int) -> None:
    async with db.transaction():
        org = await orgs.for_manager(actor, org_id)
        row = await db.fetchrow("DELETE FROM orgs_meeting WHERE id = $1 AND org = $2 RETURNING id, title, held_on",
                                meeting_id, org_id)
        if row is None:
            raise NotFound(meeting_id)
        await audit.record(actor, "delete", "orgs_meeting", meeting_id, org_id=org["node"], before=row,
                           summary=row["title"])


async def add_file(actor: Actor, org_id: int, meeting_id: int, filename: str, data: bytes) -> int:
    """A file of the meeting (agenda, signed minutes …): checked by type, size and content before it is stored."""
    await get(actor, org_id, meeting_id)
    stored = await uploads.save(filename, data, field="file")
    async with db.transaction():
        org = await orgs.for_manager(actor, org_id)
        file_id = await db.fetchval(
            "INSERT INTO orgs_meeting_file (meeting, key, filename, size, content_type, created_by)"
            " VALUES ($1,$2,$3,$4,$5,$6) RETURNING id", meeting_id, stored.key, stored.name, stored.size,
            stored.content_type, actor.id)
        await audit.record(actor, "create", "orgs_meeting_file", file_id, org_id=org["node"], summary=stored.name,
                           after={"meeting": meeting_id, "size": stored.size})
    return file_id


async def get_file(actor: Actor, org_id: int, meeting_id: int, file_id: int) -> tuple[dict, bytes]:
    await get(actor, org_id, meeting_id)
    row = await db.fetchrow("SELECT * FROM orgs_meeting_file WHERE id = $1 AND meeting = $2", file_id, meeting_id)
    if row is None or not storage().exists(row["key"]):
        raise NotFound(file_id)
    return row, storage().get(row["key"])


async def delete_file(actor: Actor, org_id: int, meeting_id: int, file_id: int) -> None:
    await get(actor, org_id, meeting_id)
    async with db.transaction():
        org = await orgs.for_manager(actor, org_id)
        row = await db.fetchrow("DELETE FROM orgs_meeting_file WHERE id = $1 AND meeting = $2 RETURNING *", file_id,
                                meeting_id)
        if row is None:
            raise NotFound(file_id)
        await audit.record(actor, "delete", "orgs_meeting_file", file_id, org_id=org["node"], before=row,
                           summary=row["filename"])
    storage().delete(row["key"])
