"""The three-level taxonomy of fields of expertise (EXP-13): level 1 → 2 → 3, extendable by admins; any
node can be chosen (multi-select) in applications, search and the draw. Choosing a node means its subtree."""
from __future__ import annotations

from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _

MAX_LEVEL = 3


class NotFound(Exception):
    pass


async def flat() -> list[dict]:
    """Every node, parents before children, with its level and the path of names ("工程 / 土木 / 桥梁")."""
    return await db.fetch(
        "WITH RECURSIVE t AS (SELECT id, parent, level, code, name, sort, name::text AS label,"
        " lpad(sort::text, 6, '0') || lpad(id::text, 10, '0') AS k FROM exp_field WHERE parent IS NULL"
        " UNION ALL SELECT f.id, f.parent, f.level, f.code, f.name, f.sort, t.label || ' / ' || f.name,"
        " t.k || lpad(f.sort::text, 6, '0') || lpad(f.id::text, 10, '0') FROM exp_field f JOIN t ON f.parent = t.id)"
        " SELECT id, parent, level, code, name, sort, label FROM t ORDER BY k")


async def choices() -> list[tuple[str, str]]:
    return [(str(r["id"]), r["label"]) for r in await flat()]


async def get(field_id: int) -> dict:
    row = await db.fetchrow("SELECT id, parent, level, code, name, sort FROM exp_field WHERE id = $1", field_id)
    if row is None:
        raise NotFound()
    return row


async def by_code(codes: list[str]) -> dict[str, int]:
    rows = await db.fetch("SELECT id, code FROM exp_field WHERE code = ANY($1::text[])", codes)
    return {r["code"]: r["id"] for r in rows}


async def subtree_ids(field_ids: list[int]) -> list[int]:
    """The chosen nodes and every node below them: an expert of 桥梁 matches a search for 土木."""
    if not field_ids:
        return []
    return [r["id"] for r in await db.fetch(
        "WITH RECURSIVE t AS (SELECT id FROM exp_field WHERE id = ANY($1::bigint[])"
        " UNION SELECT f.id FROM exp_field f JOIN t ON f.parent = t.id) SELECT id FROM t", field_ids)]


async def labels(field_ids: list[int]) -> list[str]:
    wanted = set(field_ids or [])
    return [r["label"] for r in await flat() if r["id"] in wanted]


async def save(actor: Actor, data: dict, field_id: int | None = None) -> int:
    name = (data.get("name") or "").strip()
    code = (data.get("code") or "").strip()
    if not name:
        raise Invalid("name", _("This field is required."))
    if not code:
        raise Invalid("code", _("This field is required."))
    parent = int(data["parent"]) if str(data.get("parent") or "").isdigit() else None
    async with db.transaction():
        level = 1
        if parent is not None:
            parent_row = await db.fetchrow("SELECT level FROM exp_field WHERE id = $1", parent)
            if parent_row is None:
                raise Invalid("parent", _("Choose from the list."))
            if parent_row["level"] >= MAX_LEVEL:
                raise Invalid("parent", _("Fields have at most three levels: choose a level 1 or 2 parent."))
            level = parent_row["level"] + 1
        if field_id is not None and parent is not None and parent in await subtree_ids([field_id]):
            raise Invalid("parent", _("A field cannot be moved below itself."))
        if await db.fetchval("SELECT 1 FROM exp_field WHERE code = $1 AND id IS DISTINCT FROM $2", code, field_id):
            raise Invalid("code", _("Another field already has the code %(code)s.", code=code))
        sort = int(data.get("sort") or 0)
        if field_id is None:
            field_id = await db.fetchval("INSERT INTO exp_field (parent, level, code, name, sort, created_by)"
                                         " VALUES ($1,$2,$3,$4,$5,$6) RETURNING id", parent, level, code, name,
                                         sort, actor.id)
            await audit.record(actor, "create", "exp_field", field_id, summary=name,
                               after={"code": code, "name": name, "parent": parent})
        else:
            before = await get(field_id)
            if before["level"] != level and await db.fetchval("SELECT 1 FROM exp_field WHERE parent = $1", field_id):
                raise Invalid("parent", _("A field with sub-fields keeps its level."))
            await db.execute("UPDATE exp_field SET parent=$2, level=$3, code=$4, name=$5, sort=$6, updated_at=now(),"
                             " updated_by=$7 WHERE id=$1", field_id, parent, level, code, name, sort, actor.id)
            await audit.record(actor, "update", "exp_field", field_id, summary=name, before=before,
                               after={"code": code, "name": name, "parent": parent, "level": level, "sort": sort})
    return field_id


async def delete(actor: Actor, field_id: int) -> None:
    async with db.transaction():
        row = await get(field_id)
        if await db.fetchval("SELECT 1 FROM exp_field WHERE parent = $1", field_id):
            raise Conflict(_("Delete or move its sub-fields first."))
        if await db.fetchval("SELECT 1 FROM exp_expert WHERE $1 = ANY(fields)", field_id):
            raise Conflict(_("Experts are filed under this field: it cannot be deleted."))
        await db.execute("DELETE FROM exp_field WHERE id = $1", field_id)
        await audit.record(actor, "delete", "exp_field", field_id, summary=row["name"], before=row)
