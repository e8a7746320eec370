"""Factories and snapshots shared by the duplicates / merge / batch update / rollback tests."""
from __future__ import annotations

from datetime import date

from app.core import db
from app.core.audit import SYSTEM
from app.records import api

SNAPSHOT_TABLES = ("rec_person", "rec_education", "rec_person_tag", "rec_contact_log", "rec_work", "rec_file",
                   "rec_interaction")
VOLATILE = {"updated_at", "updated_by"}


async def org(code: str) -> int:
    return await db.fetchval("SELECT id FROM org_node WHERE code = $1", code)


async def person(name: str, college: str = "CS", **values) -> int:
    """A person owned by the college, with one education record there."""
    college_id = await org(college)
    data = {"name": name, "org": college_id, **values}
    education = {"degree": "21", "college": college_id, "major": "软件工程", "entry_year": 2008, "grad_year": 2012}
    return await api.create_person(SYSTEM, data, [education])


async def duplicate_pair(college: str = "CS") -> tuple[int, int]:
    """Two records of one alumnus: same name and birthday, different phone; the second has an email."""
    a = await person("测试重复", college, birthday=date(1990, 5, 6), phone="13900000001", employer="华为")
    b = await person("测试重复", college, birthday=date(1990, 5, 6), phone="13900000002",
                     email="dup@example.com", employer="")
    return a, b


async def snapshot() -> dict:
    """Every row of the person tables (minus update stamps), for before/after comparisons."""
    out = {}
    for table in SNAPSHOT_TABLES:
        rows = await db.fetch(f"SELECT * FROM {table} ORDER BY id")
        out[table] = [{k: v for k, v in r.items() if k not in VOLATILE} for r in rows]
    return out


def diff(before: dict, after: dict) -> list[str]:
    """Readable differences between two snapshots (empty when identical)."""
    problems = []
    for table, rows in before.items():
        b = {r["id"]: r for r in rows}
        a = {r["id"]: r for r in after[table]}
        for key in b.keys() - a.keys():
            problems.append(f"{table} #{key} missing")
        for key in a.keys() - b.keys():
            problems.append(f"{table} #{key} extra")
        for key in b.keys() & a.keys():
            if b[key] != a[key]:
                cols = [c for c in b[key] if b[key][c] != a[key].get(c)]
                problems.append(f"{table} #{key} differs in {cols}: {[(b[key][c], a[key][c]) for c in cols]}")
    return problems
