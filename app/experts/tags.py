"""Tag groups (EXP-16 专家分组, 标签分组): admins define groups of tags, tag and untag experts in bulk, and list
the experts of a tag; search and draw filter by tag through `expert_ids` and show tags through `for_experts`.
Every write is audited; deleting a group or a tag removes its taggings (the confirm page shows how many)."""
from __future__ import annotations

from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.pagination import Page, PageRequest

MAX_NAME = 64


class NotFound(Exception):
    pass


def _name(raw) -> str:
    name = " ".join(str(raw or "").split())
    if not name:
        raise Invalid("name", _("This field is required."))
    if len(name) > MAX_NAME:
        raise Invalid("name", _("At most %(n)s characters.", n=MAX_NAME))
    return name


def _sort(raw) -> int:
    text = str(raw if raw is not None else "").strip() or "0"
    if not text.lstrip("-").isdigit() or abs(int(text)) > 100000:
        raise Invalid("sort", _("Enter a whole number."))
    return int(text)


# --- reading ------------------------------------------------------------------------------------

async def groups() -> list[dict]:
    """Every group with its tags and, per tag, how many experts carry it (one query each)."""
    rows = await db.fetch("SELECT id, name, sort FROM exp_tag_group ORDER BY sort, name, id")
    tags = await db.fetch(
        "SELECT t.id, t.\"group\", t.name, t.sort, (SELECT count(*) FROM exp_expert_tag x WHERE x.tag = t.id)"
        " AS experts FROM exp_tag t ORDER BY t.sort, t.name, t.id")
    by_group: dict[int, list[dict]] = {r["id"]: [] for r in rows}
    for t in tags:
        by_group.setdefault(t["group"], []).append(t)
    for r in rows:
        r["tags"] = by_group[r["id"]]
    return rows


async def get_group(group_id: int) -> dict:
    row = await db.fetchrow("SELECT id, name, sort FROM exp_tag_group WHERE id = $1", group_id)
    if row is None:
        raise NotFound()
    row["tags"] = await db.fetchval("SELECT count(*) FROM exp_tag WHERE \"group\" = $1", group_id)
    row["taggings"] = await db.fetchval("SELECT count(*) FROM exp_expert_tag x JOIN exp_tag t ON t.id = x.tag"
                                        " WHERE t.\"group\" = $1", group_id)
    return row


async def get_tag(tag_id: int) -> dict:
    row = await db.fetchrow("SELECT t.id, t.\"group\", t.name, t.sort, g.name AS group_name,"
                            " (SELECT count(*) FROM exp_expert_tag x WHERE x.tag = t.id) AS experts"
                            " FROM exp_tag t JOIN exp_tag_group g ON g.id = t.\"group\" WHERE t.id = $1", tag_id)
    if row is None:
        raise NotFound()
    row["label"] = f"{row['group_name']} / {row['name']}"
    return row


async def choices() -> list[tuple[int, str]]:
    """(tag id, "group / tag") for pickers and filters."""
    rows = await db.fetch("SELECT t.id, g.name AS g, t.name FROM exp_tag t JOIN exp_tag_group g ON g.id = t.\"group\""
                          " ORDER BY g.sort, g.name, t.sort, t.name")
    return [(r["id"], f"{r['g']} / {r['name']}") for r in rows]


async def expert_ids(tag_ids: list[int]) -> list[int]:
    """Experts carrying any of these tags (for search and draw: the group name picks all its tags, see
    `tags_of_groups`)."""
    if not tag_ids:
        return []
    rows = await db.fetch("SELECT DISTINCT expert FROM exp_expert_tag WHERE tag = ANY($1::bigint[]) ORDER BY 1",
                          list(tag_ids))
    return [r["expert"] for r in rows]


async def tags_of_groups(names: list[str]) -> list[int]:
    """The tag ids of the groups with these names (filter or draw "by group name")."""
    rows = await db.fetch("SELECT t.id FROM exp_tag t JOIN exp_tag_group g ON g.id = t.\"group\""
                          " WHERE lower(g.name) = ANY($1::text[])", [n.lower() for n in names])
    return [r["id"] for r in rows]


async def for_experts(ids: list[int]) -> dict[int, list[dict]]:
    """expert id → [{"id", "name", "group", "label"}] in one query (lists, draw results)."""
    out: dict[int, list[dict]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = await db.fetch("SELECT x.expert, t.id, t.name, g.name AS grp FROM exp_expert_tag x"
                          " JOIN exp_tag t ON t.id = x.tag JOIN exp_tag_group g ON g.id = t.\"group\""
                          " WHERE x.expert = ANY($1::bigint[]) ORDER BY g.sort, g.name, t.sort, t.name",
                          list(ids))
    for r in rows:
        out.setdefault(r["expert"], []).append({"id": r["id"], "name": r["name"], "group": r["grp"],
                                                "label": f"{r['grp']} / {r['name']}"})
    return out


async def experts_of_tag(tag_id: int, req: PageRequest) -> Page:
    total = await db.fetchval("SELECT count(*) FROM exp_expert_tag WHERE tag = $1", tag_id)
    rows = await db.fetch("SELECT e.id, e.number, e.name, e.employer, e.title, e.status FROM exp_expert_tag x"
                          " JOIN exp_expert e ON e.id = x.expert WHERE x.tag = $1 ORDER BY e.name, e.id"
                          f" LIMIT {req.per_page} OFFSET {req.offset}", tag_id)
    return Page(rows, total, req.page, req.per_page)


async def candidates(tag_id: int, q: str, req: PageRequest) -> Page:
    """Live experts without this tag, by keyword (name, number, employer), to tick and tag."""
    args: list = [tag_id]
    where = "e.status <> 'deleted' AND NOT EXISTS (SELECT 1 FROM exp_expert_tag x WHERE x.expert = e.id" \
            " AND x.tag = $1)"
    if q:
        args.append(f"%{q}%")
        where += " AND (e.name ILIKE $2 OR e.number ILIKE $2 OR e.employer ILIKE $2)"
    total = await db.fetchval(f"SELECT count(*) FROM exp_expert e WHERE {where}", *args)
    rows = await db.fetch(f"SELECT e.id, e.number, e.name, e.employer, e.title, e.status FROM exp_expert e"
                          f" WHERE {where} ORDER BY e.name, e.id LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page(rows, total, req.page, req.per_page)


# --- writing ------------------------------------------------------------------------------------

async def save_group(actor: Actor, data: dict, group_id: int | None = None) -> int:
    name, sort = _name(data.get("name")), _sort(data.get("sort"))
    async with db.transaction():
        if await db.fetchval("SELECT 1 FROM exp_tag_group WHERE lower(name) = lower($1) AND id IS DISTINCT FROM $2",
                             name, group_id):
            raise Invalid("name", _("A tag group with this name exists already."))
        if group_id is None:
            group_id = await db.fetchval("INSERT INTO exp_tag_group (name, sort, created_by, updated_by)"
                                         " VALUES ($1, $2, $3, $3) RETURNING id", name, sort, actor.id)
            await audit.record(actor, "create", "exp_tag_group", group_id, summary=name,
                               after={"name": name, "sort": sort})
        else:
            before = await get_group(group_id)
            await db.execute("UPDATE exp_tag_group SET name = $2, sort = $3, updated_at = now(), updated_by = $4"
                             " WHERE id = $1", group_id, name, sort, actor.id)
            await audit.record(actor, "update", "exp_tag_group", group_id, summary=name,
                               before={"name": before["name"], "sort": before["sort"]},
                               after={"name": name, "sort": sort})
    return group_id


async def delete_group(actor: Actor, group_id: int) -> None:
    async with db.transaction():
        before = await get_group(group_id)
        await db.execute("DELETE FROM exp_tag_group WHERE id = $1", group_id)  # tags and taggings cascade
        await audit.record(actor, "delete", "exp_tag_group", group_id, summary=before["name"],
                           before={"name": before["name"], "tags": before["tags"], "taggings": before["taggings"]})


async def save_tag(actor: Actor, data: dict, tag_id: int | None = None) -> int:
    name, sort = _name(data.get("name")), _sort(data.get("sort"))
    group_raw = str(data.get("group") or "")
    async with db.transaction():
        if tag_id is not None:
            before = await get_tag(tag_id)
            group_id = before["group"]
        elif group_raw.isdigit() and await db.fetchval("SELECT 1 FROM exp_tag_group WHERE id = $1", int(group_raw)):
            group_id = int(group_raw)
        else:
            raise Invalid("group", _("Choose from the list."))
        if await db.fetchval("SELECT 1 FROM exp_tag WHERE \"group\" = $1 AND lower(name) = lower($2)"
                             " AND id IS DISTINCT FROM $3", group_id, name, tag_id):
            raise Invalid("name", _("This group has a tag with this name already."))
        if tag_id is None:
            tag_id = await db.fetchval("INSERT INTO exp_tag (\"group\", name, sort, created_by, updated_by)"
                                       " VALUES ($1, $2, $3, $4, $4) RETURNING id", group_id, name, sort, actor.id)
            await audit.record(actor, "create", "exp_tag", tag_id, summary=name,
                               after={"group": group_id, "name": name, "sort": sort})
        else:
            await db.execute("UPDATE exp_tag SET name = $2, sort = $3, updated_at = now(), updated_by = $4"
                             " WHERE id = $1", tag_id, name, sort, actor.id)
            await audit.record(actor, "update", "exp_tag", tag_id, summary=name,
                               before={"name": before["name"], "sort": before["sort"]},
                               after={"name": name, "sort": sort})
    return tag_id


async def delete_tag(actor: Actor, tag_id: int) -> None:
    async with db.transaction():
        before = await get_tag(tag_id)
        await db.execute("DELETE FROM exp_tag WHERE id = $1", tag_id)
        await audit.record(actor, "delete", "exp_tag", tag_id, summary=before["label"],
                           before={"name": before["name"], "group": before["group"], "experts": before["experts"]})


async def tag_experts(actor: Actor, tag_id: int, expert_ids_: list[int]) -> int:
    """Tag these experts (live ones; already tagged are left alone); returns how many got the tag."""
    ids = sorted({int(i) for i in expert_ids_})
    if not ids:
        raise Conflict(_("Select at least one expert."))
    async with db.transaction():
        tag = await get_tag(tag_id)
        rows = await db.fetch(
            "INSERT INTO exp_expert_tag (expert, tag, created_by) SELECT e.id, $2, $3 FROM exp_expert e"
            " WHERE e.id = ANY($1::bigint[]) AND e.status <> 'deleted' ON CONFLICT (expert, tag) DO NOTHING"
            " RETURNING expert", ids, tag_id, actor.id)
        added = [r["expert"] for r in rows]
        if added:
            await audit.record(actor, "tag", "exp_tag", tag_id, summary=f"{tag['label']}: +{len(added)}",
                               after={"experts": added})
    return len(added)


async def untag_experts(actor: Actor, tag_id: int, expert_ids_: list[int]) -> int:
    ids = sorted({int(i) for i in expert_ids_})
    if not ids:
        raise Conflict(_("Select at least one expert."))
    async with db.transaction():
        tag = await get_tag(tag_id)
        rows = await db.fetch("DELETE FROM exp_expert_tag WHERE tag = $1 AND expert = ANY($2::bigint[])"
                              " RETURNING expert", tag_id, ids)
        removed = [r["expert"] for r in rows]
        if removed:
            await audit.record(actor, "untag", "exp_tag", tag_id, summary=f"{tag['label']}: -{len(removed)}",
                               before={"experts": removed})
    return len(removed)
