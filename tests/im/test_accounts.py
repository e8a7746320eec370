"""Service accounts (IM-07): accounts with columns, articles from the content platform's editor pushed to the
subscribers as inbox messages (no chat message, no badge), history by column, edits shown as edited, comments
held for moderation with the commenter told of the decision, and the im.accounts permission."""
import io
import re

import pytest
from PIL import Image

from app.content import api as content
from app.im import accounts
from tests.content.conftest import jpeg
from tests.helpers import csrf_from
from tests.im.helpers import actor_of

BASE = "/admin/im/accounts"


async def _form_post(client, page_url: str, action: str, data: dict, files: dict | None = None):
    page = await client.get(page_url)
    assert page.status_code == 200, page.text[:300]
    return await client.post(action, data={"_csrf_token": csrf_from(page.text), **data}, files=files)


async def _inbox(db, username: str, template: str) -> list[dict]:
    return await db.fetch('SELECT m.title, m.body, m.url FROM inbox_message m JOIN app_user u ON u.id = m."user"'
                          " WHERE u.username = $1 AND m.template_code = $2 ORDER BY m.id", username, template)


async def _account_with_column(as_user, db) -> tuple[int, int]:
    admin = await as_user("admin")
    made = await _form_post(admin, f"{BASE}/new", BASE, {"name": "校友总会服务号", "intro": "总会动态与活动",
                                                          "sort": "10", "status": "active"})
    assert made.status_code == 303, made.text[:500]
    account = int(made.headers["location"].rsplit("/", 1)[1])
    added = await _form_post(admin, f"{BASE}/{account}", f"{BASE}/{account}/columns",
                             {"column_name": "活动预告", "sort": "1"})
    assert added.status_code == 303
    column = await db.fetchval("SELECT id FROM im_account_column WHERE account = $1 AND name = '活动预告'", account)
    assert column
    return account, column


@pytest.mark.req("IM-07")
async def test_account_picture_is_checked_and_served(as_user, db):
    account, _column = await _account_with_column(as_user, db)
    admin = await as_user("admin")
    fields = {"name": "校友总会服务号", "intro": "", "sort": "10", "status": "active"}
    refused = await _form_post(admin, f"{BASE}/{account}", f"{BASE}/{account}", fields,
                               files={"avatar": ("logo.jpg", b"not an image", "image/jpeg")})
    assert refused.status_code == 422
    saved = await _form_post(admin, f"{BASE}/{account}", f"{BASE}/{account}", fields,
                             files={"avatar": ("logo.jpg", jpeg(900, 900), "image/jpeg")})
    assert saved.status_code == 303
    alumnus = await as_user("alumnus")
    assert f"/h5/im/accounts/{account}/avatar" in (await alumnus.get("/h5/im/accounts")).text
    picture = await alumnus.get(f"/h5/im/accounts/{account}/avatar")
    assert picture.status_code == 200 and picture.headers["content-type"].startswith("image/")

    assert max(Image.open(io.BytesIO(picture.content)).size) <= 320


async def _publish(client, account: int, column: int | str, title: str, body: str) -> int:
    posted = await _form_post(client, f"{BASE}/{account}/articles/new", f"{BASE}/{account}/articles",
                              {"_action": "publish", "column": str(column), "title": title, "summary": "",
                               "body_html": body}, files={"cover": ("", b"", "application/octet-stream")})
    assert posted.status_code == 303, posted.text[:800]
    return int(posted.headers["location"].rsplit("/", 1)[1])


@pytest.mark.req("IM-07")
async def test_publish_pushes_to_subscribers_only_and_edits_show_as_edited(as_user, db):
    account, column = await _account_with_column(as_user, db)
    alumnus = await as_user("alumnus")
    listing = await alumnus.get("/h5/im")
    assert 'href="/h5/im/accounts"' in listing.text
    accounts_page = await alumnus.get("/h5/im/accounts")
    assert "校友总会服务号" in accounts_page.text
    done = await alumnus.post(f"/h5/im/accounts/{account}/subscribe",
                              data={"_csrf_token": csrf_from(accounts_page.text)})
    assert done.status_code == 303
    assert await accounts.is_subscribed((await actor_of("alumnus")).id, account)
    assert "Unsubscribe" in (await alumnus.get("/h5/im/accounts")).text
    messages_before = await db.fetchval("SELECT count(*) FROM im_message")

    admin = await as_user("admin")
    article = await _publish(admin, account, column, "春季返校日", "<p>四月十八日返校</p><p><img src=\"/x.png\"></p>")
    other = await _publish(admin, account, "", "理事会公告", "<p>无栏目的公告</p>")
    pushed = await _inbox(db, "alumnus", accounts.PUSH_TEMPLATE)
    assert [m["title"] for m in pushed] == ["校友总会服务号: 春季返校日", "校友总会服务号: 理事会公告"]
    assert pushed[0]["url"] == f"/h5/im/accounts/{account}/articles/{article}"
    assert await _inbox(db, "liaison", accounts.PUSH_TEMPLATE) == []  # not a subscriber
    assert await db.fetchval("SELECT count(*) FROM im_message") == messages_before  # no chat message, no badge
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'push' AND entity = 'im_account_article'"
                             ) == 2

    alumnus = await as_user("alumnus")
    page = await alumnus.get(f"/h5/im/accounts/{account}")
    assert "春季返校日" in page.text and "理事会公告" in page.text and "活动预告" in page.text
    tab = await alumnus.get(f"/h5/im/accounts/{account}?column={column}")
    assert "春季返校日" in tab.text and "理事会公告" not in tab.text
    shown = await alumnus.get(f"/h5/im/accounts/{account}/articles/{article}")
    assert shown.status_code == 200 and "四月十八日返校" in shown.text and "Edited" not in shown.text

    admin = await as_user("admin")
    edited = await _form_post(admin, f"{BASE}/{account}/articles/{article}", f"{BASE}/{account}/articles/{article}",
                              {"_action": "save", "column": str(column), "title": "春季返校日（改期）", "summary": "",
                               "body_html": "<p>改为四月二十五日返校</p><script>x()</script>"},
                              files={"cover": ("", b"", "application/octet-stream")})
    assert edited.status_code == 303, edited.text[:800]
    alumnus = await as_user("alumnus")
    shown = await alumnus.get(f"/h5/im/accounts/{account}/articles/{article}")
    assert "改为四月二十五日返校" in shown.text and "四月十八日返校" not in shown.text and "x()" not in shown.text
    assert "Edited" in shown.text
    assert "Edited" in (await alumnus.get(f"/h5/im/accounts/{account}")).text
    assert len(await _inbox(db, "alumnus", accounts.PUSH_TEMPLATE)) == 2  # an edit is not pushed again

    unsub = await alumnus.post(f"/h5/im/accounts/{account}/unsubscribe", data={"_csrf_token": csrf_from(shown.text)})
    assert unsub.status_code == 303
    admin = await as_user("admin")
    await _publish(admin, account, column, "夏季论坛", "<p>七月</p>")
    assert len(await _inbox(db, "alumnus", accounts.PUSH_TEMPLATE)) == 2
    assert other


@pytest.mark.req("IM-07")
async def test_comments_wait_for_moderation_and_the_commenter_is_told(as_user, db):
    account, column = await _account_with_column(as_user, db)
    admin = await as_user("admin")
    article = await _publish(admin, account, column, "校庆征文", "<p>欢迎投稿</p>")
    url = f"/h5/im/accounts/{account}/articles/{article}"

    alumnus = await as_user("alumnus")
    page = await alumnus.get(url)
    posted = await alumnus.post("/content/comments", data={
        "_csrf_token": csrf_from(page.text), "target_kind": "article", "target_id": str(article), "next": url,
        "body": "我来投一篇"})
    assert posted.status_code == 303
    comment = await db.fetchval("SELECT id FROM cnt_comment WHERE body = '我来投一篇'")
    assert await content.comment_status(comment) == "pending"
    mine = await alumnus.get(url)
    assert "我来投一篇" in mine.text and "Awaiting moderation" in mine.text  # the author sees it, marked

    liaison = await as_user("liaison")
    assert "我来投一篇" not in (await liaison.get(url)).text  # hidden from others until approved

    admin = await as_user("admin")
    queue = await admin.get("/admin/content/moderation?kind=comment")
    assert "我来投一篇" in queue.text
    approved = await admin.post(f"/admin/content/moderation/comment/{comment}/approve",
                                data={"_csrf_token": csrf_from(queue.text)})
    assert approved.status_code == 303
    liaison = await as_user("liaison")
    assert "我来投一篇" in (await liaison.get(url)).text
    told = await _inbox(db, "alumnus", "content_approved")
    assert len(told) == 1 and told[0]["url"] == f"/h5/im/accounts/{account}"

    second = await content.add_comment(await actor_of("alumnus"), "article", article, "广告：代写论文")
    admin = await as_user("admin")
    confirm = await admin.get(f"/admin/content/moderation/comment/{second}/reject")
    rejected = await admin.post(f"/admin/content/moderation/comment/{second}/reject",
                                data={"_csrf_token": csrf_from(confirm.text), "reason": "广告内容"})
    assert rejected.status_code == 303
    assert await content.comment_status(second) == "rejected"
    refusal = await _inbox(db, "alumnus", "content_rejected")
    assert len(refusal) == 1 and "广告内容" in refusal[0]["body"]
    liaison = await as_user("liaison")
    assert "代写论文" not in (await liaison.get(url)).text

    # a moderator deleting an approved comment from the desk tells the commenter too
    admin = await as_user("admin")
    desk = await admin.get(f"{BASE}/{account}/articles/{article}")
    assert "我来投一篇" in desk.text
    deleted = await admin.post(f"{BASE}/{account}/articles/{article}/comments/{comment}/delete",
                               data={"_csrf_token": csrf_from(desk.text)})
    assert deleted.status_code == 303
    assert await content.comment_status(comment) == "deleted"
    gone = await _inbox(db, "alumnus", accounts.COMMENT_DELETED)
    assert len(gone) == 1 and "校庆征文" in gone[0]["body"]
    liaison = await as_user("liaison")
    assert "我来投一篇" not in (await liaison.get(url)).text


@pytest.mark.req("IM-07")
async def test_desk_needs_im_accounts_and_users_see_active_accounts_in_order(as_user, db):
    account, column = await _account_with_column(as_user, db)
    admin = await as_user("admin")
    first = await accounts.create(await actor_of("admin"), name="B 就业服务", sort=5)
    library = await accounts.create(await actor_of("admin"), name="A 图书馆", sort=5)
    hidden = await accounts.create(await actor_of("admin"), name="停用的号", sort=1, status="off")
    draft = await _form_post(admin, f"{BASE}/{account}/articles/new", f"{BASE}/{account}/articles",
                             {"_action": "save", "column": str(column), "title": "草稿", "body_html": "<p>未发</p>"})
    assert draft.status_code == 303
    draft_id = int(draft.headers["location"].rsplit("/", 1)[1])
    assert await _inbox(db, "alumnus", accounts.PUSH_TEMPLATE) == []

    alumnus = await as_user("alumnus")
    listing = (await alumnus.get("/h5/im/accounts")).text
    order = re.findall(r'id="account-(\d+)"', listing)
    assert order == [str(i) for i in await db.fetchval(
        "SELECT array_agg(id ORDER BY sort, name, id) FROM im_account WHERE status = 'active'")]
    assert order.index(str(first)) > order.index(str(library))  # same sort: by name ("A …" before "B …")
    assert str(hidden) not in order
    assert (await alumnus.get(f"/h5/im/accounts/{hidden}")).status_code == 404
    assert (await alumnus.get(f"/h5/im/accounts/{account}/articles/{draft_id}")).status_code == 404
    subscribed = await alumnus.post(f"/h5/im/accounts/{first}/subscribe", data={"_csrf_token": csrf_from(listing)})
    assert subscribed.status_code == 303
    order = re.findall(r'id="account-(\d+)"', (await alumnus.get("/h5/im/accounts")).text)
    assert order[0] == str(first)  # subscribed first

    for username in ("alumnus", "cs_admin"):
        client = await as_user(username)
        assert (await client.get(BASE)).status_code == 403
        assert (await client.get(f"{BASE}/{account}")).status_code == 403
        page = await client.get("/h5/im/accounts")
        refused = await client.post(BASE, data={"_csrf_token": csrf_from(page.text), "name": "冒名", "sort": "1",
                                                "status": "active"})
        assert refused.status_code == 403
        refused = await client.post(f"{BASE}/{account}/articles", data={
            "_csrf_token": csrf_from(page.text), "_action": "publish", "title": "冒名", "body_html": "<p>x</p>"})
        assert refused.status_code == 403
    assert await db.fetchval("SELECT count(*) FROM im_account WHERE name = '冒名'") == 0
    with pytest.raises(content.NotAllowed):
        await content.create_article(await actor_of("alumnus"), accounts.owner(account), title="冒名",
                                     body_html="<p>x</p>")


@pytest.mark.req("IM-07")
async def test_videos_play_inside_the_article_with_ranges(as_user, db):
    from app.core import settings_store

    await settings_store.put("upload.types", "jpg,jpeg,png,gif,pdf,xlsx,csv,docx,mp4")
    account, column = await _account_with_column(as_user, db)
    admin = await as_user("admin")
    article = await _publish(admin, account, column, "校庆视频", "<p>请看视频</p>")
    desk_url = f"{BASE}/{account}/articles/{article}"
    video = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40
    fake = await _form_post(admin, desk_url, f"{desk_url}/videos", {},
                            files={"video": ("clip.mp4", b"MZ\x90\x00" * 100, "video/mp4")})
    assert fake.status_code == 303 and await db.fetchval("SELECT count(*) FROM im_account_media") == 0
    added = await _form_post(admin, desk_url, f"{desk_url}/videos", {},
                             files={"video": ("clip.mp4", video, "video/mp4")})
    assert added.status_code == 303
    media = await db.fetchval("SELECT id FROM im_account_media WHERE article = $1", article)
    assert media

    alumnus = await as_user("alumnus")
    page = await alumnus.get(f"/h5/im/accounts/{account}/articles/{article}")
    assert f'<video controls preload="metadata" src="/h5/im/accounts/media/{media}"' in page.text
    assert "Edited" in page.text  # a video added after the push is an edit
    part = await alumnus.get(f"/h5/im/accounts/media/{media}", headers={"range": "bytes=0-11"})
    assert part.status_code == 206 and part.content == video[:12]

    admin = await as_user("admin")
    desk = await admin.get(desk_url)
    removed = await admin.post(f"{desk_url}/videos/{media}/delete", data={"_csrf_token": csrf_from(desk.text)})
    assert removed.status_code == 303
    alumnus = await as_user("alumnus")
    assert (await alumnus.get(f"/h5/im/accounts/media/{media}")).status_code == 404
