"""The points api (SUP-09): idempotent by request key, joins the caller's transaction, never overdraws
under concurrent spends, refunds at most once, and the balance always equals the append-only ledger.
Rule-based awards (MALL-01) respect daily and lifetime caps."""
import asyncio

import pytest

from app.core import db as core_db
from app.points import api as points


async def make_user(db, username: str = "pts_user") -> int:
    return await db.fetchval("INSERT INTO app_user (username, name, kind) VALUES ($1, $1, 'alumni') RETURNING id",
                             username)


async def add_rule(db, action: str, points_: int, **caps) -> None:
    cols = ["action", "name", "points", *caps]
    params = ", ".join(f"${i + 1}" for i in range(len(cols)))
    await db.execute(f"INSERT INTO pts_rule ({', '.join(cols)}) VALUES ({params})", action, action, points_,
                     *caps.values())


@pytest.mark.req("SUP-09")
async def test_earn_spend_are_idempotent_by_key(db):
    uid = await make_user(db)
    first = await points.earn(uid, 100, key="t:earn:1", reason="welcome")
    again = await points.earn(uid, 100, key="t:earn:1", reason="welcome")
    assert again == first and first.balance_after == 100 and first.kind == "earn"
    spent = await points.spend(uid, 30, key="t:spend:1", reason="order", ref="O1")
    assert (await points.spend(uid, 30, key="t:spend:1", reason="order")).id == spent.id
    assert await points.balance(uid) == 70
    assert await db.fetchval("SELECT count(*) FROM pts_ledger WHERE user_id = $1", uid) == 2
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action LIKE 'points.%'") >= 2
    assert await points.ledger_consistent() == []


@pytest.mark.req("SUP-09")
async def test_spend_more_than_balance_raises_and_changes_nothing(db):
    uid = await make_user(db)
    await points.earn(uid, 10, key="t:e", reason="x")
    with pytest.raises(points.InsufficientPoints) as err:
        await points.spend(uid, 11, key="t:s", reason="order")
    assert err.value.balance == 10 and err.value.needed == 11
    assert "10" in str(err.value) and "11" in str(err.value)
    assert await points.balance(uid) == 10
    assert await db.fetchval("SELECT count(*) FROM pts_ledger WHERE key = 't:s'") == 0
    with pytest.raises(ValueError):
        await points.earn(uid, 0, key="t:zero", reason="x")


@pytest.mark.req("SUP-09")
async def test_calls_join_the_callers_transaction(db):
    uid = await make_user(db)
    await points.earn(uid, 50, key="t:e", reason="x")
    with pytest.raises(RuntimeError):
        async with core_db.transaction():
            await points.spend(uid, 20, key="t:s", reason="order")
            raise RuntimeError("checkout failed after the spend")
    assert await points.balance(uid) == 50
    assert await db.fetchval("SELECT count(*) FROM pts_ledger WHERE key = 't:s'") == 0


@pytest.mark.req("SUP-09")
async def test_fifty_concurrent_spends_never_overdraw(db):
    uid = await make_user(db)
    await points.earn(uid, 100, key="t:seed", reason="x")

    async def one(i: int):
        try:
            return await points.spend(uid, 7, key=f"t:c:{i}", reason="concurrent")
        except points.InsufficientPoints:
            return None

    results = await asyncio.gather(*(one(i) for i in range(50)))
    ok = [r for r in results if r is not None]
    assert len(ok) == 14  # 14 × 7 = 98 ≤ 100 < 15 × 7
    assert await points.balance(uid) == 2
    assert await db.fetchval("SELECT sum(delta) FROM pts_ledger WHERE user_id = $1", uid) == 2
    assert sorted(r.balance_after for r in ok) == [100 - 7 * n for n in range(14, 0, -1)]
    assert await points.ledger_consistent(uid) == []


@pytest.mark.req("SUP-09")
async def test_concurrent_calls_with_the_same_key_take_effect_once(db):
    uid = await make_user(db)
    await points.earn(uid, 100, key="t:seed", reason="x")
    results = await asyncio.gather(*(points.spend(uid, 10, key="t:same", reason="dup") for _ in range(10)))
    assert len({r.id for r in results}) == 1
    assert await points.balance(uid) == 90


@pytest.mark.req("SUP-09")
async def test_refund_gives_back_once(db):
    uid = await make_user(db)
    await points.earn(uid, 100, key="t:e", reason="x")
    await points.spend(uid, 40, key="order:1:pay", reason="order", ref="O1")
    back = await points.refund(uid, key="order:1:refund", original_key="order:1:pay", reason="cancelled")
    assert back.delta == 40 and back.kind == "refund" and back.ref == "O1" and back.balance_after == 100
    assert await points.refund(uid, key="order:1:refund", original_key="order:1:pay", reason="again") == back
    assert await points.refund(uid, key="order:1:refund2", original_key="order:1:pay", reason="again") is None
    assert await points.refund(uid, key="order:2:refund", original_key="order:2:pay", reason="none") is None
    assert await points.balance(uid) == 100
    assert await points.ledger_consistent() == []


@pytest.mark.req("SUP-09")
async def test_ledger_consistency_check_finds_drift(db):
    uid = await make_user(db)
    await points.earn(uid, 10, key="t:e", reason="x")
    await db.execute("UPDATE pts_account SET balance = 11 WHERE user_id = $1", uid)
    assert await points.ledger_consistent() == [uid]
    assert await points.ledger_consistent(uid) == [uid]


@pytest.mark.req("MALL-01")
async def test_award_uses_rule_and_daily_caps(db):
    uid = await make_user(db)
    await db.execute("DELETE FROM pts_rule")
    await add_rule(db, "t_login", 5, daily_count=1)
    await add_rule(db, "t_vote", 2, daily_points=5)
    await add_rule(db, "t_profile", 50, lifetime_count=1)
    assert await points.award("t_login", uid, key="login:1") == 5
    assert await points.award("t_login", uid, key="login:1") == 5  # same key: same answer, no effect
    assert await points.award("t_login", uid, key="login:2") == 0  # daily count cap
    assert [await points.award("t_vote", uid, key=f"vote:{i}") for i in range(4)] == [2, 2, 1, 0]
    assert await points.award("t_profile", uid, key="p:1") == 50
    assert await points.award("t_profile", uid, key="p:2") == 0
    assert await points.award("unknown", uid, key="u:1") == 0
    # yesterday's (Asia/Shanghai) logins do not count towards today's cap
    await db.execute("UPDATE pts_ledger SET created_at = now() - interval '1 day' WHERE key = 'login:1'")
    assert await points.award("t_login", uid, key="login:3") == 5
    await db.execute("UPDATE pts_rule SET enabled = false WHERE action = 't_vote'")
    assert await points.award("t_vote", uid, key="vote:9") == 0
    await db.execute("UPDATE pts_rule SET enabled = true, valid_to = current_date - 2 WHERE action = 't_vote'")
    assert await points.award("t_vote", uid, key="vote:10") == 0
    assert await points.balance(uid) == 5 + 5 + 50 + 5
    assert await points.earned_total(uid) == 65
