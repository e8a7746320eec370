"""Manual grant (MALL-04) seen by the alumnus (SUP-09, MALL-03): an admin grants points to a user with a
reason and confirms; the user opens their points page on a phone inside WeChat and sees the new balance
and the ledger line — with JavaScript on and off."""
import pytest

from e2e.conftest import MODES
from e2e.helpers import BOTH, log_in


@BOTH
@pytest.mark.req("MALL-04", "SUP-09", "MALL-03")
async def test_admin_grant_shows_on_the_users_phone(page, browser, live_server, db, mode):
    uid = await db.fetchval("SELECT id FROM app_user WHERE username = 'liaison'")
    before = await db.fetchval("SELECT coalesce((SELECT balance FROM pts_account WHERE user_id = $1), 0)", uid)
    reason = f"校友志愿服务奖励（{mode}）"

    # 1. the admin fills the grant form and previews
    await log_in(page, "admin", "Tongchuang2026")
    await page.goto("/admin/points/grant")
    await page.fill("#f-users", "liaison")
    await page.select_option("#f-mode", "grant")
    await page.fill("#f-amount", "88")
    await page.fill("#f-reason", reason)
    await page.click("form[action='/admin/points/grant/preview'] button[type=submit].primary")

    # 2. the confirmation page lists the user with balance before → after; confirm
    confirm = page.locator("form[action='/admin/points/grant/apply']")
    await confirm.wait_for()
    assert str(before + 88) in await page.locator(".confirm table").inner_text()
    await confirm.locator("button[type=submit]").click()
    await page.wait_for_url(f"**/admin/points/ledger/users/{uid}")
    await page.wait_for_selector(f"td:has-text('{reason}')")
    assert await db.fetchval("SELECT balance FROM pts_account WHERE user_id = $1", uid) == before + 88

    # 3. the alumnus on a phone in WeChat sees the new balance and the ledger line
    options = {**MODES["phone"], "java_script_enabled": mode == "js"}
    context = await browser.new_context(base_url=live_server, locale="zh-CN", **options)
    context.set_default_timeout(15000)
    try:
        phone = await context.new_page()
        await log_in(phone, "liaison", "Demo2026pass")
        await phone.goto("/h5/points")
        daily = await db.fetchval("SELECT coalesce(sum(delta), 0) FROM pts_ledger WHERE user_id = $1"
                                  " AND action = 'daily_login'", uid)  # the login task, when its rule is on
        balance = phone.locator(".pts-balance")
        assert await balance.get_attribute("data-balance") == str(before + 88 + daily)
        line = phone.locator(f".pts-history li:has-text('{reason}')")
        assert await line.count() == 1
        assert "+88" in await line.inner_text()
        assert await phone.locator(".pts-level img").count() == 1  # level icon
        width = await phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 375  # no sideways scrolling on the phone
    finally:
        await context.close()
