"""Product categories (a small tree) and their attributes (规格属性: 颜色, 尺码 … with allowed values),
MALL-05. A category with children or products cannot be deleted; attributes go with their category."""
from __future__ import annotations

from typing import Any

from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _


class NotFound(Exception):
    pass


async def flat() -> list[dict]:
    """Every category in tree order with its depth and product count (for selects and the tree page)."""
    rows = await db.fetch(
        "WITH RECURSIVE t AS (SELECT c.*, 0 AS level, ARRAY[c.sort, c.id] AS path FROM mall_category c"
        " WHERE c.parent IS NULL UNION ALL SELECT c.*, t.level + 1, t.path || ARRAY[c.sort, c.id]"
        " FROM mall_category c JOIN t ON c.parent = t.id)"
        " SELECT t.*, (SELECT count(*) FROM mall_product p WHERE p.category = t.id) AS products FROM t ORDER BY path")
    return rows


def nest(rows: list[dict]) -> list[dict]:
    """The flat rows as nodes with children (components/tree.html)."""
    nodes = {r["id"]: {**r, "children": []} for r in rows}
    roots = []
    for row in rows:
        node = nodes[row["id"]]
        (nodes[row["parent"]]["children"] if row["parent"] in nodes else roots).append(node)
    return roots


async def choices() -> list[tuple[str, str]]:
    return [(str(r["id"]), "\u3000" * r["level"] + r["name"]) for r in await flat()]


async def get(category_id: int) -> dict:
    row = await db.fetchrow("SELECT * FROM mall_category WHERE id = $1", category_id)
    if row is None:
        raise NotFound(category_id)
    return row


async def _descendants(category_id: int) -> set[int]:
    rows = await db.fetch("WITH RECURSIVE d AS (SELECT id FROM mall_category WHERE id = $1 UNION ALL"
                          " SELECT c.id FROM mall_category c JOIN d ON c.parent = d.id) SELECT id FROM d", category_id)
    return {r["id"] for r in rows}


async def _clean(data: dict[str, Any], category_id: int | None) -> dict[str, Any]:
    name = (data.get("name") or "").strip()
    if not name:
        raise Invalid("name", _("Enter the category name."))
    if len(name) > 64:
        raise Invalid("name", _("Use at most %(n)s characters.", n=64))
    parent_raw = str(data.get("parent") or "")
    parent = int(parent_raw) if parent_raw.isdigit() else None
    if parent is not None:
        if not await db.fetchval("SELECT 1 FROM mall_category WHERE id = $1", parent):
            raise Invalid("parent", _("Choose from the list."))
        if category_id is not None and parent in await _descendants(category_id):
            raise Invalid("parent", _("A category cannot be placed under itself or its subcategories."))
    sort_raw = str(data.get("sort") or "0").strip()
    if not sort_raw.lstrip("-").isdigit():
        raise Invalid("sort", _("Enter a whole number."))
    return {"name": name, "parent": parent, "sort": int(sort_raw), "icon": (data.get("icon") or "").strip()[:200],
            "enabled": data.get("enabled") in ("on", "1", "true", True)}


async def save(actor: Actor, data: dict[str, Any], category_id: int | None = None) -> int:
    values = await _clean(data, category_id)
    async with db.transaction():
        clash = await db.fetchval("SELECT id FROM mall_category WHERE name = $1 AND parent IS NOT DISTINCT FROM $2"
                                  " AND id <> $3", values["name"], values["parent"], category_id or 0)
        if clash:
            raise Invalid("name", _("A category with this name already exists here."))
        if category_id is None:
            before = None
            category_id = await db.fetchval(
                "INSERT INTO mall_category (name, parent, sort, icon, enabled, created_by, updated_by)"
                " VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id", *values.values(), actor.id)
        else:
            before = await get(category_id)
            await db.execute("UPDATE mall_category SET name = $2, parent = $3, sort = $4, icon = $5, enabled = $6,"
                             " updated_by = $7, updated_at = now() WHERE id = $1", category_id, *values.values(),
                             actor.id)
        await audit.record(actor, "update" if before else "create", "mall_category", category_id, before=before,
                           after=values)
    return category_id


async def delete(actor: Actor, category_id: int) -> None:
    async with db.transaction():
        before = await get(category_id)
        if await db.fetchval("SELECT 1 FROM mall_category WHERE parent = $1 LIMIT 1", category_id):
            raise Conflict(_("Move or delete its subcategories first."))
        count = await db.fetchval("SELECT count(*) FROM mall_product WHERE category = $1", category_id)
        if count:
            raise Conflict(_("%(n)s products are in this category; move them first.", n=count))
        await db.execute("DELETE FROM mall_category WHERE id = $1", category_id)
        await audit.record(actor, "delete", "mall_category", category_id, before=before)


# --- attributes ------------------------------------------------------------------------------------------

async def attributes(category_id: int) -> list[dict]:
    return await db.fetch("SELECT * FROM mall_attribute WHERE category = $1 ORDER BY sort, id", category_id)


async def get_attribute(attribute_id: int) -> dict:
    row = await db.fetchrow("SELECT * FROM mall_attribute WHERE id = $1", attribute_id)
    if row is None:
        raise NotFound(attribute_id)
    return row


def split_values(raw: Any) -> list[str]:
    """Values typed as "红, 蓝、白" (comma, Chinese comma or 顿号, or one per line), without duplicates."""
    text = str(raw or "")
    for sep in ("，", "、", "\n", ";", "；"):
        text = text.replace(sep, ",")
    return list(dict.fromkeys(v.strip()[:64] for v in text.split(",") if v.strip()))


async def save_attribute(actor: Actor, category_id: int, data: dict[str, Any], attribute_id: int | None = None) -> int:
    await get(category_id)
    name = (data.get("name") or "").strip()
    if not name:
        raise Invalid("name", _("Enter the attribute name, e.g. 颜色."))
    if len(name) > 32:
        raise Invalid("name", _("Use at most %(n)s characters.", n=32))
    values = split_values(data.get("values"))
    sort_raw = str(data.get("sort") or "0").strip()
    sort = int(sort_raw) if sort_raw.lstrip("-").isdigit() else 0
    after = {"name": name, "values": values, "sort": sort}
    async with db.transaction():
        if await db.fetchval("SELECT 1 FROM mall_attribute WHERE category = $1 AND name = $2 AND id <> $3",
                             category_id, name, attribute_id or 0):
            raise Invalid("name", _("This category already has an attribute with this name."))
        if attribute_id is None:
            before = None
            attribute_id = await db.fetchval(
                "INSERT INTO mall_attribute (category, name, values, sort, created_by, updated_by)"
                " VALUES ($1, $2, $3, $4, $5, $5) RETURNING id", category_id, name, values, sort, actor.id)
        else:
            before = await get_attribute(attribute_id)
            await db.execute("UPDATE mall_attribute SET name = $2, values = $3, sort = $4, updated_by = $5,"
                             " updated_at = now() WHERE id = $1", attribute_id, name, values, sort, actor.id)
        await audit.record(actor, "update" if before else "create", "mall_attribute", attribute_id, before=before,
                           after=after)
    return attribute_id


async def delete_attribute(actor: Actor, attribute_id: int) -> dict:
    async with db.transaction():
        before = await get_attribute(attribute_id)
        await db.execute("DELETE FROM mall_attribute WHERE id = $1", attribute_id)
        await audit.record(actor, "delete", "mall_attribute", attribute_id, before=before)
    return before
