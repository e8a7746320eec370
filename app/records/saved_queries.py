"""Saved combined queries (REC-05): a name, an owner, the query tree; shared ones are visible to every
admin, and each viewer still only gets the records they may see when re-running one."""
from __future__ import annotations

import json

from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.records import api, fields
from app.records.query import check, count_conditions, normalize


async def saved_queries(actor: Actor) -> list[dict]:
    """The actor's own queries and those others shared."""
    rows = await db.fetch(
        "SELECT q.id, q.name, q.shared, q.query, q.owner, q.created_at, u.name AS owner_name FROM rec_saved_query q"
        " LEFT JOIN app_user u ON u.id = q.owner WHERE q.owner = $1 OR q.shared ORDER BY q.owner <> $1, q.name, q.id",
        actor.id)
    for r in rows:
        r["tree"] = normalize(r["query"])
        r["mine"] = r["owner"] == actor.id
    return rows


async def get_saved(actor: Actor, query_id: int) -> dict:
    row = await db.fetchrow("SELECT * FROM rec_saved_query WHERE id = $1 AND (owner = $2 OR shared)", query_id,
                            actor.id)
    if row is None:
        raise api.NotFound(query_id)
    row["tree"] = normalize(row["query"])
    return row


async def save_query(actor: Actor, name: str, tree: dict, shared: bool = False) -> int:
    name = (name or "").strip()
    if not name:
        raise Invalid("name", _("Enter a name for the query."))
    if len(name) > 80:
        raise Invalid("name", _("Use at most 80 characters."))
    tree = normalize(tree)
    if not count_conditions(tree):
        raise Invalid("name", _("Add at least one condition before saving."))
    check(tree, await fields.by_code())
    async with db.transaction():
        query_id = await db.fetchval(
            "INSERT INTO rec_saved_query (name, owner, query, shared, created_by, updated_by)"
            " VALUES ($1, $2, $3::jsonb, $4, $5, $5) RETURNING id", name, actor.id,
            json.dumps(tree, ensure_ascii=False), shared, actor.id)
        await audit.record(actor, "create", "rec_saved_query", query_id, after={"name": name, "query": tree,
                                                                                 "shared": shared}, summary=name)
    return query_id


async def delete_query(actor: Actor, query_id: int) -> None:
    """Only the owner (or a superuser) deletes a saved query."""
    async with db.transaction():
        row = await db.fetchrow("DELETE FROM rec_saved_query WHERE id = $1 AND (owner = $2 OR $3) RETURNING *",
                                query_id, actor.id, actor.is_superuser)
        if row is None:
            raise api.NotFound(query_id)
        await audit.record(actor, "delete", "rec_saved_query", query_id, before={"name": row["name"]},
                           summary=row["name"])
