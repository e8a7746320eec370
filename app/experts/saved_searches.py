"""Saved smart searches (EXP-15), like the records' saved queries: a name, an owner, the keyword and the condition
tree; shared ones are listed for every admin of the pool. Re-running one applies the viewer's own rights (the
contact reveal rule, the phone/email conditions only for exp.contact.view holders)."""
from __future__ import annotations

import json

from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.experts import search

MAX_NAME = 80


class NotFound(Exception):
    pass


def _name(raw: str) -> str:
    name = (raw or "").strip()
    if not name:
        raise Invalid("name", _("Enter a name for the search."))
    if len(name) > MAX_NAME:
        raise Invalid("name", _("Use at most 80 characters."))
    return name


def _with_search(row: dict) -> dict:
    row["search"] = search.SmartSearch.from_stored(row["query"])
    return row


async def saved_searches(actor: Actor) -> list[dict]:
    """The actor's own searches, then those others shared."""
    rows = await db.fetch(
        "SELECT s.id, s.name, s.shared, s.query, s.owner, s.created_at, u.name AS owner_name FROM exp_saved_search s"
        " LEFT JOIN app_user u ON u.id = s.owner WHERE s.owner = $1 OR s.shared"
        " ORDER BY s.owner <> $1, s.name, s.id", actor.id)
    for r in rows:
        _with_search(r)
        r["mine"] = r["owner"] == actor.id
    return rows


async def get_saved(actor: Actor, search_id: int) -> dict:
    row = await db.fetchrow("SELECT * FROM exp_saved_search WHERE id = $1 AND (owner = $2 OR shared)", search_id,
                            actor.id)
    if row is None:
        raise NotFound(search_id)
    row["mine"] = row["owner"] == actor.id
    return _with_search(row)


async def save(actor: Actor, name: str, wanted: search.SmartSearch, shared: bool = False) -> int:
    name = _name(name)
    if wanted.empty:
        raise Invalid("name", _("Add a keyword or a condition before saving."))
    search.check(wanted, await search.catalogue(actor))
    stored = search.SmartSearch.from_stored(wanted.stored()).stored()  # normalized
    async with db.transaction():
        search_id = await db.fetchval(
            "INSERT INTO exp_saved_search (name, owner, query, shared, created_by, updated_by)"
            " VALUES ($1, $2, $3::jsonb, $4, $5, $5) RETURNING id", name, actor.id,
            json.dumps(stored, ensure_ascii=False), shared, actor.id)
        await audit.record(actor, "create", "exp_saved_search", search_id, summary=name,
                           after={"name": name, "query": stored, "shared": shared})
    return search_id


async def rename(actor: Actor, search_id: int, name: str, shared: bool | None = None) -> None:
    """Only the owner (or a superuser) renames a saved search or changes its sharing."""
    name = _name(name)
    async with db.transaction():
        before = await db.fetchrow("SELECT name, shared FROM exp_saved_search WHERE id = $1 AND (owner = $2 OR $3)"
                                   " FOR UPDATE", search_id, actor.id, actor.is_superuser)
        if before is None:
            raise NotFound(search_id)
        shared = before["shared"] if shared is None else shared
        await db.execute("UPDATE exp_saved_search SET name = $2, shared = $3, updated_at = now(), updated_by = $4"
                         " WHERE id = $1", search_id, name, shared, actor.id)
        await audit.record(actor, "update", "exp_saved_search", search_id, summary=name, before=dict(before),
                           after={"name": name, "shared": shared})


async def delete(actor: Actor, search_id: int) -> None:
    """Only the owner (or a superuser) deletes a saved search."""
    async with db.transaction():
        row = await db.fetchrow("DELETE FROM exp_saved_search WHERE id = $1 AND (owner = $2 OR $3) RETURNING *",
                                search_id, actor.id, actor.is_superuser)
        if row is None:
            raise NotFound(search_id)
        await audit.record(actor, "delete", "exp_saved_search", search_id, before={"name": row["name"]},
                           summary=row["name"])
