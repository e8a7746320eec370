"""Admin menus as data (SUP-04): the tree of menu rows, editing any entry, custom entries.

Declared entries (from the modules) may be retitled, moved, reordered, re-permissioned or disabled,
not deleted — sync_menus would only bring them back. Custom entries have codes "custom.…"."""
from __future__ import annotations

import re

from app.core import audit, db, menus, sessions, trees
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.permissions import REGISTRY

CUSTOM_PREFIX = "custom."
COLUMNS = "id, code, parent, title, url, icon, permission, sort, enabled"
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,55}$")


async def _all() -> list[dict]:
    return await db.fetch(f"SELECT {COLUMNS} FROM menu ORDER BY sort, id")


def _nest(rows: list[dict]) -> list[dict]:
    return trees.nest({**r, "custom": r["code"].startswith(CUSTOM_PREFIX)} for r in rows)


async def tree() -> list[dict]:
    """Every menu row (disabled ones too) nested under its parent, in menu order."""
    return _nest(await _all())


def flatten(nodes: list[dict], level: int = 0) -> list[dict]:
    out = []
    for n in nodes:
        out.append({**n, "level": level})
        out.extend(flatten(n["children"], level + 1))
    return out


async def parent_choices(exclude_id: int | None = None) -> list[tuple[str, str]]:
    """(id, indented title) of rows that may be a parent: not the entry itself nor its descendants."""
    rows = flatten(await tree())
    banned = _subtree_ids(rows, exclude_id) if exclude_id else set()
    return [(str(r["id"]), "\u3000" * r["level"] + _(r["title"])) for r in rows if r["id"] not in banned]


def _subtree_ids(rows: list[dict], root_id: int) -> set[int]:
    ids, changed = {root_id}, True
    while changed:
        changed = False
        for r in rows:
            if r["parent"] in ids and r["id"] not in ids:
                ids.add(r["id"])
                changed = True
    return ids


async def get(menu_id: int) -> dict | None:
    return await db.fetchrow(f"SELECT {COLUMNS} FROM menu WHERE id = $1", menu_id)


def _check(url: str, permission: str) -> None:
    # Only local paths or web addresses: a menu link is never javascript: or another scheme.
    if url and not ((url.startswith("/") and not url.startswith("//")) or re.match(r"^https?://[^\s]+$", url)):
        raise Invalid("url", _("Use a local path starting with / or an http(s) address."))
    if permission and permission not in REGISTRY:
        raise Invalid("permission", _("Choose a permission from the list."))


async def _check_parent(menu_id: int | None, parent_id: int | None) -> None:
    if parent_id is None:
        return
    rows = await _all()
    if not any(r["id"] == parent_id for r in rows):
        raise Invalid("parent", _("Choose a parent from the list."))
    if menu_id is not None and parent_id in _subtree_ids(rows, menu_id):
        raise Invalid("parent", _("An entry cannot move under itself or its own sub-entries."))


async def create_custom(actor: Actor, *, code: str, title: str, url: str, icon: str, permission: str, sort: int,
                        enabled: bool, parent_id: int | None) -> int:
    code = code.strip().lower()
    code = code if code.startswith(CUSTOM_PREFIX) else CUSTOM_PREFIX + code
    if not CODE_RE.match(code):
        raise Invalid("code", _("Use lower-case letters, digits, dot, dash or underscore."))
    _check(url, permission)
    async with db.transaction():
        await _check_parent(None, parent_id)
        if await db.fetchval("SELECT 1 FROM menu WHERE code = $1", code):
            raise Invalid("code", _("Another menu entry already uses this code."))
        menu_id = await db.fetchval(
            "INSERT INTO menu (code, parent, title, url, icon, permission, sort, enabled, created_by, updated_by) "
            "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$9) RETURNING id",
            code, parent_id, title, url, icon, permission, sort, enabled, actor.id)
        await audit.record(actor, "create", "menu", menu_id, after={"code": code, "title": title, "url": url,
                                                                    "icon": icon, "permission": permission,
                                                                    "sort": sort, "enabled": enabled,
                                                                    "parent": parent_id})
    menus.invalidate()
    await sessions.shell_changed()  # every user's cached menu
    return menu_id


async def update(actor: Actor, menu_id: int, *, title: str, url: str, icon: str, permission: str, sort: int,
                 enabled: bool, parent_id: int | None) -> None:
    _check(url, permission)
    async with db.transaction():
        before = await db.fetchrow(f"SELECT {COLUMNS} FROM menu WHERE id = $1 FOR UPDATE", menu_id)
        if before is None:
            raise Conflict(_("This menu entry does not exist."))
        await _check_parent(menu_id, parent_id)
        await db.execute("UPDATE menu SET title=$2, url=$3, icon=$4, permission=$5, sort=$6, enabled=$7, parent=$8, "
                         "updated_at=now(), updated_by=$9 WHERE id=$1",
                         menu_id, title, url, icon, permission, sort, enabled, parent_id, actor.id)
        after = {**before, "title": title, "url": url, "icon": icon, "permission": permission, "sort": sort,
                 "enabled": enabled, "parent": parent_id}
        await audit.record(actor, "update", "menu", menu_id, before=before, after=after, summary=before["code"])
    menus.invalidate()
    await sessions.shell_changed()  # every user's cached menu


async def delete_custom(actor: Actor, menu_id: int) -> None:
    async with db.transaction():
        row = await db.fetchrow(f"SELECT {COLUMNS} FROM menu WHERE id = $1 FOR UPDATE", menu_id)
        if row is None:
            raise Conflict(_("This menu entry does not exist."))
        if not row["code"].startswith(CUSTOM_PREFIX):
            raise Conflict(_("Built-in menu entries cannot be deleted; disable them instead."))
        if await db.fetchval("SELECT 1 FROM menu WHERE parent = $1 LIMIT 1", menu_id):
            raise Conflict(_("Move or delete its sub-entries first."))
        await db.execute("DELETE FROM menu WHERE id = $1", menu_id)
        await audit.record(actor, "delete", "menu", menu_id, before=row, summary=row["code"])
    menus.invalidate()
    await sessions.shell_changed()  # every user's cached menu
