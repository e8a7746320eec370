"""CLS-01, CLS-03, CLS-04, CLS-06 in a real browser on a WeChat phone, JS on and off: a class generated from the
records (a new classmate's record joins him to the roster), the classmate posts a story (pre-moderated), the
class liaison approves it on his phone, and after the cohesion job the class's score on the public ranking rose."""
from __future__ import annotations

import pytest

from e2e.identity.test_identity_flows import password_login
from tests.classes import factories


async def score_on_ranking(page, class_id: int) -> float:
    await page.goto("/h5/classes/ranking?top=100")
    row = page.locator(f"#ranking tr:has(a[href='/h5/classes/{class_id}/cohesion'])")
    return float((await row.locator("td.s").inner_text()).strip())


@pytest.mark.req("CLS-01")
@pytest.mark.req("CLS-04")
@pytest.mark.req("CLS-06")
async def test_a_classmate_posts_a_story_the_liaison_approves_it_and_the_class_rises(phone, browser, live_server,
                                                                                    db):
    from app.classes import cohesion
    from e2e.conftest import MODES

    node = await factories.org_id("CS-2008-1")
    mate = await factories.make_user("e2e_mate", "钱同学", phone="13800008888", email="mate@example.cn")
    await factories.make_person("钱同学", node=node, entry_year=2008, user=mate)
    await factories.generate()  # the records' class → the class space, the linked classmate on its roster
    class_id = await factories.liaison_class()
    assert await db.fetchval('SELECT status FROM classes_member WHERE class_id = $1 AND "user" = $2',
                             class_id, mate) == "active"
    await cohesion.compute()
    before = await score_on_ranking(phone, class_id)

    await password_login(phone, "e2e_mate", next_url=f"/h5/classes/{class_id}/stories/new")
    await phone.fill("#f-title", "毕业十五年再聚首")
    await phone.fill("#f-body", "今年十月，我们班二十多位同学回到母校，在老教学楼前重拍了毕业照。")
    async with phone.expect_response(lambda r: r.url.endswith(f"/h5/classes/{class_id}/stories")
                                     and r.request.method == "POST"):
        await phone.click(f"form[action='/h5/classes/{class_id}/stories'] button[type=submit]")
    await phone.wait_for_load_state("networkidle")
    story = await db.fetchrow("SELECT id, status FROM cnt_post WHERE kind = 'story' AND author = $1", mate)
    assert story["status"] == "pending"  # class stories are moderated by default

    options = {**MODES["phone"], "java_script_enabled": phone.mode == "js"}
    liaison_ctx = await browser.new_context(base_url=live_server, locale="zh-CN", **options)
    liaison = await liaison_ctx.new_page()
    try:
        await password_login(liaison, "liaison", next_url=f"/h5/classes/{class_id}/manage")
        approve = f"form[action='/h5/classes/{class_id}/moderation/post/{story['id']}/approve']"
        await liaison.wait_for_selector(approve)
        async with liaison.expect_response(lambda r: r.url.endswith("/approve") and r.request.method == "POST"):
            await liaison.click(f"{approve} button")
        await liaison.wait_for_load_state("networkidle")
    finally:
        await liaison_ctx.close()
    assert await db.fetchval("SELECT status FROM cnt_post WHERE id = $1", story["id"]) == "published"

    await phone.goto(f"/h5/classes/{class_id}/stories")
    assert "毕业十五年再聚首" in await phone.content()
    await cohesion.compute()
    assert await score_on_ranking(phone, class_id) > before
