"""Browser flows of the SMS console (SMS-02, SMS-03, SMS-05), with JS on and off: a scheduled send is
previewed, queued as scheduled and cancelled; a template is created and submitted by an operator,
approved by a reviewer and then offered on the send page; the failed numbers of a send are exported
(a real download) and resent as a new send."""
import re
from datetime import datetime, timedelta

import pytest

from e2e.helpers import BOTH, log_in, log_out, submit, zh
from tests.sms.console_helpers import hq_account, make_batch, make_operator


@pytest.mark.req("SMS-03")
@BOTH
async def test_scheduled_send_then_cancel(page, mode, db):
    account = await hq_account()
    await log_in(page, "admin", "Tongchuang2026")
    await page.goto("/admin/sms/send")
    await page.fill("#f-to", "13800138000\n13900139000")
    await page.fill("#f-text", "【同窗】校友返校日定时提醒")
    await page.check("input[name=when][value=later]")
    await page.fill("input[name=scheduled_at]", (datetime.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    await submit(page, "form.sms-send-form")
    await page.wait_for_selector(".sms-preview")
    assert zh("%(n)s numbers", n=2) in await page.locator(".sms-preview").inner_text()
    await submit(page, ".sms-preview form")
    await page.wait_for_url(re.compile(r"/admin/sms/batches/\d+$"))
    batch_id = int(page.url.rsplit("/", 1)[1])
    status = await db.fetchval("SELECT status FROM sms_batch WHERE id = $1 AND account = $2", batch_id, account)
    assert status == "scheduled"
    await page.goto("/admin/sms/batches")
    await page.click(f"a[href='/admin/sms/batches/{batch_id}/cancel']")
    await page.click("section.confirm button[type=submit]")
    await page.wait_for_url(re.compile(rf"/admin/sms/batches/{batch_id}$"))
    await page.wait_for_load_state("networkidle")
    assert await db.fetchval("SELECT status FROM sms_batch WHERE id = $1", batch_id) == "cancelled"
    assert await db.fetchval("SELECT count(*) FROM sms_message WHERE batch = $1 AND status = 'cancelled'",
                             batch_id) == 2


@pytest.mark.req("SMS-02")
@BOTH
async def test_template_review_then_selectable(page, mode, db):
    account = await hq_account()
    op = await make_operator(f"e2etpl{mode}")
    await db.execute("INSERT INTO sms_account_member (account, \"user\") VALUES ($1, $2)", account, op)
    await log_in(page, f"e2etpl{mode}", "Demo2026pass")
    await page.goto("/admin/sms/templates/new")
    await page.fill("#f-name", "毕业纪念日")
    await page.fill("#f-content", "{name}校友，毕业{years}周年快乐！")
    await submit(page, "form[action='/admin/sms/templates']")
    await page.wait_for_url(re.compile(r"/admin/sms/templates"))
    tpl = await db.fetchval("SELECT id FROM sms_template WHERE name = '毕业纪念日' AND status = 'pending'")
    assert tpl
    await log_out(page)
    await log_in(page, "hq", "Demo2026pass")
    await page.goto("/admin/sms/templates/review")
    await page.click(f"form[action='/admin/sms/templates/{tpl}/review'] button[value=approve]")
    await page.wait_for_load_state("networkidle")
    assert await db.fetchval("SELECT status FROM sms_template WHERE id = $1", tpl) == "approved"
    await log_out(page)
    await log_in(page, f"e2etpl{mode}", "Demo2026pass")
    await page.goto("/admin/sms/send")
    assert "毕业纪念日" in await page.locator("#f-template").inner_text()


@pytest.mark.req("SMS-05")
@BOTH
async def test_export_and_resend_failed(page, mode, db):
    account = await hq_account()
    batch, _ids = await make_batch(account, [("13800000101", "delivered"), ("13800000102", "failed"),
                                             ("13800000103", "failed")])
    await log_in(page, "admin", "Tongchuang2026")
    await page.goto(f"/admin/sms/records?batch={batch}")
    async with page.expect_download() as info:
        await page.click("a[href^='/admin/sms/records/failed-export']")
    download = await info.value
    assert download.suggested_filename.endswith(".xlsx")
    await page.click("a[href^='/admin/sms/records/resend']")
    await page.wait_for_selector("section.confirm")
    assert zh("Resend the %(n)s failed messages of this search as a new send? Their segments are charged again.",
              n=2) in await page.locator("section.confirm").inner_text()
    await page.click("section.confirm button[type=submit]")
    await page.wait_for_url(re.compile(r"/admin/sms/batches/\d+$"))
    new_batch = int(page.url.rsplit("/", 1)[1])
    assert new_batch != batch
    phones = [r["phone"] for r in await db.fetch("SELECT phone FROM sms_message WHERE batch = $1 ORDER BY phone",
                                                 new_batch)]
    assert phones == ["13800000102", "13800000103"]
