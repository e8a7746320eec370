"""Micro-pages (OPS-06) and sending their link by SMS (SMS-12): block validation (a javascript: button and an SVG
disguised as a PNG refused), ordering, publishing (the public page) and unpublishing (404), sanitised text, the
embedded survey counting an answer, the button on the alumni home, the admin pages without and with htmx, the
permission guard, and the console send delivering the page's link."""
import io
import re
from urllib.parse import urlencode

import pytest
from PIL import Image

from app.core.audit import SYSTEM, Actor
from app.core.forms import Invalid
from app.core.urls import absolute
from app.ops import custom_forms, micropages, page_links, surveys
from tests.helpers import csrf_from, login
from tests.ops.factories import PASSWORD, make_user
from tests.sms.conftest import channel, dispatcher, sim, statuses, wait_for  # noqa: F401

SVG_AS_PNG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9" height="9"/></svg>'
WECHAT = {"user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
                        "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI"}


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


async def _page(slug: str = "", **values) -> int:
    return await micropages.create_page(SYSTEM, {"title": "新春贺卡", "slug": slug, **values})


async def _open_survey(public: bool = True) -> int:
    survey_id = await surveys.create(SYSTEM, {"title": "返校意向调查", "public": public})
    form_id = (await surveys.get(survey_id))["form"]
    await custom_forms.add_question(SYSTEM, form_id, {"label": "您会返校吗", "key": "come", "kind": "choice",
                                                      "options": "会\n不会", "required": True})
    await surveys.set_status(SYSTEM, survey_id, "open")
    return survey_id


@pytest.mark.req("OPS-06")
async def test_block_validation_sanitising_and_order(db):
    page_id = await _page("spring-2027")
    with pytest.raises(Invalid) as bad_url:
        await micropages.add_block(SYSTEM, page_id, "button", {"label": "点我", "url": "javascript:alert(1)"})
    assert bad_url.value.field == "url" and "http://" in bad_url.value.message
    with pytest.raises(Invalid) as spaced:
        await micropages.add_block(SYSTEM, page_id, "button", {"label": "点我", "url": " JavaScript:alert(1)"})
    assert spaced.value.field == "url"
    with pytest.raises(Invalid) as svg:
        await micropages.add_block(SYSTEM, page_id, "image", {"alt": "贺图"}, ("card.png", SVG_AS_PNG))
    assert svg.value.field == "image" and "does not match" in svg.value.message
    with pytest.raises(Invalid) as no_alt:
        await micropages.add_block(SYSTEM, page_id, "image", {"alt": ""}, ("card.png", png()))
    assert no_alt.value.field == "alt"
    with pytest.raises(Invalid) as fake_video:
        await micropages.add_block(SYSTEM, page_id, "video", {}, ("clip.mp4", b"MZ" + b"\0" * 64))
    assert fake_video.value.field == "video"
    with pytest.raises(Invalid) as http_video:
        await micropages.add_block(SYSTEM, page_id, "video", {"video_url": "http://v.example.com/a.mp4"})
    assert http_video.value.field == "video_url"
    with pytest.raises(Invalid) as closed_form:
        await micropages.add_block(SYSTEM, page_id, "form", {"survey": "999999"})
    assert closed_form.value.field == "survey"
    assert await micropages.blocks(page_id) == []  # nothing stored by the refused ones

    text = await micropages.add_block(SYSTEM, page_id, "text", {
        "html": "<p>新年快乐<script>alert(1)</script><a href=\"javascript:alert(2)\">x</a></p>"})
    image = await micropages.add_block(SYSTEM, page_id, "image", {"alt": "贺图"}, ("card.png", png()))
    button = await micropages.add_block(SYSTEM, page_id, "button", {"label": "报名返校", "url": "/h5/events"})
    video = await micropages.add_block(SYSTEM, page_id, "video", {}, ("clip.mp4", b"\0\0\0\x18ftypmp42" + b"\0" * 64))
    stored = {b["id"]: b for b in await micropages.blocks(page_id)}
    assert "<script" not in stored[text]["data"]["html"] and "javascript:" not in stored[text]["data"]["html"]
    assert "新年快乐" in stored[text]["data"]["html"]
    assert stored[video]["data"]["key"].endswith(".mp4")

    async def order():
        return [b["id"] for b in await micropages.blocks(page_id)]

    assert await order() == [text, image, button, video]
    await micropages.move_block(SYSTEM, page_id, button, -1)
    assert await order() == [text, button, image, video]
    await micropages.move_block(SYSTEM, page_id, text, -1)  # already first: unchanged
    await micropages.move_block(SYSTEM, page_id, text, 1)
    assert await order() == [button, text, image, video]
    await micropages.delete_block(SYSTEM, page_id, image)
    assert await order() == [button, text, video]
    actions = {(r["entity"], r["action"]) for r in await db.fetch(
        "SELECT entity, action FROM audit_log WHERE entity LIKE 'ops_page%'")}
    assert {("ops_page", "create"), ("ops_page_block", "create"), ("ops_page", "reorder"),
            ("ops_page_block", "delete")} <= actions
    with pytest.raises(micropages.access.NotAllowed):
        await micropages.add_block(Actor(None, "anonymous"), page_id, "text", {"html": "<p>x</p>"})


@pytest.mark.req("OPS-06")
async def test_publish_makes_page_public_and_unpublish_hides_it(db, client, as_user):
    page_id = await _page("alumni-day", share_title="校友日邀请", share_summary="欢迎回家")
    await micropages.add_block(SYSTEM, page_id, "text", {"html": "<p>欢迎<script>alert(1)</script>回家</p>"})
    await micropages.add_block(SYSTEM, page_id, "image", {"alt": "校门"}, ("gate.png", png()))
    image_id = (await micropages.blocks(page_id))[1]["id"]
    assert (await client.get("/h5/p/alumni-day", headers=WECHAT)).status_code == 404  # a draft
    admin = await as_user("admin")
    preview = await admin.get("/h5/p/alumni-day")
    assert preview.status_code == 200 and "Preview" in preview.text
    await micropages.set_status(SYSTEM, page_id, "published")
    client.cookies.clear()
    public = await client.get("/h5/p/alumni-day", headers=WECHAT)
    assert public.status_code == 200 and "欢迎" in public.text and "回家" in public.text
    assert "alert(1)" not in public.text and "<script>alert" not in public.text
    assert '<meta property="og:title" content="校友日邀请">' in public.text
    assert '<meta property="og:description" content="欢迎回家">' in public.text
    assert f'/h5/p/alumni-day/media/{image_id}" alt="校门"' in public.text and "Preview" not in public.text
    picture = await client.get(f"/h5/p/alumni-day/media/{image_id}")
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    part = await client.get(f"/h5/p/alumni-day/media/{image_id}", headers={"range": "bytes=0-7"})
    assert part.status_code == 206 and part.content == b"\x89PNG\r\n\x1a\n"
    await micropages.set_status(SYSTEM, page_id, "draft")
    assert (await client.get("/h5/p/alumni-day")).status_code == 404
    assert (await client.get(f"/h5/p/alumni-day/media/{image_id}")).status_code == 404


@pytest.mark.req("OPS-06")
async def test_embedded_form_posts_an_answer_the_survey_counts(db, client):
    survey_id = await _open_survey(public=True)
    page_id = await _page("come-back")
    await micropages.add_block(SYSTEM, page_id, "form", {"survey": str(survey_id)})
    await micropages.set_status(SYSTEM, page_id, "published")
    page = await client.get("/h5/p/come-back", headers=WECHAT)
    assert page.status_code == 200 and "您会返校吗" in page.text
    assert f'action="/h5/surveys/{survey_id}"' in page.text
    answer = await client.post(f"/h5/surveys/{survey_id}", data={"_csrf_token": csrf_from(page.text), "q_come": "会"})
    assert answer.status_code == 200 and "Thank you for your answers." in answer.text
    assert (await surveys.get(survey_id))["answers"] == 1
    stats = {s["key"]: s for s in await surveys.statistics(survey_id)}
    assert [(i["label"], i["value"]) for i in stats["come"]["items"]] == [("会", 1), ("不会", 0)]


@pytest.mark.req("OPS-06")
async def test_bound_page_shows_as_a_button_on_the_alumni_home(db, client):
    page_links.register()
    page_id = await _page("gala", on_home=True, home_sort=1)
    await micropages.add_block(SYSTEM, page_id, "text", {"html": "<p>晚会</p>"})
    hidden = await _page("hidden-one", title="不上首页")
    await micropages.add_block(SYSTEM, hidden, "text", {"html": "<p>x</p>"})
    await micropages.set_status(SYSTEM, hidden, "published")
    person = await make_user(db, "校友甲")
    await login(client, person.name, PASSWORD)
    home = await client.get("/h5", headers=WECHAT)
    assert home.status_code == 200 and 'href="/h5/p/gala"' not in home.text  # still a draft
    await micropages.set_status(SYSTEM, page_id, "published")
    home = await client.get("/h5", headers=WECHAT)
    assert 'href="/h5/p/gala"' in home.text and "新春贺卡" in home.text and "/h5/p/hidden-one" not in home.text


@pytest.mark.req("OPS-06")
async def test_plain_alumnus_is_refused_the_admin_pages(db, client):
    page_id = await _page("private-admin")
    person = await make_user(db, "校友乙")
    await login(client, person.name, PASSWORD)
    for url in ("/admin/ops/pages", f"/admin/ops/pages/{page_id}", f"/admin/ops/pages/{page_id}/delete"):
        assert (await client.get(url)).status_code == 403, url
    token = csrf_from((await client.get("/h5")).text)
    refused = await client.post(f"/admin/ops/pages/{page_id}/blocks", data={"_csrf_token": token,
                                                                           "new_kind": "text", "new_html": "x"})
    assert refused.status_code == 403 and await micropages.blocks(page_id) == []


@pytest.mark.req("OPS-06")
async def test_editor_without_js_and_with_htmx(db, as_user):
    admin = await as_user("admin")
    listing = await admin.get("/admin/ops/pages")
    assert listing.status_code == 200
    token = csrf_from(listing.text)
    created = await admin.post("/admin/ops/pages", data={"_csrf_token": token, "title": "毕业十周年",
                                                         "slug": "ten-years", "home_sort": "5"})
    assert created.status_code == 303
    base = created.headers["location"]
    page_id = int(base.rsplit("/", 1)[1])
    duplicate = await admin.post("/admin/ops/pages", data={"_csrf_token": token, "title": "重复", "slug": "ten-years"})
    assert duplicate.status_code == 422 and "Another page already uses this address." in duplicate.text
    # plain forms: a refused button keeps what was typed, with the message next to the field
    bad = await admin.post(f"{base}/blocks", data={"_csrf_token": token, "new_kind": "button",
                                                   "new_label": "点我报名", "new_url": "javascript:alert(1)"})
    assert bad.status_code == 422 and 'value="点我报名"' in bad.text and "a site path starting with /" in bad.text
    svg = await admin.post(f"{base}/blocks", data={"_csrf_token": token, "new_kind": "image", "new_alt": "图"},
                           files={"new_image": ("x.png", SVG_AS_PNG, "image/png")})
    assert svg.status_code == 422 and "does not match its .png name" in svg.text
    added = await admin.post(f"{base}/blocks", data={"_csrf_token": token, "new_kind": "text",
                                                     "new_html": "<p>十年再相聚</p>"})
    assert added.status_code == 303 and added.headers["location"].startswith(f"{base}#block-")
    first = (await micropages.blocks(page_id))[0]["id"]
    # htmx: the same form answers with the re-rendered block list only
    hx = {"hx-request": "true", "hx-target": "blocks"}
    fragment = await admin.post(f"{base}/blocks", headers=hx, data={
        "_csrf_token": token, "new_kind": "button", "new_label": "立即报名", "new_url": "https://example.com/join"})
    assert fragment.status_code == 200 and fragment.text.lstrip().startswith('<div id="blocks"')
    assert "立即报名" in fragment.text and "<html" not in fragment.text
    second = (await micropages.blocks(page_id))[1]["id"]
    moved = await admin.post(f"{base}/blocks/{second}/up", headers=hx, data={"_csrf_token": token})
    assert moved.status_code == 200 and [b["id"] for b in await micropages.blocks(page_id)] == [second, first]
    saved = await admin.post(f"{base}/blocks/{first}", data={"_csrf_token": token,
                                                             f"b{first}_html": "<p>二十年再相聚</p>"})
    assert saved.status_code == 303
    assert "二十年" in (await micropages.blocks(page_id))[1]["data"]["html"]
    confirm = await admin.get(f"{base}/blocks/{second}/delete")
    assert confirm.status_code == 200 and f'action="{base}/blocks/{second}/delete"' in confirm.text
    gone = await admin.post(f"{base}/blocks/{second}/delete", data={"_csrf_token": csrf_from(confirm.text)})
    assert gone.status_code == 303 and [b["id"] for b in await micropages.blocks(page_id)] == [first]
    published = await admin.post(f"{base}/publish", data={"_csrf_token": token})
    assert published.status_code == 303 and (await micropages.get_page(page_id))["status"] == "published"
    editor = await admin.get(base)
    assert "Unpublish" in editor.text and "Move up" not in editor.text  # one block: nothing to move
    search = await admin.get("/admin/ops/pages?q=十周年")
    assert f"/admin/ops/pages/{page_id}" in search.text
    assert f"/admin/ops/pages/{page_id}" not in (await admin.get("/admin/ops/pages?q=nothing-like-it")).text


@pytest.mark.req("SMS-12")
async def test_send_the_page_link_by_sms(db, as_user, dispatcher):  # noqa: F811
    page_id = await _page("holiday-greeting", title="元旦祝福")
    await micropages.add_block(SYSTEM, page_id, "text", {"html": "<p>元旦快乐</p>"})
    await micropages.set_status(SYSTEM, page_id, "published")
    link = absolute("/h5/p/holiday-greeting")
    admin = await as_user("admin")
    editor = await admin.get(f"/admin/ops/pages/{page_id}")
    expected = "/admin/sms/send?" + urlencode({"text": f"元旦祝福 {link}"})
    assert f'href="{expected.replace("&", "&amp;")}"' in editor.text
    console = await admin.get(expected)
    assert console.status_code == 200
    textarea = re.search(r'<textarea[^>]*name="text"[^>]*>([^<]*)</textarea>', console.text)
    assert textarea and link in textarea.group(1)
    account = await db.fetchval("SELECT id FROM sms_account WHERE name = '同窗大学校友总会'")
    sent = await admin.post("/admin/sms/send", data={"_csrf_token": csrf_from(console.text), "account": str(account),
                                                     "to": "13800138000", "mode": "text",
                                                     "text": textarea.group(1), "when": "now"})
    assert sent.status_code == 303 and sent.headers["location"].startswith("/admin/sms/batches/")
    batch_id = int(sent.headers["location"].rsplit("/", 1)[1])
    await wait_for(lambda: _delivered(db, batch_id), timeout=10)
    text = await db.fetchval("SELECT text FROM sms_message WHERE batch = $1", batch_id)
    assert link in text


async def _delivered(db, batch_id: int) -> bool:
    return await statuses(db, batch_id) == {"delivered": 1}
