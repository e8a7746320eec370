"""Admin menus as data (SUP-04): modules declare their entries; `sync_menus` upserts them by code;
each user sees the entries whose permission they hold."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from markupsafe import Markup

from app.core import db
from app.core.i18n import gettext


@dataclass
class MenuEntry:
    code: str
    title: str  # English msgid, translated when shown
    url: str = ""
    icon: str = ""
    permission: str = ""
    sort: int = 0
    parent: str | None = None


@dataclass
class MenuNode:
    code: str
    title: str
    url: str
    icon: str
    children: list[MenuNode] = field(default_factory=list)
    active: bool = False


DECLARED: list[MenuEntry] = []
_cache: list[dict] = []
_cache_at = 0.0


def declare(*entries: MenuEntry) -> None:
    DECLARED.extend(entries)


async def sync_menus() -> None:
    """Insert declared menu entries that are missing; admins' edits to existing ones are kept."""
    for entry in sorted(DECLARED, key=lambda e: e.parent is not None):
        await db.execute(
            "INSERT INTO menu (code, parent, title, url, icon, permission, sort) VALUES "
            "($1, (SELECT id FROM menu WHERE code = $2), $3, $4, $5, $6, $7) ON CONFLICT (code) DO NOTHING",
            entry.code, entry.parent, entry.title, entry.url, entry.icon, entry.permission, entry.sort)
    invalidate()


def invalidate() -> None:
    global _cache_at
    _cache_at = 0.0


async def _rows() -> list[dict]:
    global _cache, _cache_at
    if time.monotonic() - _cache_at > 10:
        _cache = await db.fetch("SELECT id, code, parent, title, url, icon, permission, sort FROM menu "
                                "WHERE enabled ORDER BY sort, id")
        _cache_at = time.monotonic()
    return _cache


async def menu_for(user, path: str) -> list[MenuNode]:
    rows = await _rows()
    allowed = [r for r in rows if not r["permission"] or (user and user.can(r["permission"]))]
    by_parent: dict[int | None, list[dict]] = {}
    for r in allowed:
        by_parent.setdefault(r["parent"], []).append(r)

    def build(parent_id):
        nodes = []
        for r in by_parent.get(parent_id, []):
            node = MenuNode(r["code"], gettext(r["title"]), r["url"], r["icon"], build(r["id"]))
            node.active = bool(r["url"]) and (path == r["url"] or path.startswith(r["url"].rstrip("/") + "/"))
            node.active = node.active or any(c.active for c in node.children)
            if node.url or node.children:  # a group with no visible child is hidden
                nodes.append(node)
        return nodes

    return build(None)


def render_html(nodes: list[MenuNode]) -> Markup:
    """The side menu's <li> tree, built in Python: cached per user and page by the shell, where a
    recursive Jinja loop cost ~0.5 ms a page."""
    out: list[str] = []
    for node in nodes:
        out.append(Markup('<li class="%s">') % ("active" if node.active else ""))
        if node.url:
            out.append(Markup('<a href="%s"%s>%s</a>') % (node.url, Markup(' aria-current="page"') if node.active
                                                             else "", node.title))
        else:
            out.append(Markup('<span class="menu-group">%s</span>') % node.title)
        if node.children:
            out.append(Markup("<ul>") + render_html(node.children) + Markup("</ul>"))
        out.append("</li>")
    return Markup("".join(out))
