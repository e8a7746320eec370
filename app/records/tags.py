"""Tags (REC-06 manual, REC-07 smart). A manual tag is assigned by hand to one or many persons; a smart
tag carries a query tree and its membership is recomputed set-based (one DELETE + one INSERT … SELECT
per tag). A tag belongs to an org node (owner scope) or to the whole school (org NULL); viewers only
ever see members they may see (visibility in SQL)."""
from __future__ import annotations

import json
from typing import Any

from app.core import audit, db, jobs, sqlfilter
from app.core.audit import SYSTEM, Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest
from app.records import api, fields, query, saved_queries, visibility

COLORS = {"blue": L("Blue"), "green": L("Green"), "orange": L("Orange"), "red": L("Red"), "purple": L("Purple"),
          "gray": L("Gray")}
KINDS = {"manual": L("Manual tag"), "smart": L("Smart tag")}
MAX_BULK = 10_000


class NotFound(Exception):
    """No such tag in the actor's scope."""


def _tag_scope(actor: Actor, args: list) -> str:
    """Tags the actor may use: whole-school tags and those owned by a node in their scope."""
    return f"(t.org IS NULL OR {actor.scope.sql('t.org', None, args)})"


def _decode(row: dict | None) -> dict | None:
    if row is not None and isinstance(row.get("query"), str):
        row["query"] = json.loads(row["query"])
    return row


async def list_tags(actor: Actor, kind: str = "", q: str = "", req: PageRequest | None = None) -> Page:
    """Tags in scope with the number of members this viewer can see."""
    req = req or PageRequest(per_page=100)
    args: list = []
    conds = [_tag_scope(actor, args)]
    if kind in KINDS:
        args.append(kind)
        conds.append(f"t.kind = ${len(args)}")
    if q.strip():
        args.append(f"%{q.strip()}%")
        conds.append(f"t.name ILIKE ${len(args)}")
    where = " AND ".join(conds)
    total = await db.fetchval(f"SELECT count(*) FROM rec_tag t WHERE {where}", *args)
    visible = visibility.visible(actor, args)
    order = req.order_by({"name": "t.name", "kind": "t.kind", "computed": "t.computed_at"}, "t.kind, t.name, t.id")
    rows = await db.fetch(
        f"SELECT t.*, o.name AS org_name, (SELECT count(*) FROM rec_person_tag pt JOIN rec_person p ON p.id = pt.person"
        f" WHERE pt.tag = t.id AND {visible}) AS visible_count FROM rec_tag t LEFT JOIN org_node o ON o.id = t.org"
        f" WHERE {where} {order.replace(', id', ', t.id')} LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page([_decode(r) for r in rows], total, req.page, req.per_page, req.sort)


async def choices(actor: Actor, kind: str = "manual") -> list[tuple[int, str]]:
    return await api.tag_choices(actor, kind)


async def get_tag(actor: Actor, tag_id: int) -> dict:
    args: list = [tag_id]
    row = await db.fetchrow(f"SELECT t.*, o.name AS org_name FROM rec_tag t LEFT JOIN org_node o ON o.id = t.org"
                            f" WHERE t.id = $1 AND {_tag_scope(actor, args)}", *args)
    if row is None:
        raise NotFound(tag_id)
    return _decode(row)


async def _editable(actor: Actor, tag_id: int) -> dict:
    """Whole-school tags are changed only by actors who see everything."""
    tag = await get_tag(actor, tag_id)
    if tag["org"] is None and not actor.scope.all:
        raise Invalid("", _("Only administrators with access to all records can change whole-school tags."))
    return tag


async def members(actor: Actor, tag_id: int, req: PageRequest) -> Page:
    await get_tag(actor, tag_id)
    return await api.list_people(actor, api.PersonFilters(tag=tag_id), req)


async def person_tags(actor: Actor, person_id: int) -> list[dict]:
    await api.get_raw(actor, person_id)
    return await db.fetch("SELECT t.id, t.name, t.color, t.kind FROM rec_person_tag pt JOIN rec_tag t ON t.id = pt.tag"
                          " WHERE pt.person = $1 ORDER BY t.name", person_id)


# --- create / edit / delete ---------------------------------------------------------------------------

async def _clean(actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    name = (data.get("name") or "").strip()
    if not name:
        raise Invalid("name", _("Enter the tag name."))
    if len(name) > 40:
        raise Invalid("name", _("Use at most 40 characters."))
    color = data.get("color") if data.get("color") in COLORS else "blue"
    kind = data.get("kind") if data.get("kind") in KINDS else "manual"
    org = data.get("org")
    org = int(org) if str(org or "").isdigit() else None
    if org is None and not actor.scope.all:
        raise Invalid("org", _("Choose the org node that owns this tag."))
    if org is not None:
        path = await db.fetchval("SELECT path FROM org_node WHERE id = $1", org)
        if not path or not actor.scope.allows(path):
            raise Invalid("org", _("Choose an org node inside your data scope."))
    tree = None
    if kind == "smart":
        tree = data.get("query")
        if data.get("saved_query"):
            saved = str(data["saved_query"])
            if not saved.isdigit():
                raise Invalid("saved_query", _("Choose a saved query."))
            try:
                tree = (await saved_queries.get_saved(actor, int(saved)))["tree"]
            except api.NotFound:
                raise Invalid("saved_query", _("Choose a saved query.")) from None
        if not tree:
            raise Invalid("saved_query", _("A smart tag needs a query: choose a saved query."))
        try:
            tree = query.normalize(tree)
            if not query.count_conditions(tree):
                raise Invalid("saved_query", _("A smart tag needs at least one condition."))
            query.check(tree, await fields.by_code())
        except Invalid as exc:
            raise Invalid("saved_query", exc.message) from None
    return {"name": name, "color": color, "kind": kind, "org": org, "query": tree}


async def _name_taken(name: str, org: int | None, exclude: int | None = None) -> bool:
    return bool(await db.fetchval("SELECT 1 FROM rec_tag WHERE lower(name) = lower($1) AND org IS NOT DISTINCT FROM $2"
                                  " AND id IS DISTINCT FROM $3", name, org, exclude))


async def create_tag(actor: Actor, data: dict[str, Any]) -> int:
    values = await _clean(actor, data)
    if await _name_taken(values["name"], values["org"]):
        raise Invalid("name", _("A tag with this name already exists."))
    async with db.transaction():
        tag_id = await db.fetchval(
            "INSERT INTO rec_tag (name, color, kind, org, query, created_by, updated_by)"
            " VALUES ($1, $2, $3, $4, $5::jsonb, $6, $6) RETURNING id", values["name"], values["color"],
            values["kind"], values["org"], json.dumps(values["query"], ensure_ascii=False) if values["query"] else None,
            actor.id)
        await audit.record(actor, "create", "rec_tag", tag_id, after=values, org_id=values["org"],
                           summary=values["name"])
    if values["kind"] == "smart":
        await recompute(tag_id, actor)
    return tag_id


async def update_tag(actor: Actor, tag_id: int, data: dict[str, Any]) -> None:
    before = await _editable(actor, tag_id)
    data = {**data, "kind": before["kind"]}  # the kind is fixed once created
    if before["kind"] == "smart" and not data.get("saved_query"):
        data["query"] = before["query"]
    values = await _clean(actor, data)
    if await _name_taken(values["name"], values["org"], tag_id):
        raise Invalid("name", _("A tag with this name already exists."))
    async with db.transaction():
        await db.execute("UPDATE rec_tag SET name = $2, color = $3, org = $4, query = $5::jsonb, updated_at = now(),"
                         " updated_by = $6 WHERE id = $1", tag_id, values["name"], values["color"], values["org"],
                         json.dumps(values["query"], ensure_ascii=False) if values["query"] else None, actor.id)
        old = {k: before[k] for k in values}
        await audit.record(actor, "update", "rec_tag", tag_id, before=old, after=values, org_id=values["org"],
                           summary=values["name"])
    if values["kind"] == "smart" and values["query"] != before["query"]:
        await recompute(tag_id, actor)


async def delete_tag(actor: Actor, tag_id: int) -> None:
    tag = await _editable(actor, tag_id)
    async with db.transaction():
        count = await db.fetchval("SELECT count(*) FROM rec_person_tag WHERE tag = $1", tag_id)
        await db.execute("DELETE FROM rec_tag WHERE id = $1", tag_id)
        await audit.record(actor, "delete", "rec_tag", tag_id, before={"name": tag["name"], "kind": tag["kind"],
                                                                       "members": count},
                           org_id=tag["org"], summary=tag["name"])


# --- manual assignment ----------------------------------------------------------------------------------

def _ids(person_ids) -> list[int]:
    ids = sorted({int(i) for i in (person_ids or []) if str(i).isdigit() and len(str(i)) < 10})
    if not ids:
        raise Invalid("ids", _("Select at least one record."))
    if len(ids) > MAX_BULK:
        raise Invalid("ids", _("Select at most %(n)s records at once.", n=MAX_BULK))
    return ids


async def _manual(actor: Actor, tag_id: int) -> dict:
    tag = await get_tag(actor, tag_id)
    if tag["kind"] != "manual":
        raise Invalid("tag", _("Members of a smart tag come from its query; they cannot be changed by hand."))
    return tag


async def _refresh_count(tag_id: int) -> None:
    await db.execute("UPDATE rec_tag SET member_count = (SELECT count(*) FROM rec_person_tag WHERE tag = $1)"
                     " WHERE id = $1", tag_id)


async def assign(actor: Actor, tag_id: int, person_ids) -> int:
    """Tag the visible ones among person_ids; returns how many were newly tagged."""
    ids = _ids(person_ids)
    async with db.transaction():
        tag = await _manual(actor, tag_id)
        args: list = [tag_id, ids, actor.id]
        rows = await db.fetch(
            f"INSERT INTO rec_person_tag (person, tag, added_by) SELECT p.id, $1, $3 FROM rec_person p"
            f" WHERE p.id = ANY($2::int[]) AND {visibility.visible(actor, args)}"
            f" ON CONFLICT (tag, person) DO NOTHING RETURNING person", *args)
        added = [r["person"] for r in rows]
        await _refresh_count(tag_id)
        if added:
            await audit.record(actor, "tag", "rec_tag", tag_id, after={"added": added}, org_id=tag["org"],
                               summary=_("%(tag)s: %(n)s records tagged", tag=tag["name"], n=len(added)))
    return len(added)


async def unassign(actor: Actor, tag_id: int, person_ids) -> int:
    """Remove the tag from the visible ones among person_ids; returns how many lost it."""
    ids = _ids(person_ids)
    async with db.transaction():
        tag = await _manual(actor, tag_id)
        args: list = [tag_id, ids]
        rows = await db.fetch(
            f"DELETE FROM rec_person_tag pt USING rec_person p WHERE pt.tag = $1 AND pt.person = p.id"
            f" AND p.id = ANY($2::int[]) AND {visibility.visible(actor, args)} RETURNING pt.person", *args)
        removed = [r["person"] for r in rows]
        await _refresh_count(tag_id)
        if removed:
            await audit.record(actor, "untag", "rec_tag", tag_id, before={"removed": removed}, org_id=tag["org"],
                               summary=_("%(tag)s: tag removed from %(n)s records", tag=tag["name"], n=len(removed)))
    return len(removed)


# --- smart tags -----------------------------------------------------------------------------------------

async def recompute(tag_id: int, actor: Actor = SYSTEM) -> dict:
    """Membership of one smart tag = active persons in the tag's org subtree matching its query.
    Set-based: one DELETE of those no longer matching, one INSERT … SELECT of new ones."""
    async with db.transaction():
        tag = _decode(await db.fetchrow("SELECT * FROM rec_tag WHERE id = $1 FOR UPDATE", tag_id))
        if tag is None or tag["kind"] != "smart" or not tag["query"]:
            return {"tag": tag_id, "added": 0, "removed": 0}
        where = sqlfilter.Where([tag_id], "p.status = 'active'")
        if tag["org"]:
            where.add(f"p.org IN (SELECT id FROM org_node WHERE path LIKE"
                      f" (SELECT path FROM org_node WHERE id = {where.param(tag['org'])}) || '%')")
        where.add(query.compile_tree(query.normalize(tag["query"]), await fields.by_code(), where))
        cond = where.sql()
        removed = await db.fetch(f"DELETE FROM rec_person_tag pt WHERE pt.tag = $1 AND NOT EXISTS"
                                 f" (SELECT 1 FROM rec_person p WHERE p.id = pt.person AND {cond}) RETURNING pt.person",
                                 *where.args)
        added = await db.fetch(f"INSERT INTO rec_person_tag (person, tag) SELECT p.id, $1 FROM rec_person p"
                               f" WHERE {cond} ON CONFLICT (tag, person) DO NOTHING RETURNING person", *where.args)
        count = await db.fetchval("UPDATE rec_tag SET member_count = (SELECT count(*) FROM rec_person_tag"
                                  " WHERE tag = $1), computed_at = now() WHERE id = $1 RETURNING member_count", tag_id)
        result = {"tag": tag_id, "added": len(added), "removed": len(removed), "members": count}
        if added or removed:
            await audit.record(actor, "recompute", "rec_tag", tag_id, after=result, org_id=tag["org"],
                               summary=tag["name"])
    return result


async def start_recompute(user_id: int, tag_id: int) -> int:
    """Recompute one smart tag now: a job (its status page follows progress)."""
    return await jobs.enqueue("rec.smart_tags", {"tag": tag_id}, created_by=user_id)


async def recompute_all(progress=None) -> dict:
    ids = [r["id"] for r in await db.fetch("SELECT id FROM rec_tag WHERE kind = 'smart' ORDER BY id")]
    totals = {"tags": 0, "added": 0, "removed": 0, "failed": 0}
    for n, tag_id in enumerate(ids):
        try:
            result = await recompute(tag_id)
        except Invalid:
            totals["failed"] += 1  # e.g. a custom field of its query was disabled
            continue
        totals["tags"] += 1
        totals["added"] += result["added"]
        totals["removed"] += result["removed"]
        if progress:
            await progress(n + 1, len(ids))
    return totals
