"""OPS-01 in a real browser, JavaScript on and off: an admin writes a campaign to an association, sees the count
and the masked sample, confirms, and watches the delivery report (htmx refreshes it; without JS the refresh link);
the alumnus opens the unsubscribe link of the email on a WeChat phone and confirms."""
from __future__ import annotations

import re

import pytest

from app.core import jobs
from app.ops import campaigns
from app.support.seed import DEMO_ADMIN_PASSWORD
from e2e.conftest import MODES
from e2e.helpers import BOTH, log_in
from tests.orgs.factories import add_member, make_org, make_user


@pytest.mark.req("OPS-01")
@BOTH
async def test_admin_sends_to_an_org_and_the_alumnus_unsubscribes(page, browser, live_server, db, mode):
    org = await make_org(f"e2e-camp-{mode}", f"群发校友会{mode}")
    _username, uid = await make_user(f"群发校友{mode}")
    await add_member(org, uid)
    email = await db.fetchval("SELECT email FROM app_user WHERE id = $1", uid)

    await log_in(page, "admin", DEMO_ADMIN_PASSWORD)
    await page.goto("/admin/ops/campaigns")
    await page.click("a[href='/admin/ops/campaigns/new']")
    await page.wait_for_selector("#f-title")
    await page.fill("#f-title", f"返校日群发{mode}")
    await page.check("input[name=channels][value=email]")
    await page.fill("#f-subject", "{{ name }}，返校日见")
    await page.fill("#f-body", "亲爱的 {{ name }}：欢迎回母校。")
    await page.select_option("#f-audience", "org")
    await page.select_option("#f-org", str(org))
    await page.click("form.campaign-form button[type=submit].primary")
    await page.wait_for_selector("#people-count")
    assert (await page.locator("#people-count").inner_text()).strip() == "1"
    assert (await page.locator("#message-count").inner_text()).strip() == "2"
    assert "群" in await page.locator("table.sample").inner_text() and "*" in await page.locator(
        "table.sample").inner_text()
    await page.click("#confirm-send")
    await page.wait_for_selector("#campaign-status")
    campaign_id = int(re.search(r"/admin/ops/campaigns/(\d+)", page.url).group(1))

    await campaigns.run_tick(campaign_id=campaign_id)  # the worker's minute tick, then the email job
    await jobs.drain()
    if mode == "nojs":
        await page.click("#report a.refresh")
    await page.wait_for_selector("tr[data-channel=email] td.delivered:text-is('1')", timeout=20000)

    mail = await db.fetchrow("SELECT body FROM dev_mail WHERE rcpt LIKE $1 ORDER BY id DESC", f"%{email}%")
    assert mail is not None and "亲爱的 群发校友" in mail["body"]
    link = re.search(r"https?://\S+/h5/unsubscribe/\S+", mail["body"]).group(0)
    path = link[link.index("/h5/"):]
    phone_ctx = await browser.new_context(base_url=live_server, locale="zh-CN",
                                          **{**MODES["phone"], "java_script_enabled": mode == "js"})
    try:
        phone = await phone_ctx.new_page()
        await phone.goto(path)
        await phone.wait_for_selector("#confirm-unsubscribe")
        await phone.click("#confirm-unsubscribe")
        await phone.wait_for_selector(".unsubscribe .ok")
    finally:
        await phone_ctx.close()
    assert await db.fetchval("SELECT count(*) FROM ops_unsubscription WHERE user_id = $1", uid) == 1
