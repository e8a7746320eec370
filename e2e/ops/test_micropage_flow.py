"""OPS-06 in a real browser, JavaScript on and off: an admin builds a micro-page (text, button, image) with the block
editor — without JS as plain block forms, with JS through htmx re-rendering the block list in place — publishes it,
and an alumnus on a WeChat phone opens the page from its link."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from app.support.seed import DEMO_ADMIN_PASSWORD
from e2e.conftest import MODES
from e2e.helpers import BOTH, log_in


async def _add_block(page, kind: str, values: dict, files: dict | None = None) -> None:
    before = await page.locator("#blocks .mp-block").count()
    await page.select_option("#f-new_kind", kind)
    if page.mode == "js":  # ops-pages.js shows only the chosen kind's fields
        await page.locator(f".mp-kind[data-kind='{kind}']").wait_for(state="visible")
        if kind != "form":  # the script hides the other kinds (wait: under load it may run a moment later)
            await page.locator(".mp-kind[data-kind='form']").wait_for(state="hidden")
    for selector, value in values.items():
        await page.fill(selector, value)
    for selector, path in (files or {}).items():
        await page.set_input_files(selector, path)
    await page.click("form.mp-add button[type=submit]")
    await page.wait_for_load_state("networkidle")
    await page.locator("#blocks .mp-block").nth(before).wait_for()


@pytest.mark.req("OPS-06")
@BOTH
async def test_admin_builds_and_publishes_a_page_an_alumnus_opens_it(page, browser, live_server, db, mode,
                                                                   tmp_path):
    picture = tmp_path / "gate.png"
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (20, 90, 160)).save(buffer, "PNG")
    picture.write_bytes(buffer.getvalue())
    slug = f"e2e-greeting-{mode}"

    await log_in(page, "admin", DEMO_ADMIN_PASSWORD)
    await page.goto("/admin/ops/pages")
    await page.fill("#f-title", f"校庆贺卡{mode}")
    await page.fill("#f-slug", slug)
    await page.fill("#f-share_title", "母校生日快乐")
    await page.click("form[action='/admin/ops/pages'] button[type=submit].primary")
    await page.wait_for_selector("form.mp-add")
    editor_url = page.url

    await _add_block(page, "text", {"#f-new_html": "<p>母校一百二十周年生日快乐</p>"})
    # a javascript: link is refused with its message, and what was typed stays
    await page.select_option("#f-new_kind", "button")
    await page.fill("#f-new_label", "回校报名")
    await page.fill("#f-new_url", "javascript:alert(1)")
    await page.click("form.mp-add button[type=submit]")
    await page.wait_for_selector("#f-new_url-err")
    assert await page.locator("#f-new_label").input_value() == "回校报名"
    await page.fill("#f-new_url", "/h5/events")
    await page.click("form.mp-add button[type=submit]")
    await page.wait_for_load_state("networkidle")
    await page.locator("#blocks .mp-block").nth(1).wait_for()
    await _add_block(page, "image", {"#f-new_alt": "校门"}, {"#f-new_image": str(picture)})
    assert await page.locator("#blocks .mp-block").count() == 3
    if mode == "js":
        assert page.url == editor_url  # the list was re-rendered in place
    # the button goes first
    await page.locator("#blocks .mp-block").nth(1).locator("form[action$='/up'] button").click()
    await page.wait_for_load_state("networkidle")
    await page.locator("#blocks .mp-block").first.locator("input[name$='_label']").wait_for()
    await page.click("form[action$='/publish'] button")
    await page.wait_for_selector("form[action$='/unpublish']")

    options = {**MODES["phone"], "java_script_enabled": mode == "js"}
    context = await browser.new_context(base_url=live_server, locale="zh-CN", **options)
    try:
        phone = await context.new_page()
        response = await phone.goto(f"/h5/p/{slug}")
        assert response.status == 200
        await phone.wait_for_selector("text=母校一百二十周年生日快乐")
        assert await phone.locator("meta[property='og:title']").get_attribute("content") == "母校生日快乐"
        buttons = phone.locator("a.mp-button")
        assert await buttons.inner_text() == "回校报名"
        order = await phone.locator("article.mp-page > *").evaluate_all("els => els.map(e => e.className)")
        assert order[0].endswith("mp-button")  # moved up to the top
        image = phone.locator("article.mp-page img[alt='校门']")
        assert await image.evaluate("img => img.complete && img.naturalWidth") == 60
        assert "alert(1)" not in await phone.content()
    finally:
        await context.close()
