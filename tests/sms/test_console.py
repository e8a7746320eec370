"""Console send (SMS-03): form → preview (segments, cost vs balance) → send; scheduled sends listed and
cancelled (refunded); validation messages keep what was typed; permission and account scope."""
from datetime import datetime, timedelta

import pytest

from app.sms import billing
from tests.helpers import csrf_from
from tests.sms.console_helpers import hq_account, make_account, make_operator


async def _post(client, url: str, data: dict):
    page = await client.get("/admin/sms/send")
    return await client.post(url, data={**data, "_csrf_token": csrf_from(page.text)})


@pytest.mark.req("SMS-03")
async def test_send_now_preview_then_queue(db, as_user):
    client = await as_user("admin")
    account = await hq_account()
    before = await billing.balance(account)
    form = await client.get("/admin/sms/send")
    assert form.status_code == 200 and "同窗大学校友总会" in form.text and 'name="scheduled_at"' in form.text
    data = {"account": str(account), "to": "13800138000, 13900139000\n12345", "mode": "text",
            "text": "【同窗】校庆活动通知", "when": "now"}
    preview = await _post(client, "/admin/sms/send/preview", data)
    assert preview.status_code == 200
    assert "2 numbers" in preview.text and "1 refused" in preview.text and "Not a valid mobile number" in preview.text
    assert "2 messages (balance" in preview.text and "Send now" in preview.text
    sent = await _post(client, "/admin/sms/send", data)
    assert sent.status_code == 303 and sent.headers["location"].startswith("/admin/sms/batches/")
    batch_id = int(sent.headers["location"].rsplit("/", 1)[1])
    rows = await db.fetch("SELECT phone, status FROM sms_message WHERE batch = $1 ORDER BY phone", batch_id)
    assert [(r["phone"], r["status"]) for r in rows] == [("13800138000", "queued"), ("13900139000", "queued")]
    assert await billing.balance(account) == before - 2
    detail = await client.get(sent.headers["location"])
    assert "校庆活动通知" in detail.text and "12345" in detail.text


@pytest.mark.req("SMS-03")
async def test_scheduled_send_listed_and_cancelled_with_refund(db, as_user):
    client = await as_user("admin")
    account = await hq_account()
    before = await billing.balance(account)
    when = (datetime.now() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    data = {"account": str(account), "to": "13800138001", "mode": "template",
            "template": str(await db.fetchval("SELECT id FROM sms_template WHERE name = '活动通知'")),
            "params": "name=张三\nevent=校庆\ndate=5月1日", "when": "later", "scheduled_at": when}
    preview = await _post(client, "/admin/sms/send/preview", data)
    assert preview.status_code == 200 and "张三校友您好，校庆将于5月1日举行" in preview.text
    assert "Schedule the send" in preview.text
    sent = await _post(client, "/admin/sms/send", data)
    assert sent.status_code == 303
    batch_id = int(sent.headers["location"].rsplit("/", 1)[1])
    assert await db.fetchval("SELECT status FROM sms_batch WHERE id = $1", batch_id) == "scheduled"
    listing = await client.get("/admin/sms/batches")
    assert f"/admin/sms/batches/{batch_id}/cancel" in listing.text
    confirm = await client.get(f"/admin/sms/batches/{batch_id}/cancel")
    assert confirm.status_code == 200 and "refunded" in confirm.text
    done = await client.post(f"/admin/sms/batches/{batch_id}/cancel", data={"_csrf_token": csrf_from(confirm.text)})
    assert done.status_code == 303
    assert await db.fetchval("SELECT status FROM sms_message WHERE batch = $1", batch_id) == "cancelled"
    assert await billing.balance(account) == before


@pytest.mark.req("SMS-03")
async def test_validation_keeps_input(db, as_user):
    client = await as_user("admin")
    past = (datetime.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    bad = await _post(client, "/admin/sms/send/preview", {"to": "13800138000", "mode": "text", "text": "你好",
                                                          "when": "later", "scheduled_at": past})
    assert bad.status_code == 422 and "The scheduled time must be in the future." in bad.text
    assert "13800138000" in bad.text
    empty = await _post(client, "/admin/sms/send/preview", {"to": "", "mode": "text", "text": "你好", "when": "now"})
    assert empty.status_code == 422 and "Enter at least one mobile number or choose a group." in empty.text
    no_text = await _post(client, "/admin/sms/send/preview", {"to": "13800138000", "mode": "text", "text": "",
                                                              "when": "now"})
    assert no_text.status_code == 422 and "Enter the message text." in no_text.text
    blocked = await _post(client, "/admin/sms/send/preview", {"to": "13800138000", "mode": "text",
                                                              "text": "代开发票", "when": "now"})
    assert blocked.status_code == 422 and "blocked word" in blocked.text
    counter = await client.get("/admin/sms/segments?text=" + "a" * 161)
    assert "161 characters · 2 messages (GSM-7)" in counter.text


@pytest.mark.req("SMS-03")
async def test_operator_only_sees_own_account_and_sub_accounts(db, as_user):
    op = await make_operator("smsop1")
    tenant = await make_account("计算机学院短信", balance=10, members=((op, "admin"),))
    sub = await make_account("2008级分账户", parent=tenant, balance=5)
    other = await make_account("别的账户", balance=5)
    client = await as_user("smsop1")
    form = await client.get("/admin/sms/send")
    assert "计算机学院短信" in form.text and "2008级分账户" in form.text and "别的账户" not in form.text
    refused = await _post(client, "/admin/sms/send/preview", {"account": str(other), "to": "13800138000",
                                                              "mode": "text", "text": "hi", "when": "now"})
    # an account outside the scope falls back to the operator's own account, never the foreign one
    assert "别的账户" not in refused.text
    short = await _post(client, "/admin/sms/send/preview", {"account": str(sub), "to": "\n".join(
        f"1380013{i:04d}" for i in range(6)), "mode": "text", "text": "hi", "when": "now"})
    assert "The balance is too low for this send." in short.text
    liaison = await as_user("liaison")
    assert (await liaison.get("/admin/sms/send")).status_code == 403
