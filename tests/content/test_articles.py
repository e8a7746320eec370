"""Articles (ORG-05): draft and publish, headline / recommend / pin, attachments checked and served through the
owner's hook, moderation of articles from non-moderators, submission to HQ with a todo for HQ editors, and the
HQ news pages: the editor (paste, Word import, cover, attachments) and the public H5 site with share metadata."""
import pytest

from app.content import api
from app.core.forms import Invalid
from app.core.pagination import PageRequest
from tests.content.conftest import PASSWORD, jpeg
from tests.content.docx_files import docx
from tests.content.test_sanitizer import WECHAT
from tests.helpers import csrf_from, login

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


@pytest.mark.req("ORG-05")
async def test_draft_publish_flags_and_order(db, club, make_user):
    editor = await make_user("编辑")
    club.moderators.add(editor.id)
    first = await api.create_article(editor, club.owner, title="第一篇", body_html="<p>旧闻</p>", status="published")
    pinned = await api.create_article(editor, club.owner, title="置顶公告", body_html="<p>重要通知：换届选举</p>")
    assert (await api.get_article(pinned))["status"] == "draft"
    assert await api.publish(editor, pinned) == "published"
    await api.set_flags(editor, pinned, pin=True, headline=True)
    latest = await api.create_article(editor, club.owner, title="最新动态", body_html="<p>新闻</p>", status="published")
    page = await api.list_articles(club.owner, status="published", req=PageRequest())
    assert [a["id"] for a in page.items] == [pinned, latest, first]  # pinned first, then newest
    assert [a["id"] for a in (await api.list_articles(club.owner, flag="headline")).items] == [pinned]
    assert [a["id"] for a in (await api.list_articles(club.owner, q="换届")).items] == [pinned]
    article = await api.get_article(pinned)
    assert article["summary"] == "重要通知：换届选举" and article["published_at"] and article["pin"]
    await api.unpublish(editor, pinned)
    assert (await api.get_article(pinned))["status"] == "draft"
    assert await api.status_counts(club.owner) == {"draft": 1, "published": 2}
    stranger = await make_user("路人")
    with pytest.raises(api.NotAllowed):
        await api.create_article(stranger, club.owner, title="冒名", body_html="<p>x</p>")
    with pytest.raises(api.NotAllowed):
        await api.update_article(stranger, first, title="篡改")
    with pytest.raises(Invalid) as refused:
        await api.create_article(editor, club.owner, title=" ", body_html="<p>x</p>")
    assert refused.value.field == "title"


@pytest.mark.req("ORG-05")
async def test_articles_from_non_moderators_wait_and_edits_are_sanitised(db, club, make_user):
    writer, moderator = await make_user("通讯员"), await make_user("管理员")
    club.members.add(writer.id)
    club.moderators.add(moderator.id)
    article = await api.create_article(writer, club.owner, title="活动报道", status="published",
                                       body_html='<p onclick="x()">报道<script>alert(1)</script></p>')
    saved = await api.get_article(article)
    assert saved["status"] == "pending" and saved["body_html"] == "<p>报道</p>" and not saved["published_at"]
    await api.approve(moderator, "article", article)
    assert (await api.get_article(article))["published_at"]
    # an edit by the writer sends the published article back to the queue
    assert await api.update_article(writer, article, body_html='<p><a href="javascript:x">改</a>写</p>') == "pending"
    assert (await api.get_article(article))["body_html"] == '<p><a rel="noopener noreferrer">改</a>写</p>'


@pytest.mark.req("ORG-05")
async def test_attachments_and_cover_are_checked_and_served_through_the_owner(client, db, club, make_user):
    editor = await make_user("编辑")
    club.moderators.add(editor.id)
    with pytest.raises(Invalid) as refused:
        await api.create_article(editor, club.owner, title="附件", body_html="<p>x</p>",
                                 attachments=[("setup.exe", b"MZ\x90\x00")])
    assert refused.value.field == "attachments"
    with pytest.raises(Invalid) as refused:
        await api.create_article(editor, club.owner, title="附件", body_html="<p>x</p>",
                                 attachments=[("notes.pdf", b"<html>not a pdf</html>")])
    assert "does not match" in refused.value.message
    with pytest.raises(Invalid) as refused:
        await api.create_article(editor, club.owner, title="封面", body_html="<p>x</p>", cover=("c.jpg", b"<svg/>"))
    assert refused.value.field == "cover"
    article_id = await api.create_article(editor, club.owner, title="章程", body_html="<p>见附件</p>",
                                          cover=("cover.jpg", jpeg(1600, 900)),
                                          attachments=[("校友会章程.pdf", PDF)])
    article = await api.get_article(article_id)
    (attachment,) = article["attachments"]
    assert attachment["name"] == "校友会章程.pdf"
    assert attachment["url"] == f"/media/content/attachments/{attachment['id']}"
    # a draft's files: not for the public
    assert (await client.get(attachment["url"])).status_code == 404
    assert (await client.get(article["cover_url"])).status_code == 404
    await api.publish(editor, article_id)
    served = await client.get(attachment["url"])
    assert served.status_code == 200 and served.content == PDF and served.headers["content-type"] == "application/pdf"
    disposition = served.headers["content-disposition"]
    assert disposition.startswith("inline") and "filename*=UTF-8''" in disposition
    assert (await client.get(article["cover_url"])).status_code == 200
    club.public = False
    assert (await client.get(attachment["url"])).status_code == 403  # the owner's hook refuses anonymous visitors


@pytest.mark.req("ORG-05")
async def test_an_org_submits_an_article_and_hq_publishes_it(db, club, make_user):
    org_editor = await make_user("分会编辑")
    hq_editor = await make_user("总会编辑", perms=("content.hq.publish",))
    club.moderators.add(org_editor.id)
    draft = await api.create_article(org_editor, club.owner, title="草稿", body_html="<p>未发布</p>")
    with pytest.raises(Invalid, match="Publish the article"):
        await api.submit_to(org_editor, draft, api.HQ)
    article = await api.create_article(org_editor, club.owner, title="北京校友会迎新", status="published",
                                       body_html="<p>迎新会</p>", cover=("c.jpg", jpeg(800, 600)),
                                       attachments=[("议程.pdf", PDF)])
    submission = await api.submit_to(org_editor, article, api.HQ)
    with pytest.raises(api.Conflict):
        await api.submit_to(org_editor, article, api.HQ)
    todo = await db.fetchrow("SELECT * FROM todo WHERE ref = $1", f"cnt_submission:{submission}")
    assert todo["status"] == "open" and todo["permission"] == "content.hq.publish" and "北京校友会迎新" in todo["title"]
    with pytest.raises(api.NotAllowed):
        await api.accept_submission(org_editor, submission)
    copy_id = await api.accept_submission(hq_editor, submission)
    copy = await api.get_article(copy_id)
    assert copy["owner"] == api.HQ and copy["status"] == "published" and copy["source"]["owner_name"] == "测试俱乐部1"
    assert copy["body_html"] == "<p>迎新会</p>" and len(copy["attachments"]) == 1 and copy["cover_url"]
    assert await db.fetchval("SELECT status FROM todo WHERE ref = $1", f"cnt_submission:{submission}") == "done"
    assert (await api.list_submissions(api.HQ, status="accepted")).items[0]["result_article"] == copy_id
    message = await db.fetchrow('SELECT title FROM inbox_message WHERE "user" = $1', org_editor.id)
    assert message["title"] == "Submission accepted: 北京校友会迎新"
    # deleting the original keeps the copy's shared cover file
    await api.delete_article(org_editor, article)
    assert (await api.get_article(copy_id))["cover_url"]
    other = await api.create_article(org_editor, club.owner, title="第二篇", status="published", body_html="<p>b</p>")
    second = await api.submit_to(org_editor, other, api.HQ)
    with pytest.raises(Invalid):
        await api.decline_submission(hq_editor, second, "")
    await api.decline_submission(hq_editor, second, "与总会主题无关")
    assert [s["status"] for s in await api.submissions_of(other)] == ["declined"]
    declined = await db.fetchrow('SELECT title, body FROM inbox_message WHERE "user" = $1 ORDER BY id DESC',
                                 org_editor.id)
    assert declined["title"] == "Submission declined: 第二篇" and "与总会主题无关" in declined["body"]


@pytest.mark.req("ORG-05")
async def test_hq_editor_publishes_a_pasted_article_on_the_news_site(as_user, client, db, make_user):
    editor = await as_user("hq")
    new = await editor.get("/admin/content/hq/new")
    assert new.status_code == 200 and "data-rich-editor" in new.text and "rich_editor.js" in new.text
    token = csrf_from(new.text)
    body = WECHAT + '<p><img src=x onerror="alert(1)"><script>alert(2)</script></p>'
    missing = await editor.post("/admin/content/hq", data={"_csrf_token": token, "title": "", "body_html": body,
                                                           "_action": "publish"})
    assert missing.status_code == 422 and "This field is required." in missing.text
    assert "北京校友会2026年新春联谊会" in missing.text  # what was typed is kept
    files = {"cover": ("cover.jpg", jpeg(1200, 800), "image/jpeg"), "attachments": ("议程.pdf", PDF, "application/pdf")}
    created = await editor.post("/admin/content/hq", data={"_csrf_token": token, "title": "新春联谊会",
                                                           "summary": "三百余位校友欢聚", "body_html": body,
                                                           "_action": "publish"}, files=files)
    assert created.status_code == 303, created.text[:2000]
    article_id = int(created.headers["location"].rsplit("/", 1)[-1])
    client.cookies.clear()  # the public reads it without logging in
    listing = await client.get("/h5/news")
    assert listing.status_code == 200 and "新春联谊会" in listing.text and 'property="og:title"' in listing.text
    page = await client.get(f"/h5/news/{article_id}")
    assert page.status_code == 200
    assert '<meta property="og:title" content="新春联谊会">' in page.text
    assert '<meta property="og:description" content="三百余位校友欢聚">' in page.text
    assert "/media/content/photos/" in page.text and "议程.pdf" in page.text
    assert '<img src="https://mmbiz.qpic.cn/mmbiz_jpg/AbCdEf123/640?wx_fmt=jpeg&amp;from=appmsg"' in page.text
    assert "alert" not in page.text and "onerror" not in page.text
    assert "Log in to comment" in page.text
    assert (await client.get("/h5/news/999999")).status_code == 404


@pytest.mark.req("ORG-05")
async def test_word_import_on_the_editor_page(as_user, db):
    editor = await as_user("hq")
    token = csrf_from((await editor.get("/admin/content/hq/new")).text)
    imported = await editor.post("/admin/content/hq", data={"_csrf_token": token, "title": "返校日", "body_html": "",
                                                            "_action": "import"},
                                 files={"docx": ("通知.docx", docx(jpeg(300, 200)), "application/octet-stream")})
    assert imported.status_code == 200 and "The Word file was imported" in imported.text
    assert "&lt;h1&gt;返校日活动通知&lt;/h1&gt;" in imported.text  # in the textarea, for review before saving
    assert 'value="返校日"' in imported.text
    bad = await editor.post("/admin/content/hq", data={"_csrf_token": token, "title": "x", "_action": "import"},
                            files={"docx": ("fake.docx", b"not a zip", "application/octet-stream")})
    assert bad.status_code == 422 and "not a Word .docx file" in bad.text
    assert await db.fetchval("SELECT count(*) FROM cnt_article WHERE title IN ('返校日', 'x')") == 0


@pytest.mark.req("ORG-05")
async def test_hq_pages_need_the_hq_permission(client, db, make_user):
    user = await make_user("普通用户")
    await login(client, user.name, PASSWORD)
    assert (await client.get("/admin/content/hq")).status_code == 403
    assert (await client.get("/admin/content/hq/submissions")).status_code == 403
    org_article = await db.fetchval("SELECT id FROM cnt_article WHERE owner_kind <> 'hq' LIMIT 1")
    hq = await login(client, "hq", "Demo2026pass")
    assert hq.status_code == 303
    if org_article:  # an org's article is not reachable through the HQ editor
        assert (await client.get(f"/admin/content/hq/{org_article}")).status_code == 404
    listing = await client.get("/admin/content/hq")
    assert listing.status_code == 200 and "同窗大学2026年校友返校日活动通知" in listing.text
