"""A new alumnus on a phone inside WeChat (SUP-02, NFR-02): registers, lands on the H5 home (not a 403),
taps through to the points mall and to their orders; typing /admin brings them back home."""
import pytest

from e2e.helpers import zh


@pytest.mark.req("SUP-02")
@pytest.mark.req("NFR-02")
async def test_new_alumnus_registers_and_reaches_the_mall(phone, db):
    page = phone
    await page.goto("/register")
    await page.fill("#f-username", f"phone_{page.mode}")
    await page.fill("#f-name", "手机校友")
    await page.fill("#f-email", f"phone_{page.mode}@example.cn")
    await page.fill("#f-password", "abc12345xyz")
    await page.click("form[action='/register'] button[type=submit]")
    await page.wait_for_selector("#h5-shortcuts")
    assert page.url.endswith("/h5")
    assert "手机校友" in await page.inner_text("main")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375

    await page.click("#h5-shortcuts a[href='/h5/mall']")
    await page.wait_for_url("**/h5/mall")
    assert zh("Points mall") in await page.title() or zh("Points mall") in await page.content()
    await page.goto("/h5")
    await page.click("#h5-shortcuts a[href='/h5/mall/orders']")
    await page.wait_for_url("**/h5/mall/orders")

    await page.goto("/admin")
    await page.wait_for_selector("#h5-shortcuts")
    assert page.url.endswith("/h5")
