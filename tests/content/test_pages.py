"""The content platform's own settings and HQ pages as a user drives them with plain forms: per-owner moderation
settings (for whoever the owner's hook lets moderate), the deployment's sensitive-word rule, the HQ editor's
edit / flags / unpublish / delete and the submissions page with its decline confirmation."""
import pytest

from app.content import api, compliance, remote_images
from tests.content.conftest import PASSWORD
from tests.helpers import csrf_from, login


@pytest.mark.req("CLS-04")
async def test_owner_moderation_settings_page(client, db, club, make_user):
    moderator, member = await make_user("管理员"), await make_user("会员")
    club.moderators.add(moderator.id)
    club.members.add(member.id)
    url = "/admin/content/owners/club/1/moderation"
    await login(client, member.name, PASSWORD)
    assert (await client.get(url)).status_code == 403
    assert (await client.get("/admin/content/owners/nosuch/1/moderation")).status_code == 403
    await login(client, moderator.name, PASSWORD)
    page = await client.get(url + "?next=/h5/clubs/1")
    assert page.status_code == 200 and "测试俱乐部1" in page.text and page.text.count('name="moderated"') == 4
    saved = await client.post(url, data={"_csrf_token": csrf_from(page.text), "moderated": ["comment", "photo"],
                                         "next": "/h5/clubs/1"})
    assert saved.status_code == 303
    assert await api.moderation_settings(club.owner, ["article", "album", "photo", "comment"]) == {
        "article": False, "album": False, "photo": True, "comment": True}
    again = await client.get(saved.headers["location"])
    assert again.status_code == 200 and "Moderation settings saved." in again.text


@pytest.mark.req("CLS-04")
async def test_sensitive_word_rule_page(as_user, db):
    admin = await as_user("admin")
    page = await admin.get("/admin/content/settings")
    assert page.status_code == 200 and "赌博" in page.text and 'value="moderate" checked' in page.text
    token = csrf_from(page.text)
    bad = await admin.post("/admin/content/settings", data={"_csrf_token": token, "action": "ignore"})
    assert bad.status_code == 422 and "Choose from the list." in bad.text
    saved = await admin.post("/admin/content/settings", data={"_csrf_token": token, "action": "block"})
    assert saved.status_code == 303
    assert await compliance.sensitive_action() == "block"
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'site_setting'"
                             " AND entity_id = 'content.sensitive_action'") == 1


@pytest.mark.req("ORG-05")
async def test_image_hosts_setting(as_user, db):
    admin = await as_user("admin")
    page = await admin.get("/admin/content/settings")
    assert "mmbiz.qpic.cn" in page.text
    token = csrf_from(page.text)
    bad = await admin.post("/admin/content/settings", data={"_csrf_token": token, "action": "moderate",
                                                             "image_hosts": "mmbiz.qpic.cn\nhttp://evil/<x>"})
    assert bad.status_code == 422 and "is not a host name" in bad.text and "mmbiz.qpic.cn" in bad.text
    saved = await admin.post("/admin/content/settings", data={"_csrf_token": token, "action": "moderate",
                                                               "image_hosts": "MMBIZ.qpic.cn, img.xiumi.us\n"})
    assert saved.status_code == 303
    assert await remote_images.allowed_hosts() == {"mmbiz.qpic.cn", "img.xiumi.us"}


@pytest.mark.req("ORG-05")
async def test_hq_editor_edits_flags_unpublishes_and_deletes(as_user, db):
    editor = await as_user("hq")
    article_id = await db.fetchval("SELECT id FROM cnt_article WHERE owner_kind = 'hq' AND title LIKE '%理事会%'")
    page = await editor.get(f"/admin/content/hq/{article_id}")
    assert page.status_code == 200 and "校友总会第三届理事会第二次会议召开" in page.text
    token = csrf_from(page.text)
    updated = await editor.post(f"/admin/content/hq/{article_id}", data={
        "_csrf_token": token, "title": "理事会会议召开", "summary": "", "body_html": "<h3>议程</h3><p>新内容</p>",
        "_action": "save"})
    assert updated.status_code == 303
    article = await api.get_article(article_id)
    assert article["title"] == "理事会会议召开" and article["body_html"] == "<h3>议程</h3><p>新内容</p>"
    await editor.post(f"/admin/content/hq/{article_id}/flags", data={"_csrf_token": token, "pin": "on"})
    flags = await api.get_article(article_id)
    assert flags["pin"] and not flags["recommend"] and not flags["headline"]
    await editor.post(f"/admin/content/hq/{article_id}/unpublish", data={"_csrf_token": token})
    assert (await api.get_article(article_id))["status"] == "draft"
    listing = await editor.get("/admin/content/hq?status=draft")
    assert "理事会会议召开" in listing.text
    confirm = await editor.get(f"/admin/content/hq/{article_id}/delete")
    assert confirm.status_code == 200 and "理事会会议召开" in confirm.text
    gone = await editor.post(f"/admin/content/hq/{article_id}/delete", data={"_csrf_token": token})
    assert gone.status_code == 303
    with pytest.raises(api.NotFound):
        await api.get_article(article_id)


@pytest.mark.req("ORG-05")
async def test_submissions_page_accept_and_decline(as_user, db, club, make_user):
    org_editor = await make_user("分会编辑")
    club.moderators.add(org_editor.id)
    first = await api.create_article(org_editor, club.owner, title="投稿一", body_html="<p>1</p>", status="published")
    second = await api.create_article(org_editor, club.owner, title="投稿二", body_html="<p>2</p>", status="published")
    one, two = await api.submit_to(org_editor, first, api.HQ), await api.submit_to(org_editor, second, api.HQ)
    editor = await as_user("hq")
    page = await editor.get("/admin/content/hq/submissions")
    assert page.status_code == 200 and "投稿一" in page.text and "测试俱乐部1" in page.text
    token = csrf_from(page.text)
    accepted = await editor.post(f"/admin/content/hq/submissions/{one}/accept", data={"_csrf_token": token})
    assert accepted.status_code == 303 and accepted.headers["location"].startswith("/admin/content/hq/")
    confirm = await editor.get(f"/admin/content/hq/submissions/{two}/decline")
    assert confirm.status_code == 200 and "投稿二" in confirm.text
    empty = await editor.post(f"/admin/content/hq/submissions/{two}/decline", data={"_csrf_token": token})
    assert empty.status_code == 422 and "Give a reason" in empty.text
    declined = await editor.post(f"/admin/content/hq/submissions/{two}/decline",
                                 data={"_csrf_token": token, "reason": "重复投稿"})
    assert declined.status_code == 303
    done = await editor.get("/admin/content/hq/submissions?status=declined")
    assert "投稿二" in done.text and "重复投稿" in done.text
    news = await editor.get("/h5/news")
    assert "投稿一" in news.text and "投稿二" not in news.text
