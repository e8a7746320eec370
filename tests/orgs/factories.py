"""Building blocks of the orgs tests: accounts, orgs and members made through the real services."""
from __future__ import annotations

import itertools

from app.core.audit import SYSTEM, Actor
from app.core.permissions import Scope

PASSWORD = "Demo2026pass"
_numbers = itertools.count(1)


async def make_user(name: str = "测试校友", kind: str = "alumni", phone: str | None = None) -> tuple[str, int]:
    """An account (password Demo2026pass)."""
    from app.support import users

    username = f"org_user_{next(_numbers)}"
    user_id = await users.create_user(SYSTEM, username=username, name=name, kind=kind, password=PASSWORD,
                                      email=f"{username}@example.cn", phone=phone)
    return username, user_id


def as_actor(user_id: int, username: str = "u") -> Actor:
    """A plain alumnus acting (no permissions; the scope of an alumnus is their own records)."""
    return Actor(user_id, username, scope=Scope(user_id=user_id), perms=frozenset())


async def org_id(db, slug: str) -> int:
    return await db.fetchval("SELECT id FROM orgs_org WHERE slug = $1", slug)


async def user_id(db, username: str) -> int:
    return await db.fetchval("SELECT id FROM app_user WHERE username = $1", username)


async def make_org(slug: str, name: str | None = None, *, join_rule: str = "approval", requirement: str = "any",
                   node_code: str | None = None, parent: int | None = None) -> int:
    """An association created by HQ through the service (a new org-tree node unless node_code names one)."""
    from app.core import db
    from app.orgs import orgs

    node = await db.fetchval("SELECT id FROM org_node WHERE code = $1", node_code) if node_code else None
    return await orgs.create(SYSTEM, {"name": name or f"测试校友会{slug}", "slug": slug, "kind": "local",
                                      "join_rule": join_rule, "join_requirement": requirement, "status": "active",
                                      "node": node, "parent": parent, "description": "<p>简介</p>"})


async def add_member(org: int, uid: int) -> int:
    from app.orgs import members, orgs

    return await members.activate(SYSTEM, await orgs.get(org), uid, "admin")
