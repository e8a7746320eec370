"""Points expiry (SUP-09 ledger kind "expire", policy on the MALL-01 rules page, seen in the MALL-02
ledger): unspent points past their validity expire, oldest spent first (FIFO); every run after the
first is a no-op; nothing expires while the policy is off; the member sees the entry in their history."""
import asyncio
import os

import asyncpg
import pytest

from app.core import jobs
from app.core.audit import SYSTEM
from app.points import api as points
from app.points import expiry
from tests.helpers import post_form
from tests.points.test_api import make_user

POLICY = {"expiry_enabled": True, "expiry_months": 24, "expiry_year_end": False}


async def received(db, uid: int, amount: int, key: str, months_ago: int, kind: str = "earn") -> None:
    """Points received `months_ago` months ago (the ledger row dated back)."""
    await (points.grant(uid, amount, key=key, reason=key) if kind == "grant"
           else points.earn(uid, amount, key=key, reason=key))
    await db.execute("UPDATE pts_ledger SET created_at = now() - make_interval(months => $2) WHERE key = $1",
                     key, months_ago)


async def expire_rows(db, uid: int) -> list[dict]:
    return await db.fetch("SELECT * FROM pts_ledger WHERE user_id = $1 AND kind = 'expire' ORDER BY id", uid)


@pytest.mark.req("SUP-09", "MALL-01")
async def test_only_unspent_points_past_their_validity_expire_oldest_spent_first(db):
    await expiry.save_policy(SYSTEM, POLICY)
    uid = await make_user(db)
    await received(db, uid, 100, "old", 30)          # expired; spent first
    await received(db, uid, 50, "older_grant", 26, "grant")  # expired; 20 of it spent, 30 left
    await received(db, uid, 30, "recent", 1)         # still valid
    await points.spend(uid, 120, key="order", reason="mall order")
    untouched = await make_user(db, "pts_fresh")
    await received(db, untouched, 40, "fresh", 23)   # not yet 24 months old

    result = await expiry.run()
    assert result["expired_users"] == 1 and result["expired_points"] >= 30
    rows = await expire_rows(db, uid)
    assert [r["delta"] for r in rows] == [-30]
    assert rows[0]["balance_after"] == 30 and await points.balance(uid) == 30
    older = await db.fetchval("SELECT id FROM pts_ledger WHERE key = $1", "older_grant")
    assert rows[0]["key"] == f"expire:{uid}:{older}"
    assert await points.earned_total(uid) == 180  # the level keeps what was earned
    assert await expire_rows(db, untouched) == [] and await points.balance(untouched) == 40
    assert await points.ledger_consistent() == []
    audit = await db.fetchrow("SELECT * FROM audit_log WHERE action = 'points.expire' AND entity_id = $1",
                              str(rows[0]["id"]))
    assert audit is not None


@pytest.mark.req("SUP-09")
async def test_a_second_run_and_a_concurrent_run_expire_nothing_twice(db):
    await expiry.save_policy(SYSTEM, POLICY)
    uid = await make_user(db)
    await received(db, uid, 80, "old", 25)
    await received(db, uid, 20, "new", 2)
    await points.spend(uid, 30, key="spend", reason="order")
    # two runs at once: both wait for the account while another connection holds it, then go
    policy = await expiry.get_policy()
    blocker = await asyncpg.connect(os.environ["DATABASE_URL"])
    held = blocker.transaction()
    await held.start()
    await blocker.execute("SELECT 1 FROM pts_account WHERE user_id = $1 FOR UPDATE", uid)
    runs = [asyncio.create_task(expiry.expire_user(uid, policy)) for _ in range(2)]
    await asyncio.sleep(0.3)
    await held.commit()
    await blocker.close()
    first, second = await asyncio.gather(*runs)
    assert [e.delta for e in (first, second) if e is not None] == [-50]
    count = await db.fetchval("SELECT count(*) FROM pts_ledger")
    await expiry.run()
    await expiry.run()
    assert await db.fetchval("SELECT count(*) FROM pts_ledger") == count  # the whole ledger: no row added
    assert [r["delta"] for r in await expire_rows(db, uid)] == [-50]
    assert await points.balance(uid) == 20
    # spending afterwards uses the remaining valid points; nothing further expires
    await points.spend(uid, 20, key="spend2", reason="order")
    assert await expiry.expire_user(uid, await expiry.get_policy()) is None
    assert await points.ledger_consistent() == []


@pytest.mark.req("SUP-09", "MALL-01")
async def test_nothing_expires_while_the_policy_is_off(db):
    uid = await make_user(db)
    await received(db, uid, 100, "ancient", 120)
    assert (await expiry.get_policy())["enabled"] is False  # off by default
    assert await expiry.run() == {"skipped": "disabled"}
    await expiry.save_policy(SYSTEM, {**POLICY, "expiry_enabled": False})
    await jobs.enqueue("pts.expire")
    await jobs.drain()
    assert await expire_rows(db, uid) == [] and await points.balance(uid) == 100


@pytest.mark.req("SUP-09", "MALL-01")
async def test_year_end_validity(db):
    await expiry.save_policy(SYSTEM, {**POLICY, "expiry_months": 12, "expiry_year_end": True})
    uid = await make_user(db)
    await points.earn(uid, 70, key="two_years_ago", reason="x")
    await points.earn(uid, 40, key="last_year", reason="x")
    # received in mid-year two years ago: valid until the end of last year → expired
    await db.execute("UPDATE pts_ledger SET created_at = make_timestamptz(extract(year FROM now() AT TIME ZONE"
                     " 'Asia/Shanghai')::int - 2, 7, 1, 12, 0, 0, 'Asia/Shanghai') WHERE key = 'two_years_ago'")
    # received last year: valid until the end of this year
    await db.execute("UPDATE pts_ledger SET created_at = make_timestamptz(extract(year FROM now() AT TIME ZONE"
                     " 'Asia/Shanghai')::int - 1, 1, 2, 12, 0, 0, 'Asia/Shanghai') WHERE key = 'last_year'")
    entry = await expiry.expire_user(uid, await expiry.get_policy())
    assert entry.delta == -70 and entry.reason.endswith("-12-31)")
    assert await points.balance(uid) == 40


@pytest.mark.req("MALL-01", "MALL-02")
async def test_policy_on_the_rules_page_and_the_member_sees_the_expiry(db, as_user):
    admin = await as_user("admin")
    page = await admin.get("/admin/points/rules")
    assert page.status_code == 200 and "Points never expire." in page.text
    bad = await post_form(admin, "/admin/points/rules", "/admin/points/rules/expiry",
                          {"expiry_enabled": "on", "expiry_months": "0"})
    assert bad.status_code == 422 and "At least 1." in bad.text
    saved = await post_form(admin, "/admin/points/rules", "/admin/points/rules/expiry",
                            {"expiry_enabled": "on", "expiry_months": "24"})
    assert saved.status_code == 303
    assert await expiry.get_policy() == {"enabled": True, "months": 24, "year_end": False}
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'points.expiry.update'") == 1
    assert "Points are valid for 24 months after they were received." in (await admin.get("/admin/points/rules")).text

    uid = await make_user(db, "pts_member")
    await db.execute("UPDATE app_user SET password_hash = (SELECT password_hash FROM app_user WHERE username ="
                     " 'liaison') WHERE id = $1", uid)
    await received(db, uid, 60, "member_old", 25)
    await received(db, uid, 15, "member_new", 1)
    await jobs.enqueue("pts.expire", dedupe_key="test:pts.expire")
    await jobs.drain()
    assert await points.balance(uid) == 15
    ledger = await admin.get(f"/admin/points/ledger?user={uid}&kind=expire")
    assert ledger.status_code == 200 and "-60" in ledger.text
    member = await as_user("pts_member")
    history = await member.get("/h5/points")
    assert history.status_code == 200  # (logging in earned the daily sign-in points on top)
    assert f'data-balance="{await points.balance(uid)}"' in history.text
    assert "-60" in history.text and "Expired" in history.text and "Unspent points received by" in history.text
