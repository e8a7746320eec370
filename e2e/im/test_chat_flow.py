"""IM-01, IM-03, IM-04 in a real browser on WeChat phones: two people chat — with JS each sees the other's message
arrive without reloading (SSE through the htmx extension) and a recall replace it; without JS the same
conversation works as a plain form plus the refresh link."""
from __future__ import annotations

import pytest

from e2e.conftest import MODES
from e2e.helpers import log_in


async def _send(page, text: str) -> None:
    await page.fill("#im-body", text)
    await page.click("#im-send button[type=submit]")


@pytest.mark.req("IM-01", "IM-03", "IM-04")
async def test_two_people_chat_in_real_time_and_recall(phone, browser, live_server, db):
    js = phone.mode == "js"
    await log_in(phone, "alumnus", "Demo2026pass")
    await phone.goto("/h5/im")
    await phone.fill("#im-user", "hq")
    await phone.click("#im-new button[type=submit]")
    await phone.wait_for_selector("#im-send")
    chat_url = phone.url.split("#")[0]

    ctx = await browser.new_context(base_url=live_server, locale="zh-CN",
                                    **{**MODES["phone"], "java_script_enabled": js})
    other = await ctx.new_page()
    try:
        await log_in(other, "hq", "Demo2026pass")
        await other.goto(chat_url.replace(live_server, ""))
        await other.wait_for_selector("#im-none")

        await _send(phone, "学长好，周末返校吗？")
        mine = phone.locator("#im-messages li.im-msg", has_text="学长好，周末返校吗？")
        await mine.wait_for()
        if js:  # arrives by itself
            await other.locator("#im-messages li.im-msg", has_text="学长好").wait_for(timeout=5000)
            assert await other.locator("#im-none").count() == 0
        else:  # the refresh link shows the same history
            await other.click("#im-refresh-link")
            await other.locator("#im-messages li.im-msg", has_text="学长好").wait_for()

        await _send(other, "回，带上校友卡")
        if js:
            await phone.locator("#im-messages li.im-msg", has_text="带上校友卡").wait_for(timeout=5000)
        else:
            await phone.click("#im-refresh-link")
            await phone.locator("#im-messages li.im-msg", has_text="带上校友卡").wait_for()
        assert await phone.locator("#im-messages li.im-msg").count() == 2  # nothing twice

        # recall inside the window: the other side's copy turns into "recalled"
        await mine.locator(".im-recall button").click()
        if js:
            await other.locator("#im-messages li.recalled").wait_for(timeout=5000)
        else:
            await phone.wait_for_selector("#im-messages li.recalled")
            await other.click("#im-refresh-link")
            await other.wait_for_selector("#im-messages li.recalled")
        assert "学长好，周末返校吗？" not in await other.inner_text("#im-messages")
        message = await db.fetchval("SELECT id FROM im_message WHERE body = '回，带上校友卡'")
        await db.execute("UPDATE im_message SET created_at = now() - interval '5 minutes' WHERE id = $1", message)
        # after the window the sender's recall is refused with a message (the button shows only for own ones)
        await other.goto(chat_url.replace(live_server, ""))
        await other.locator(f"#m-{message} .im-recall button").click()
        await other.wait_for_timeout(500)
        assert await db.fetchval("SELECT recalled_at FROM im_message WHERE id = $1", message) is None
    finally:
        await ctx.close()
