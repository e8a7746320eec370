"""Factories for the classes tests: alumni records in a class (by class node or by name), login accounts,
class nodes, a generation run, and the class a key names."""
from __future__ import annotations

import itertools

from app.core import db

PASSWORD = "Demo2026pass"
_seq = itertools.count(1)


async def org_id(code: str) -> int:
    return await db.fetchval("SELECT id FROM org_node WHERE code = $1", code)


async def class_node(name: str, college: str = "CS") -> int:
    """A new org node of kind 'class' under the college."""
    parent = await db.fetchrow("SELECT id, path, depth FROM org_node WHERE code = $1", college)
    node = await db.fetchval("INSERT INTO org_node (parent, name, code, kind, depth) VALUES ($1, $2, $3, 'class', $4)"
                             " RETURNING id", parent["id"], name, f"T-{next(_seq)}-{name}"[:50], parent["depth"] + 1)
    await db.execute("UPDATE org_node SET path = $2 WHERE id = $1", node, f"{parent['path']}{node}/")
    return node


async def make_user(username: str, name: str = "", *, phone: str | None = None, email: str | None = None) -> int:
    """An alumni login account with the demo password."""
    password_hash = await db.fetchval("SELECT password_hash FROM app_user WHERE username = 'liaison'")
    return await db.fetchval("INSERT INTO app_user (username, name, phone, email, kind, password_hash)"
                             " VALUES ($1, $2, $3, $4, 'alumni', $5) RETURNING id", username, name or username, phone,
                             email, password_hash)


async def make_person(name: str, *, college: str = "CS", entry_year: int = 2015, node: int | None = None,
                      class_name: str = "", user: int | None = None, phone: str | None = None,
                      email: str | None = None, employer: str = "", secrecy: int = 0) -> int:
    """An active record with one education row in the class (node, or college + entry year + class name)."""
    college_id = await org_id(college)
    person = await db.fetchval(
        "INSERT INTO rec_person (name, phone, email, employer, org, \"user\", secrecy) VALUES ($1, $2, $3, $4, $5, $6,"
        " $7) RETURNING id", name, phone, email, employer, college_id, user, secrecy)
    await db.execute("INSERT INTO rec_education (person, college, class_node, class_name, entry_year) VALUES ($1, $2,"
                     " $3, $4, $5)", person, college_id, node, class_name, entry_year)
    return person


async def generate() -> dict:
    from app.classes import generation

    return await generation.run()


async def class_by_key(key: str) -> dict | None:
    return await db.fetchrow("SELECT * FROM classes_class WHERE key = $1", key)


async def named_class(college: str, entry_year: int, class_name: str) -> dict | None:
    from app.classes import classes
    from app.records.api import class_name_key

    return await class_by_key(classes.name_key(await org_id(college), entry_year, class_name_key(class_name)))


async def user_id(username: str) -> int:
    return await db.fetchval("SELECT id FROM app_user WHERE username = $1", username)


async def liaison_class() -> int:
    """计算机2008级1班 (CS-2008-1), whose liaison is the seeded `liaison` user (demo data)."""
    from app.classes import classes

    return (await class_by_key(classes.node_key(await org_id("CS-2008-1"))))["id"]


async def make_member(class_id: int, user: int, source: str = "request") -> None:
    await db.execute("INSERT INTO classes_member (class_id, \"user\", source) VALUES ($1, $2, $3)"
                     " ON CONFLICT (class_id, \"user\") DO UPDATE SET status = 'active'", class_id, user, source)
