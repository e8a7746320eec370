"""Lucky draws (OPS-07): the seed's hash is public before any draw, the seed after closing, and the winners list
recomputes from them exactly; stock is never overdrawn under concurrency; draws beyond a person's allowance are
refused and audited; the prize table is frozen once open."""
import asyncio
import hashlib

import pytest

from app.core.audit import SYSTEM
from app.core.forms import Conflict
from app.ops import lottery
from tests.ops.factories import make_user


async def _lottery(per_user: int = 1, per_day: int = 1) -> int:
    lottery_id = await lottery.create(SYSTEM, {"title": "校庆抽奖", "style": "wheel", "per_user": per_user,
                                               "per_day": per_day})
    await lottery.add_prize(SYSTEM, lottery_id, "一等奖 保温杯", 3, 3000)
    await lottery.add_prize(SYSTEM, lottery_id, "二等奖 纪念徽章", 10, 4000)
    return lottery_id


@pytest.mark.req("OPS-07")
async def test_concurrent_draws_never_overdraw_and_the_log_reverifies(db):
    lottery_id = await _lottery()
    seed_hash = await lottery.open_lottery(SYSTEM, lottery_id)
    with pytest.raises(Conflict):
        await lottery.add_prize(SYSTEM, lottery_id, "临时加奖", 1, 100)
    people = [await make_user(db, f"抽奖{i}") for i in range(120)]
    results = await asyncio.gather(*(lottery.draw(p, lottery_id) for p in people))
    assert sorted(r.number for r in results) == list(range(1, 121))
    given = {p["name"]: p["given"] for p in await lottery.prizes(lottery_id)}
    assert given == {"一等奖 保温杯": 3, "二等奖 纪念徽章": 10}  # 70% chance × 120 draws: both stocks run out
    assert sum(1 for r in results if r.prize_id) == 13
    with pytest.raises(Conflict, match="used all your draws"):
        await lottery.draw(people[0], lottery_id)
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'draw_refused' AND actor_id = $1",
                             people[0].id) == 1
    assert (await lottery.get(lottery_id))["seed_hash"] == seed_hash

    seed = await lottery.close_lottery(SYSTEM, lottery_id)
    assert hashlib.sha256(bytes.fromhex(seed)).hexdigest() == seed_hash
    assert await lottery.verify(lottery_id) == {"hash_ok": True, "draws": 120, "mismatches": []}
    # an auditor's own recomputation from the public data only
    log = await lottery.public_log(lottery_id)
    items = await lottery.prizes(lottery_id)
    out: dict[int, int] = {}
    for row in log:
        won = lottery.pick(lottery.draw_value(seed, lottery_id, row["number"]), items, out)
        if won:
            out[won["id"]] = out.get(won["id"], 0) + 1
        assert (won["id"] if won else None) == row["prize"]
    # a winner swapped in the table afterwards is caught
    loser = next(r for r in log if not r["prize"])
    await db.execute("UPDATE ops_lottery_draw SET prize = $3 WHERE lottery = $1 AND number = $2", lottery_id,
                     loser["number"], items[0]["id"])
    assert (await lottery.verify(lottery_id))["mismatches"] == [loser["number"]]


@pytest.mark.req("OPS-07")
async def test_allowance_per_day_and_closed_lottery(db):
    lottery_id = await _lottery(per_user=3, per_day=2)
    person = await make_user(db, "多抽")
    with pytest.raises(Conflict, match="not open"):
        await lottery.draw(person, lottery_id)
    await lottery.open_lottery(SYSTEM, lottery_id)
    await lottery.draw(person, lottery_id)
    await lottery.draw(person, lottery_id)
    with pytest.raises(Conflict, match="today"):
        await lottery.draw(person, lottery_id)
    assert await lottery.allowance(person.id, await lottery.get(lottery_id)) == (1, 0)
    await lottery.close_lottery(SYSTEM, lottery_id)
    with pytest.raises(Conflict, match="not open"):
        await lottery.draw(person, lottery_id)


@pytest.mark.req("OPS-07")
async def test_lottery_pages_without_js(as_user, client, db):
    from tests.helpers import csrf_from, login
    from tests.ops.factories import PASSWORD

    admin = await as_user("admin")
    page = await admin.get("/admin/ops/lotteries")
    token = csrf_from(page.text)
    made = await admin.post("/admin/ops/lotteries", data={"_csrf_token": token, "title": "迎新九宫格", "style": "grid",
                                                           "per_user": "1", "per_day": "1"})
    assert made.status_code == 303
    lottery_id = int(made.headers["location"].rsplit("/", 1)[-1])
    too_much = await admin.post(f"/admin/ops/lotteries/{lottery_id}/prizes", data={
        "_csrf_token": token, "name": "大奖", "stock": "1", "chance": "10001"})
    assert too_much.status_code == 422
    await admin.post(f"/admin/ops/lotteries/{lottery_id}/prizes", data={"_csrf_token": token, "name": "纪念T恤",
                                                                         "stock": "5", "chance": "10000"})
    assert (await admin.get(f"/admin/ops/lotteries/{lottery_id}/open")).status_code == 200
    await admin.post(f"/admin/ops/lotteries/{lottery_id}/open", data={"_csrf_token": token})
    seed_hash = (await lottery.get(lottery_id))["seed_hash"]
    person = await make_user(db, "九宫格")
    await login(client, person.name, PASSWORD)
    phone = await client.get(f"/h5/lottery/{lottery_id}")
    assert phone.status_code == 200 and "纪念T恤" in phone.text and "lot-board grid" in phone.text
    drawn = await client.post(f"/h5/lottery/{lottery_id}/draw", data={"_csrf_token": csrf_from(phone.text)})
    assert drawn.status_code == 200 and "You won: 纪念T恤!" in drawn.text  # a 100% prize
    again = await client.post(f"/h5/lottery/{lottery_id}/draw", data={"_csrf_token": csrf_from(phone.text)})
    assert again.status_code == 409 and "used all your draws" in again.text
    check = await client.get(f"/h5/lottery/{lottery_id}/check")
    assert seed_hash in check.text and "revealed when the lottery closes" in check.text
    await lottery.close_lottery(SYSTEM, lottery_id)  # (the one client is logged in as the alumnus now)
    check = await client.get(f"/h5/lottery/{lottery_id}/check")
    assert "all 1 draws recompute exactly" in check.text and (await lottery.get(lottery_id))["seed"] in check.text
