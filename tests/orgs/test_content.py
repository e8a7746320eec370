"""An org's news, albums and guestbook through the content platform (ORG-05, ORG-06, ORG-07, ORG-09): an org admin
publishes an article with a pasted WeChat body (scripts gone, styles kept) and flags it, submits it to HQ; album
photos checked (an SVG refused), a member's photo waits and is approved on the phone; guestbook messages from
alumni wait for moderation, are approved, answered and featured — and all of it appears on the micro-site."""
import io

import pytest
from PIL import Image

from tests.helpers import csrf_from, login, post_form
from tests.orgs.factories import PASSWORD, add_member, make_user, org_id

WECHAT = ('<section style="margin: 0px; padding: 10px; background-color: rgb(239, 246, 255);" data-tools="135编辑器">'
          '<p style="text-align: center;"><strong><span style="color: rgb(11, 92, 173);">校友返校日通知</span></strong>'
          '</p><img data-src="https://mmbiz.qpic.cn/abc/640" src="data:image/svg+xml,%3Csvg%3E" alt="">'
          '<script>document.cookie</script><a href="javascript:alert(1)" onclick="x()">报名</a></section>')


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (400, 300), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


@pytest.mark.req("ORG-05", "ORG-08")
async def test_org_admin_publishes_a_pasted_article_that_appears_on_the_micro_site(as_user, client, db):
    bj = await org_id(db, "bj")
    admin = await as_user("bj_admin")
    form = await admin.get(f"/admin/associations/{bj}/news/new")
    assert 'name="body_html"' in form.text and 'name="docx"' in form.text
    created = await admin.post(f"/admin/associations/{bj}/news",
                               data={"title": "返校日通知", "summary": "欢迎回家", "body_html": WECHAT,
                                     "_action": "publish", "_csrf_token": csrf_from(form.text)})
    assert created.status_code == 303
    article = await db.fetchrow("SELECT * FROM cnt_article WHERE title = '返校日通知'")
    assert (article["owner_kind"], article["owner_id"], article["status"]) == ("org", bj, "published")
    body = article["body_html"]
    assert "<script" not in body and "javascript:" not in body and "onclick" not in body
    assert "background-color" in body and "https://mmbiz.qpic.cn/abc/640" in body
    flags = await post_form(admin, f"/admin/associations/{bj}/news/{article['id']}",
                            f"/admin/associations/{bj}/news/{article['id']}/flags", {"recommend": "on", "pin": "on"})
    assert flags.status_code == 303
    assert await db.fetchval("SELECT recommend AND pin AND NOT headline FROM cnt_article WHERE id = $1", article["id"])
    submitted = await post_form(admin, f"/admin/associations/{bj}/news/{article['id']}",
                                f"/admin/associations/{bj}/news/{article['id']}/submit", {})
    assert submitted.status_code == 303
    assert await db.fetchval("SELECT status FROM cnt_submission WHERE article = $1 AND target_kind = 'hq'",
                             article["id"]) == "pending"
    site = await client.get("/o/bj")
    assert "返校日通知" in site.text
    page = await client.get(f"/o/bj/news/{article['id']}")
    assert page.status_code == 200 and "校友返校日通知" in page.text and "<script>document" not in page.text
    assert '<meta property="og:title" content="返校日通知">' in page.text
    # the article is reached only through its own org's pages
    sh = await org_id(db, "sh")
    assert (await client.get(f"/o/sh/news/{article['id']}")).status_code == 404
    hq = await as_user("hq")
    assert (await hq.get(f"/admin/associations/{sh}/news/{article['id']}")).status_code == 404


@pytest.mark.req("ORG-06", "ORG-09")
async def test_album_photos_checked_member_upload_moderated_on_the_phone(client, db):
    bj = await org_id(db, "bj")
    await login(client, "bj_admin", PASSWORD)
    albums = f"/admin/associations/{bj}/albums"
    assert (await post_form(client, albums, albums, {"title": "秋季登山", "description": "香山"})).status_code == 303
    album = await db.fetchval("SELECT id FROM cnt_album WHERE title = '秋季登山'")
    page = await client.get(f"{albums}/{album}")
    token = csrf_from(page.text)
    svg = await client.post(f"{albums}/{album}/photos", data={"_csrf_token": token},
                            files={"photos": ("evil.jpg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/jpeg")})
    assert svg.status_code == 422
    ok = await client.post(f"{albums}/{album}/photos", data={"_csrf_token": token, "caption": "山顶"},
                           files={"photos": ("peak.jpg", jpeg_with_exif(), "image/jpeg")})
    assert ok.status_code == 303
    photo = await db.fetchrow("SELECT * FROM cnt_photo WHERE parent_kind = 'album' AND parent_id = $1", album)
    assert photo["status"] == "published"  # an admin's own photo needs no approval
    thumb = await client.get(f"/media/content/photos/{photo['id']}/display")
    assert thumb.status_code == 200 and b"SecretCam" not in thumb.content  # EXIF stripped

    username, uid = await make_user("上传校友")
    await add_member(bj, uid)
    await login(client, username, PASSWORD)
    album_page = await client.get(f"/o/bj/albums/{album}")
    assert "山顶" in album_page.text and f'action="/o/bj/albums/{album}/photos"' in album_page.text
    sent = await client.post(f"/o/bj/albums/{album}/photos", data={"_csrf_token": csrf_from(album_page.text)},
                             files={"photo": ("mine.jpg", jpeg_with_exif(), "image/jpeg")})
    assert sent.status_code == 303
    mine = await db.fetchrow("SELECT * FROM cnt_photo WHERE author = $1", uid)
    assert mine["status"] == "pending"
    client.cookies.clear()
    assert f"/media/content/photos/{mine['id']}/thumb" not in (await client.get(f"/o/bj/albums/{album}")).text

    await login(client, "bj_admin", PASSWORD)
    home = await client.get(f"/h5/orgs/admin/{bj}")
    assert f"/h5/orgs/admin/{bj}/moderate/photo/{mine['id']}/approve" in home.text
    confirm = await client.get(f"/h5/orgs/admin/{bj}/moderate/photo/{mine['id']}/approve")
    assert confirm.status_code == 200
    done = await client.post(f"/h5/orgs/admin/{bj}/moderate/photo/{mine['id']}/approve",
                             data={"_csrf_token": csrf_from(confirm.text)})
    assert done.status_code == 303
    assert await db.fetchval("SELECT status FROM cnt_photo WHERE id = $1", mine["id"]) == "published"
    client.cookies.clear()
    assert f"/media/content/photos/{mine['id']}/thumb" in (await client.get(f"/o/bj/albums/{album}")).text


@pytest.mark.req("ORG-07", "ORG-09")
async def test_guestbook_message_moderated_answered_and_featured(client, db):
    bj = await org_id(db, "bj")
    username, _uid = await make_user("留言校友")
    await login(client, username, PASSWORD)
    page = await client.get("/o/bj/guestbook")
    empty = await client.post("/o/bj/guestbook", data={"body": " ", "_csrf_token": csrf_from(page.text)})
    assert empty.status_code == 422
    sent = await client.post("/o/bj/guestbook", data={"body": "想加入羽毛球协会", "_csrf_token": csrf_from(page.text)})
    assert sent.status_code == 303
    post = await db.fetchrow("SELECT * FROM cnt_post WHERE body = '想加入羽毛球协会'")
    assert (post["owner_kind"], post["owner_id"], post["kind"], post["status"]) == ("org", bj, "guestbook", "pending")
    assert "想加入羽毛球协会" in (await client.get("/o/bj/guestbook")).text  # its author sees it waiting
    client.cookies.clear()
    assert "想加入羽毛球协会" not in (await client.get("/o/bj")).text

    await login(client, "bj_admin", PASSWORD)
    base = f"/h5/orgs/admin/{bj}"
    reject = await client.get(f"{base}/moderate/post/{post['id']}/reject")
    assert 'name="reason"' in reject.text
    approve = await client.get(f"{base}/moderate/post/{post['id']}/approve")
    await client.post(f"{base}/moderate/post/{post['id']}/approve", data={"_csrf_token": csrf_from(approve.text)})
    assert await db.fetchval("SELECT status FROM cnt_post WHERE id = $1", post["id"]) == "published"
    reply = await client.get(f"{base}/guestbook/{post['id']}/reply")
    assert reply.status_code == 200 and "想加入羽毛球协会" in reply.text
    answered = await client.post(f"{base}/guestbook/{post['id']}/reply",
                                 data={"body": "欢迎！每周六上午海淀见", "_csrf_token": csrf_from(reply.text)})
    assert answered.status_code == 303
    featured = await post_form(client, f"/admin/associations/{bj}/guestbook",
                               f"/admin/associations/{bj}/guestbook/{post['id']}/feature", {"on": "1"})
    assert featured.status_code == 303
    assert await db.fetchval("SELECT featured FROM cnt_post WHERE id = $1", post["id"])
    client.cookies.clear()
    guestbook = await client.get("/o/bj/guestbook")
    assert "想加入羽毛球协会" in guestbook.text and "欢迎！每周六上午海淀见" in guestbook.text
    assert guestbook.text.index("Featured messages") < guestbook.text.index("想加入羽毛球协会")
    # another org's admin cannot decide or answer this org's messages
    sh = await org_id(db, "sh")
    await login(client, "bj_admin", PASSWORD)
    assert (await client.get(f"/h5/orgs/admin/{sh}/guestbook/{post['id']}/reply")).status_code == 403


def docx(text: str) -> bytes:
    """The smallest Word document: one heading and one paragraph."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                   'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
                   'PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                   'wordprocessingml.document.main+xml"/></Types>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                   'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                   f'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>')
    return out.getvalue()


@pytest.mark.req("ORG-05")
async def test_word_import_fills_the_body_to_check_before_saving(as_user, db):
    bj = await org_id(db, "bj")
    admin = await as_user("bj_admin")
    form = await admin.get(f"/admin/associations/{bj}/news/new")
    shown = await admin.post(f"/admin/associations/{bj}/news",
                             data={"title": "年会纪要", "_action": "import", "_csrf_token": csrf_from(form.text)},
                             files={"docx": ("纪要.docx", docx("二〇二六年会在北京召开"), "application/octet-stream")})
    assert shown.status_code == 200 and "二〇二六年会在北京召开" in shown.text and 'value="年会纪要"' in shown.text
    assert not await db.fetchval("SELECT 1 FROM cnt_article WHERE title = '年会纪要'")  # nothing saved yet
    bad = await admin.post(f"/admin/associations/{bj}/news",
                           data={"title": "x", "_action": "import", "_csrf_token": csrf_from(form.text)},
                           files={"docx": ("old.doc", b"\xd0\xcf\x11\xe0 old word", "application/msword")})
    assert bad.status_code == 422 and ".docx" in bad.text
