"""Data dictionary admin (SUP-10): code tables, drill-down for hierarchical types (region, industry,
discipline), local codes added by admins. Built-in (national) codes come from CSV and can only be
disabled — other data stores their codes, so they are never deleted or renumbered."""
from __future__ import annotations

import re
from dataclasses import dataclass

from app.core import audit, db, dictionary
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.pagination import Page, PageRequest

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,49}$")
ITEM_FIELDS = ("code", "name", "name_en", "parent_code", "level", "sort", "enabled", "builtin")
SORTS = {"code": "i.code", "name": "i.name", "sort": "i.sort"}


@dataclass
class ItemFilters:
    q: str = ""
    parent: str = ""

    @classmethod
    def from_query(cls, params) -> ItemFilters:
        return cls(q=(params.get("q") or "").strip()[:100], parent=(params.get("parent") or "").strip()[:50])


async def list_types() -> list[dict]:
    return await db.fetch(
        "SELECT t.code, t.name, t.description, t.hierarchical, t.builtin, COALESCE(c.n, 0) AS items,"
        " COALESCE(c.enabled, 0) AS enabled_items "
        "FROM dict_type t LEFT JOIN (SELECT type_code, count(*) AS n, count(*) FILTER (WHERE enabled) AS enabled "
        "FROM dict_item GROUP BY type_code) c ON c.type_code = t.code ORDER BY t.builtin DESC, t.code")


async def get_type(type_code: str) -> dict | None:
    return await db.fetchrow("SELECT code, name, description, hierarchical, builtin FROM dict_type WHERE code = $1",
                             type_code)


async def get_item(type_code: str, code: str) -> dict | None:
    return await db.fetchrow(f"SELECT id, type_code, {', '.join(ITEM_FIELDS)} FROM dict_item "
                             "WHERE type_code = $1 AND code = $2", type_code, code)


async def list_items(dict_type: dict, filters: ItemFilters, req: PageRequest) -> Page:
    """One page of items. Hierarchical types list one level (children of `parent`, or the top level);
    a search looks through every level below `parent`."""
    args: list = [dict_type["code"]]
    where = ["i.type_code = $1"]
    if filters.q:
        args.append(f"%{filters.q}%")
        where.append(f"(i.code ILIKE ${len(args)} OR i.name ILIKE ${len(args)} OR i.name_en ILIKE ${len(args)})")
        if dict_type["hierarchical"] and filters.parent:
            args.append(filters.parent)
            where.append(
                "i.code IN (WITH RECURSIVE d AS (SELECT code FROM dict_item WHERE type_code = $1 "
                f"AND parent_code = ${len(args)}"
                " UNION SELECT c.code FROM dict_item c JOIN d ON c.parent_code = d.code WHERE c.type_code = $1)"
                " SELECT code FROM d)")
    elif dict_type["hierarchical"]:
        if filters.parent:
            args.append(filters.parent)
            where.append(f"i.parent_code = ${len(args)}")
        else:
            where.append("i.parent_code IS NULL")
    sql_where = " AND ".join(where)
    total = await db.fetchval(f"SELECT count(*) FROM dict_item i WHERE {sql_where}", *args)
    items = await db.fetch(
        f"SELECT i.id, {', '.join('i.' + f for f in ITEM_FIELDS)},"
        " (SELECT count(*) FROM dict_item c WHERE c.type_code = i.type_code AND c.parent_code = i.code) AS children"
        f" FROM dict_item i WHERE {sql_where} {req.order_by(SORTS, 'i.sort, i.code')}"
        f" LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page(items, total, req.page, req.per_page, req.sort)


async def breadcrumb(type_code: str, code: str) -> list[dict]:
    """The item and its ancestors, top level first (one query)."""
    if not code:
        return []
    return await db.fetch(
        "WITH RECURSIVE up AS (SELECT code, name, name_en, parent_code, 1 AS depth FROM dict_item"
        " WHERE type_code = $1 AND code = $2"
        " UNION ALL SELECT p.code, p.name, p.name_en, p.parent_code, up.depth + 1 FROM dict_item p"
        " JOIN up ON p.code = up.parent_code WHERE p.type_code = $1 AND up.depth < 20)"
        " SELECT code, name, name_en FROM up ORDER BY depth DESC", type_code, code)


async def _parent_level(dict_type: dict, parent_code: str | None) -> int:
    if not parent_code:
        return 0
    if not dict_type["hierarchical"]:
        raise Invalid("parent_code", _("This code table has no levels."))
    level = await db.fetchval("SELECT level FROM dict_item WHERE type_code = $1 AND code = $2",
                              dict_type["code"], parent_code)
    if level is None:
        raise Invalid("parent_code", _("No code %(code)s in this table.", code=parent_code))
    return level


def _check_code(code: str) -> None:
    if not CODE_RE.match(code or ""):
        raise Invalid("code", _("Use letters, digits, '-', '_' or '.' (at most 50)."))


async def add_item(actor: Actor, dict_type: dict, *, code: str, name: str, name_en: str = "",
                   parent_code: str | None = None, sort: int = 0) -> None:
    """A local (non-built-in) code."""
    _check_code(code)
    async with db.transaction():
        level = await _parent_level(dict_type, parent_code) + 1
        if await db.fetchval("SELECT 1 FROM dict_item WHERE type_code = $1 AND code = $2", dict_type["code"], code):
            raise Invalid("code", _("This code already exists in this table."))
        await db.execute(
            "INSERT INTO dict_item (type_code, code, name, name_en, parent_code, level, sort, enabled, builtin,"
            " created_by, updated_by) VALUES ($1,$2,$3,$4,$5,$6,$7,TRUE,FALSE,$8,$8)",
            dict_type["code"], code, name, name_en or "", parent_code or None, level, sort, actor.id)
        await audit.record(actor, "create", "dict_item", f"{dict_type['code']}:{code}",
                           summary=f"{dict_type['code']} {code} {name}",
                           after={"code": code, "name": name, "name_en": name_en or "", "parent_code": parent_code,
                                  "sort": sort, "enabled": True})
    dictionary.invalidate()


async def update_item(actor: Actor, type_code: str, code: str, *, new_code: str | None = None, name: str,
                      name_en: str = "", sort: int = 0, enabled: bool = True) -> str:
    """Name, English name, sort and enabled for every item; the code itself only for local items
    (children follow the renumbered parent). Returns the (possibly new) code."""
    new_code = new_code or code
    async with db.transaction():
        before = await get_item(type_code, code)
        if before is None:
            raise Invalid("code", _("This code does not exist."))
        if new_code != code:
            if before["builtin"]:
                raise Invalid("code", _("Built-in codes cannot be changed."))
            _check_code(new_code)
            if await db.fetchval("SELECT 1 FROM dict_item WHERE type_code = $1 AND code = $2", type_code, new_code):
                raise Invalid("code", _("This code already exists in this table."))
            await db.execute("UPDATE dict_item SET parent_code = $3 WHERE type_code = $1 AND parent_code = $2",
                             type_code, code, new_code)
        await db.execute(
            "UPDATE dict_item SET code = $3, name = $4, name_en = $5, sort = $6, enabled = $7, updated_at = now(),"
            " updated_by = $8 WHERE type_code = $1 AND code = $2",
            type_code, code, new_code, name, name_en or "", sort, enabled, actor.id)
        keys = ("code", "name", "name_en", "sort", "enabled")
        after = {"code": new_code, "name": name, "name_en": name_en or "", "sort": sort, "enabled": enabled}
        await audit.record(actor, "update", "dict_item", f"{type_code}:{new_code}",
                           summary=f"{type_code} {new_code} {name}", before={k: before[k] for k in keys}, after=after)
    dictionary.invalidate()
    return new_code


async def delete_item(actor: Actor, type_code: str, code: str) -> None:
    async with db.transaction():
        before = await get_item(type_code, code)
        if before is None:
            raise Conflict(_("This code does not exist."))
        if before["builtin"]:
            raise Conflict(_("Built-in codes cannot be deleted; disable them instead."))
        if await db.fetchval("SELECT 1 FROM dict_item WHERE type_code = $1 AND parent_code = $2 LIMIT 1",
                             type_code, code):
            raise Conflict(_("This code has sub-codes; delete or move them first."))
        await db.execute("DELETE FROM dict_item WHERE type_code = $1 AND code = $2", type_code, code)
        await audit.record(actor, "delete", "dict_item", f"{type_code}:{code}",
                           summary=f"{type_code} {code} {before['name']}", before={k: before[k] for k in ITEM_FIELDS})
    dictionary.invalidate()
