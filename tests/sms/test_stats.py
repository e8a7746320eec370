"""Balance (SMS-06) and statistics (SMS-07) pages: balances in scope, top-up with permission, ledger and
monthly totals, alert threshold; monthly/yearly success rates with charts and an xlsx export."""
import io
from datetime import date

import openpyxl
import pytest

from app.sms import billing
from tests.helpers import csrf_from
from tests.sms.console_helpers import hq_account, make_account, make_batch, make_operator


@pytest.mark.req("SMS-06")
async def test_balance_topup_ledger_and_threshold(db, as_user):
    account = await hq_account()
    before = await billing.balance(account)
    client = await as_user("admin")
    page = await client.get(f"/admin/sms/balance?account={account}")
    assert page.status_code == 200 and "{:,}".format(before) in page.text and "Monthly totals" in page.text
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
