"""Alumni on a phone inside WeChat (NFR-02): log in and open "my account" in the H5 shell."""
import pytest

from e2e.helpers import ALL_WITH_PHONE


@pytest.mark.req("NFR-02")
@ALL_WITH_PHONE
async def test_alumnus_opens_my_account_on_phone(page, mode, db, idp):
    from app.core import notify

    user_id = await db.fetchval("SELECT id FROM app_user WHERE username = 'liaison'")
    await notify.notify([user_id], "generic", {"title": "返校日通知", "body": "欢迎回家"})
    await page.goto("/h5")
    if mode == "phone":  # inside WeChat: to WeChat's authorisation; the password form stays one link away
        assert page.url.startswith(idp + "/connect/oauth2/authorize")
        await page.goto("/login?password=1&next=/h5")
    assert "/login" in page.url
    await page.fill("#f-username", "liaison")
    await page.fill("#f-password", "Demo2026pass")
    await page.click("form[action='/login'] button[type=submit]")
    await page.wait_for_selector(".h5-list")
    assert "/h5" in page.url
    assert "返校日通知" in await page.locator(".h5-list").inner_text()
    assert await page.locator("meta[property='og:title']").count() == 1
    if mode == "phone":
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, "the H5 page must not scroll sideways on a phone"
        assert await page.locator(".h5-bar").is_hidden()  # WeChat shows its own title bar
