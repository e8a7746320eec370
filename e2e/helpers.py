"""Steps shared by browser tests, written as a user would act."""
import pytest

BOTH = pytest.mark.parametrize("mode", ["js", "nojs"])
ALL_WITH_PHONE = pytest.mark.parametrize("mode", ["js", "nojs", "phone"])


async def log_in(page, username: str, password: str, expect_ok: bool = True) -> None:
    await page.goto("/login")
    await page.fill("#f-username", username)
    await page.fill("#f-password", password)
    async with page.expect_response(lambda r: r.url.endswith("/login") and r.request.method == "POST"):
        await page.click("form[action='/login'] button[type=submit]")
    if expect_ok:
        await page.wait_for_selector("form[action='/logout']")
    else:
        await page.wait_for_selector(".form-errors")


async def log_out(page) -> None:
    await page.click("form[action='/logout'] button")
    await page.wait_for_selector("form[action='/login']")


async def submit(page, form_selector: str) -> None:
    """Press the form's primary submit button and wait for the next page to settle."""
    await page.click(f"{form_selector} button[type=submit].primary")
    await page.wait_for_load_state("networkidle")


def zh(message: str, **variables) -> str:
    """What the zh-CN browser shows for an English msgid (assert the user's text, not the source's)."""
    from app.core.i18n import translations

    text = translations("zh_CN").gettext(message)
    return text % variables if variables else text
