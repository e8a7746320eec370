"""IM-01, IM-02 in a real browser on WeChat phones: one person sends a photo from the chat form (multipart, with
JS through htmx, without JS as a plain form) and the other sees it — with JS without reloading (SSE), without JS
after the refresh link — opens it, and finds it on the group's files page."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from app.im import conversations
from e2e.conftest import MODES
from e2e.helpers import log_in
from tests.im.helpers import actor_of


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 140, 90)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.req("IM-01", "IM-02")
async def test_a_photo_sent_in_a_group_reaches_the_other_member(phone, browser, live_server, db):
    js = phone.mode == "js"
    me, hq = await actor_of("alumnus"), await actor_of("hq")
    chat_url = f"/h5/im/c/{await conversations.create_group(me, '返校筹备', [hq.id])}"
    await log_in(phone, "alumnus", "Demo2026pass")
    await phone.goto(chat_url)
    await phone.wait_for_selector("#im-send")

    ctx = await browser.new_context(base_url=live_server, locale="zh-CN",
                                    **{**MODES["phone"], "java_script_enabled": js})
    other = await ctx.new_page()
    try:
        await log_in(other, "hq", "Demo2026pass")
        await other.goto(chat_url)
        await other.wait_for_selector("#im-send")

        await phone.fill("#im-body", "合影来了")
        await phone.set_input_files("#im-file", files=[{"name": "合影.png", "mimeType": "image/png",
                                                        "buffer": png()}])
        await phone.click("#im-send button[type=submit]")
        await phone.locator("#im-messages img.im-image[alt='合影.png']").wait_for()
        if js:  # arrives by itself, the text first, then the picture
            await other.locator("#im-messages img.im-image[alt='合影.png']").wait_for(timeout=5000)
        else:
            await other.click("#im-refresh-link")
            await other.locator("#im-messages img.im-image[alt='合影.png']").wait_for()
        assert "合影来了" in await other.inner_text("#im-messages")
        loaded = await other.locator("#im-messages img.im-image").evaluate("img => img.naturalWidth")
        assert loaded == 40  # the picture itself was served to the other member

        await other.goto(chat_url + "/info")
        await other.click("#im-group-files")
        await other.locator("#im-files li.im-file-row", has_text="合影.png").wait_for()
        assert await db.fetchval("SELECT count(*) FROM im_message WHERE kind = 'image'") == 1
    finally:
        await ctx.close()
