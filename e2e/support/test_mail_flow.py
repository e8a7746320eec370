"""Browser flow: forgotten password → mail through the real SMTP sink → dev mailbox → a forged link is
refused, the real one sets a new password → log in with it (SUP-02, SUP-07). JS on and off."""
import pytest

from app.core import i18n, jobs
from e2e.helpers import BOTH, log_in, log_out

NEW_PASSWORD = "Zongbu2026new"


def _zh(message: str) -> str:
    """The text as the (Chinese-default) browser sees it, whether or not the catalog translates it yet."""
    token = i18n.current_locale.set("zh_CN")
    try:
        return i18n.gettext(message)
    finally:
        i18n.current_locale.reset(token)


def _forged(link: str) -> str:
    """The same link with its last characters altered (several: base64's last one may carry only padding)."""
    tail = link[-4:]
    altered = "".join("A" if c != "A" else "B" for c in tail)
    return link[:-4] + altered


@pytest.mark.req("SUP-02")
@pytest.mark.req("SUP-07")
@BOTH
async def test_password_reset_mail_from_dev_mailbox(page, mode, db):
    await page.goto("/login")
    await page.click("a[href='/password/forgot']")
    await page.wait_for_selector("form[action='/password/forgot']")
    await page.fill("#f-email", "hq@tongchuang.local")
    await page.click("form[action='/password/forgot'] button[type=submit].primary")
    await page.wait_for_selector("form[action='/login']")
    assert await page.locator(".flash").count() == 1

    # The web server queued the mail; no worker runs in e2e, so send it from here (same database).
    await jobs.drain()
    assert await db.fetchval("SELECT status FROM delivery_log WHERE address = 'hq@tongchuang.local' "
                             "AND template_code = 'password_reset'") == "sent"

    await log_in(page, "admin", "Tongchuang2026")
    await page.goto("/admin/dev/mailbox")
    row = page.locator("table.data-table tbody tr", has_text="hq@tongchuang.local").first
    await row.locator("a").click()
    await page.wait_for_url("**/admin/dev/mailbox/*")
    body = await page.locator("pre.mail-body").inner_text()
    assert "hq@tongchuang.local" in await page.locator(".mail-headers").inner_text()
    link = await page.locator("pre.mail-body a").first.get_attribute("href")
    assert "/password/reset/" in link and link in body
    await log_out(page)

    refused = await page.goto(_forged(link))
    assert refused.status == 400
    assert _zh("This reset link is not valid. It may have been used already or altered.") in \
        await page.locator(".flash-error").inner_text()
    assert await page.locator("#f-password").count() == 0

    await page.goto(link)
    await page.fill("#f-password", NEW_PASSWORD)
    await page.fill("#f-password2", NEW_PASSWORD)
    await page.click("form[action^='/password/reset/'] button[type=submit].primary")
    await page.wait_for_selector("form[action='/login']")
    await log_in(page, "hq", NEW_PASSWORD)
    assert "/admin" in page.url

    await log_out(page)  # the link was single-use: it is refused now
    used = await page.goto(link)
    assert used.status == 400
