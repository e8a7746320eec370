"""Browser flows: log in/out, lockout after failures, language switch (SUP-02, SUP-12, NFR-03)."""
import pytest

from e2e.helpers import BOTH, log_in, log_out


@pytest.mark.req("SUP-02")
@BOTH
async def test_log_in_and_out(page, mode):
    await page.goto("/admin/users")
    assert "/login" in page.url  # not logged in: sent to login, keeping where we wanted to go
    await page.fill("#f-username", "admin")
    await page.fill("#f-password", "Tongchuang2026")
    await page.click("form[action='/login'] button[type=submit]")
    await page.wait_for_selector("form[action='/logout']")
    assert "/admin/users" in page.url
    assert await page.locator("table.data-table tbody tr").count() > 0
    await log_out(page)
    await page.goto("/admin")
    assert "/login" in page.url


@pytest.mark.req("SUP-12")
@BOTH
async def test_lockout_after_repeated_failures(page, mode):
    for _ in range(5):
        await log_in(page, "em_admin", "wrong-password", expect_ok=False)
        assert await page.locator(".form-errors").count() == 1
    await log_in(page, "em_admin", "Demo2026pass", expect_ok=False)
    text = await page.locator(".form-errors").inner_text()
    assert "15" in text or "blocked" in text.lower() or "锁定" in text
    assert await page.locator("form[action='/logout']").count() == 0


@pytest.mark.req("NFR-03")
@BOTH
async def test_language_switch_to_english_and_back(page, mode):
    await page.goto("/login")
    assert await page.locator("html").get_attribute("lang") == "zh-CN"
    assert "登录" in await page.locator("h1").inner_text()
    await page.select_option("#lang-select", "en")
    if mode == "nojs":
        await page.click(".lang-switch button")
    await page.wait_for_selector("html[lang='en']")
    assert await page.locator("html").get_attribute("lang") == "en"
    assert "Log in" in await page.locator("h1").inner_text()
    await page.select_option("#lang-select", "zh_CN")
    if mode == "nojs":
        await page.click(".lang-switch button")
    await page.wait_for_selector("html[lang='zh-CN']")
    assert await page.locator("html").get_attribute("lang") == "zh-CN"
    assert "登录" in await page.locator("h1").inner_text()
