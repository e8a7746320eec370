"""Demo data of the verification funnel (IDV-02 … IDV-05), idempotent; app/identity/demo.py calls `seed()`.

What it holds:
- the points rule "identity_verified" (身份认证奖励, 50 points, once per user);
- the demo alumnus login `alumnus` / Demo2026pass (张同学, account type "registered", no claim) and his record,
  NOT linked — the e2e test claims it: 张同学, 计算机科学与技术学院 (CS), entry year 2008, bachelor (本科),
  major 计算机科学与技术, class 计算机2008级1班 (class node CS-2008-1), graduated 2012, student number
  2008010101, no ID number. Claimed with name 张同学, college CS and entry year 2008 it is the one candidate,
  so the claim asks questions about major, class, graduation year and degree (the college was given);
- about three dozen claims by demo accounts idn_demo_01 … (Demo2026pass, named like their records) on the
  demo records of the CS, EM and FL colleges, opened over the last six months: verified by ID number, by
  questions, by face and by manual review (each record linked and the points awarded), rejected with a reason,
  withdrawn, some still in progress, and 3 pending claims with their review todos (two in CS, one in EM), so
  the review queues of cs_admin and em_admin are not empty.
"""
from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from app.core import db, id_numbers, todos
from app.core.audit import SYSTEM
from app.core.security import hash_password
from app.identity import links, questions
from app.points import api as points
from app.records import api as records
from app.support import users
from app.support.seed import DEMO_PASSWORD

ALUMNUS = {"username": "alumnus", "name": "张同学", "email": "alumnus@alumni.example.cn", "phone": "13800002008"}
ALUMNUS_RECORD = {"name": "张同学", "major": "计算机科学与技术", "class_name": "计算机2008级1班", "entry_year": 2008,
                  "grad_year": 2012, "student_no": "2008010101", "degree": "bk"}
# (college code, status, method, how many)
PLAN = [
    ("CS", "verified", "id_match", 5), ("CS", "verified", "questions", 4), ("CS", "verified", "face", 1),
    ("CS", "verified", "manual", 2), ("CS", "rejected", "", 2), ("CS", "pending", "", 2), ("CS", "withdrawn", "", 1),
    ("CS", "questions", "", 1),
    ("EM", "verified", "id_match", 3), ("EM", "verified", "questions", 3), ("EM", "verified", "manual", 1),
    ("EM", "verified", "face", 1), ("EM", "rejected", "", 1), ("EM", "pending", "", 1), ("EM", "open", "", 1),
    ("FL", "verified", "id_match", 2), ("FL", "verified", "questions", 2), ("FL", "verified", "manual", 1),
    ("FL", "rejected", "", 1), ("FL", "withdrawn", "", 1),
]
REVIEWERS = {"CS": "cs_admin", "EM": "em_admin", "FL": "hq"}
REASONS = ["档案中没有找到与您填写信息一致的记录，请补充毕业证书照片后重新申请。",
           "填写的入学年份与档案不符，请核对后重新申请。"]
NOTES = ["毕业后一直在深圳工作，希望加入校友会。", "学号记不清了，可以提供毕业证照片。", ""]


async def _college_ids() -> dict[str, int]:
    rows = await db.fetch("SELECT code, id FROM org_node WHERE code = ANY($1::text[])", ["CS", "EM", "FL", "CS-2008-1"])
    return {r["code"]: r["id"] for r in rows}


async def _alumnus(ids: dict[str, int]) -> None:
    """The e2e alumnus: his login and his (unlinked) record."""
    if not await db.fetchval("SELECT 1 FROM app_user WHERE username = $1", ALUMNUS["username"]):
        await users.create_user(SYSTEM, username=ALUMNUS["username"], name=ALUMNUS["name"], email=ALUMNUS["email"],
                                phone=ALUMNUS["phone"], kind="registered", password=DEMO_PASSWORD)
    exists = await db.fetchval("SELECT 1 FROM rec_person p JOIN rec_education e ON e.person = p.id WHERE p.name = $1"
                               " AND e.student_no = $2 AND p.status = 'active'", ALUMNUS_RECORD["name"],
                               ALUMNUS_RECORD["student_no"])
    if exists or "CS" not in ids:
        return
    education = {k: ALUMNUS_RECORD[k] for k in ("major", "class_name", "entry_year", "grad_year", "student_no",
                                                "degree")}
    education.update(college=ids["CS"], class_node=ids.get("CS-2008-1"))
    await records.create_person(SYSTEM, {"kind": "alumni", "name": ALUMNUS_RECORD["name"], "gender": "1",
                                         "org": ids["CS"]}, [education], method="manual")


async def _records(college: int, count: int) -> list[dict]:
    """Unlinked demo records of the college (their first education row there), oldest first."""
    return await db.fetch(
        "SELECT DISTINCT ON (p.id) p.id, p.name, p.kind, p.id_number, e.entry_year, e.major, e.class_name"
        " FROM rec_person p JOIN rec_education e ON e.person = p.id AND e.college = $1"
        " WHERE p.status = 'active' AND p.\"user\" IS NULL AND p.name <> $2 AND e.entry_year IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM idn_claim c WHERE c.person = p.id)"
        " ORDER BY p.id, e.entry_year LIMIT $3", college, ALUMNUS_RECORD["name"], count)


async def _user(number: int, name: str, password_hash: str) -> int:
    """Demo account idn_demo_NN (created on first use)."""
    username = f"idn_demo_{number:02d}"
    user_id = await db.fetchval("SELECT id FROM app_user WHERE username = $1", username)
    if user_id:
        return user_id
    return await db.fetchval(
        "INSERT INTO app_user (username, name, email, kind, password_hash) VALUES ($1, $2, $3, 'registered', $4)"
        " RETURNING id", username, name, f"{username}@alumni.example.cn", password_hash)


def _id_number(rng: random.Random, entry_year: int) -> str:
    born = datetime(entry_year - 18, rng.randint(1, 12), rng.randint(1, 28))
    return id_numbers.complete(f"110108{born:%Y%m%d}{rng.randint(100, 999)}")


async def _claim(rng: random.Random, user_id: int, person: dict, college: int, status: str, method: str,
                 reviewer: int | None) -> int:
    opened = datetime.now().astimezone() - timedelta(days=rng.randint(1, 180), minutes=rng.randint(0, 600))
    kind = "student" if person["kind"] == "student" else "alumnus"
    id_number = ""
    if method == "id_match":
        id_number = person["id_number"] or _id_number(rng, person["entry_year"])
        if not person["id_number"]:
            await records.update_person(SYSTEM, person["id"], {"id_number": id_number})
    decided = opened + (timedelta(days=rng.randint(1, 3)) if method == "manual" or status == "rejected"
                        else timedelta(minutes=rng.randint(1, 20)))
    qset: dict = {}
    if status == "questions":
        qset = await questions.build(person["id"], person["entry_year"], skip=("college",)) or {}
    verified = status == "verified"
    reviewed = method == "manual" or status == "rejected"
    values = {
        "user": user_id, "kind": kind, "name": person["name"], "id_number": id_number, "college": college,
        "entry_year": person["entry_year"], "major": person["major"] if rng.random() < 0.5 else "",
        "note": rng.choice(NOTES) if status in ("pending", "rejected") else "", "status": status,
        "method": method if verified else "", "person": person["id"],
        "question_attempts": 2 if status in ("pending", "open") or method in ("face", "manual") else 0,
        "questions": json.dumps(qset), "reviewer": reviewer if reviewed else None,
        "reviewed_at": decided if reviewed else None, "reason": rng.choice(REASONS) if status == "rejected" else "",
        "verified_at": decided if verified else None, "created_at": opened, "updated_at": opened,
        "created_by": user_id, "updated_by": user_id,
    }
    columns = ", ".join(f'"{k}"' for k in values)
    params = ", ".join(f"${i}::jsonb" if k == "questions" else f"${i}" for i, k in enumerate(values, 1))
    claim_id = await db.fetchval(f"INSERT INTO idn_claim ({columns}) VALUES ({params}) RETURNING id", *values.values())
    if verified:
        await records.link_user(person["id"], user_id, actor=SYSTEM, method="manual" if method == "manual" else "self")
        if kind == "alumnus":
            await users.set_kind(SYSTEM, user_id, "alumni", only_from=("visitor", "registered"))
        await points.award(links.POINTS_ACTION, user_id, key=links.ref(claim_id), ref=str(claim_id))
    if status == "pending":
        await todos.open_todo("identity.claim", links.ref(claim_id), f"身份认证申请：{person['name']}",
                              f"/admin/identity/reviews/{claim_id}", "idn.review", org_id=college, notify_users=False)
    return claim_id


async def seed() -> int:
    """Creates what is missing; returns how many claims it added."""
    await links.ensure_points_rule()
    ids = await _college_ids()
    await _alumnus(ids)
    rng = random.Random(2026)
    password_hash = hash_password(DEMO_PASSWORD)
    reviewers = {r["username"]: r["id"] for r in await db.fetch("SELECT id, username FROM app_user WHERE username ="
                                                               " ANY($1::text[])", list(REVIEWERS.values()))}
    added, number = 0, 0
    for code, status, method, count in PLAN:
        if code not in ids:
            continue
        for _n in range(count):
            number += 1
            existing = await db.fetchrow("SELECT id, name FROM app_user WHERE username = $1",
                                         f"idn_demo_{number:02d}")
            if existing and await db.fetchval('SELECT 1 FROM idn_claim WHERE "user" = $1', existing["id"]):
                continue
            found = await _records(ids[code], 1)
            if not found:
                continue
            person = found[0]
            user_id = await _user(number, person["name"], password_hash)
            async with db.transaction():
                await _claim(rng, user_id, person, ids[code], status, method, reviewers.get(REVIEWERS[code]))
            added += 1
    return added
