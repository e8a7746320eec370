"""Balance (SMS-06) and statistics (SMS-07) pages: balances in scope, top-up with permission, ledger and
monthly totals, alert threshold; monthly/yearly success rates with charts and an xlsx export, read from
the daily rollup (sms_daily_stat) that the sms.stats.rollup job keeps current."""
import io
from datetime import date

import openpyxl
import pytest

from app.core import jobs
from app.core.audit import SYSTEM
from app.sms import billing, stats
from tests.helpers import csrf_from
from tests.sms.console_helpers import hq_account, make_account, make_batch, make_operator


@pytest.mark.req("SMS-06")
async def test_balance_topup_ledger_and_threshold(db, as_user):
    account = await hq_account()
    before = await billing.balance(account)
    client = await as_user("admin")
    page = await client.get(f"/admin/sms/balance?account={account}")
    assert page.status_code == 200 and f"{before:,}" in page.text and "Monthly totals" in page.text
    token = csrf_from(page.text)
    bad = await client.post(f"/admin/sms/balance/{account}/topup", data={"amount": "-5", "_csrf_token": token})
    assert bad.status_code == 422 and "Enter a positive number of messages." in bad.text
    ok = await client.post(f"/admin/sms/balance/{account}/topup", data={"amount": "500", "note": "合同续费",
                                                                       "_csrf_token": token})
    assert ok.status_code == 303 and await billing.balance(account) == before + 500
    ledger = await client.get(f"/admin/sms/balance?account={account}&kind=topup")
    assert "合同续费" in ledger.text
    assert await billing.ledger_consistent(account)
    saved = await client.post(f"/admin/sms/balance/{account}/threshold", data={"low_balance_alert": "777",
                                                                               "_csrf_token": token})
    assert saved.status_code == 303
    assert await db.fetchval("SELECT low_balance_alert FROM sms_account WHERE id = $1", account) == 777


@pytest.mark.req("SMS-06")
async def test_operator_sees_own_balance_but_cannot_top_up(db, as_user):
    op = await make_operator("balop")
    mine = await make_account("学院账户", balance=42, members=((op, "operator"),))
    client = await as_user("balop")
    page = await client.get("/admin/sms/balance")
    assert "学院账户" in page.text and "同窗大学校友总会" not in page.text and "Top up" not in page.text
    refused = await client.post(f"/admin/sms/balance/{mine}/topup", data={"amount": "5",
                                                                         "_csrf_token": csrf_from(page.text)})
    assert refused.status_code == 403


@pytest.mark.req("SMS-07")
async def test_monthly_stats_chart_and_export(db, as_user):
    account = await hq_account()
    await make_batch(account, [("13500000001", "delivered"), ("13500000002", "delivered"),
                               ("13500000003", "delivered"), ("13500000004", "failed"), ("13500000005", "queued")])
    await stats.refresh_daily_stats()
    client = await as_user("admin")
    page = await client.get("/admin/sms/stats")
    month = date.today().strftime("%Y-%m")
    assert page.status_code == 200 and month in page.text and "<svg" in page.text
    assert "75.0%" in page.text  # 3 delivered of 4 final
    yearly = await client.get("/admin/sms/stats?period=year&by=channel")
    assert str(date.today().year) in yearly.text
    export = await client.get("/admin/sms/stats/export")
    rows = list(openpyxl.load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert any(r[0] == month and r[2] == 5 and r[3] == 3 and r[4] == 1 and r[5] == 1 for r in rows)
    assert (await (await as_user("liaison")).get("/admin/sms/stats")).status_code == 403


async def _month(account: int) -> dict:
    """This month's totals of one account, as the statistics service reports them."""
    data = await stats.sms_stats(SYSTEM, period="month", year=date.today().year, by="account", account_id=account)
    return next((p for p in data["periods"] if p["label"] == date.today().strftime("%Y-%m")), {"sent": 0})


async def _rollup(db) -> list[dict]:
    return await db.fetch("SELECT * FROM sms_daily_stat ORDER BY day, account, channel")


@pytest.mark.req("SMS-07")
async def test_stats_come_from_the_rollup_and_rerunning_it_changes_nothing(db, as_user):
    account = await make_account("统计账户")
    batch, ids = await make_batch(account, [("13600000001", "delivered"), ("13600000002", "failed"),
                                            ("13600000003", "queued")])
    client = await as_user("admin")
    before = await client.get(f"/admin/sms/stats?account={account}")
    assert "Figures have not been computed yet" in before.text and (await _month(account))["sent"] == 0

    await jobs.enqueue("sms.stats.rollup", {"days": stats.RECENT_DAYS})  # the scheduled job, as the worker runs it
    assert await jobs.drain() >= 1
    counted = await _month(account)
    assert (counted["sent"], counted["success"], counted["failure"], counted["pending"]) == (3, 1, 1, 1)
    assert counted["rate"] == 50.0
    page = await client.get(f"/admin/sms/stats?account={account}")
    assert "Figures are refreshed every 5 minutes (last refresh:" in page.text and "50.0%" in page.text
    billed = await db.fetchval("SELECT sum(billed) FROM sms_daily_stat WHERE account = $1", account)
    assert billed == 3  # one segment each, nothing refunded yet

    snapshot = await _rollup(db)
    await stats.refresh_daily_stats()
    assert await _rollup(db) == snapshot  # idempotent: same rows, same numbers
    await stats.refresh_daily_stats(stats.LATE_DAYS)
    assert await _rollup(db) == snapshot

    # The page reads only the rollup: messages gone from sms_message leave it unchanged until the next run.
    await db.execute("DELETE FROM sms_message WHERE batch = $1", batch)
    assert (await _month(account))["sent"] == 3
    assert "50.0%" in (await client.get(f"/admin/sms/stats?account={account}")).text
    await stats.refresh_daily_stats()
    assert (await _month(account))["sent"] == 0
    assert not await db.fetchval("SELECT count(*) FROM sms_daily_stat WHERE account = $1", account)


@pytest.mark.req("SMS-07")
async def test_rollup_backfills_history_then_recomputes_recent_days_and_late_reports_daily(db):
    account = await make_account("回填账户")
    old_batch, _ids = await make_batch(account, [("13700000001", "delivered"), ("13700000002", "delivered")])
    await db.execute("UPDATE sms_message SET created_at = now() - interval '400 days' WHERE batch = $1", old_batch)
    late_batch, late = await make_batch(account, [("13700000003", "submitted")])
    await db.execute("UPDATE sms_message SET created_at = now() - interval '10 days' WHERE batch = $1", late_batch)
    _new, new_ids = await make_batch(account, [("13700000004", "queued")])

    def per_day(rows):
        return {(r["day"] - date.today()).days: (r["sent"], r["success"], r["pending"], r["channel"]) for r in rows}

    async def mine():
        return per_day(await db.fetch("SELECT * FROM sms_daily_stat WHERE account = $1", account))

    await stats.refresh_daily_stats()  # first run: all history, not just the recent days
    assert await mine() == {-400: (2, 2, 0, 0), -10: (1, 0, 1, 0), 0: (1, 0, 1, 0)}

    # Today's queued message is dispatched on a channel and delivered; the 10-day-old one gets its late report.
    channel = await db.fetchval("SELECT id FROM sms_channel ORDER BY id LIMIT 1")
    await db.execute("UPDATE sms_message SET status = 'delivered', channel = $2 WHERE id = ANY($1::bigint[])",
                     [new_ids[0], late[0]], channel)
    await stats.refresh_daily_stats()  # the 5-minute run: only the last two days are recomputed
    assert await mine() == {-400: (2, 2, 0, 0), -10: (1, 0, 1, 0), 0: (1, 1, 0, channel)}  # no stale channel-0 row
    await stats.refresh_daily_stats(stats.LATE_DAYS)  # the daily run reaches the late report
    assert await mine() == {-400: (2, 2, 0, 0), -10: (1, 1, 0, channel), 0: (1, 1, 0, channel)}

    await db.execute("DELETE FROM sms_daily_stat")  # an emptied rollup is backfilled again
    await stats.refresh_daily_stats()
    assert await mine() == {-400: (2, 2, 0, 0), -10: (1, 1, 0, channel), 0: (1, 1, 0, channel)}
