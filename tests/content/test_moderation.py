"""Compliance and moderation (CLS-04; ORG-05 comments 先审后发): moderation on or off per owner and item kind,
sensitive words from the dictionary route an item to the queue (or refuse it), pending items are invisible to
everyone but their author and the owner's moderators, the queue is scoped by the owners' hooks, and the author
is told the decision. Desktop and phone pages work as plain forms with a confirmation before rejecting."""
import pytest

from app.content import api, compliance
from app.core import dictionary, settings_store
from app.core.forms import Invalid
from tests.content.conftest import PASSWORD
from tests.helpers import csrf_from, login


async def _word(db, word: str) -> None:
    await db.execute("INSERT INTO dict_item (type_code, code, name) VALUES ('sensitive_word', $1, $2)",
                     f"T{abs(hash(word)) % 10**8}", word)
    dictionary.invalidate()


@pytest.mark.req("CLS-04")
async def test_moderation_is_on_by_default_and_can_be_switched_off_per_owner_and_kind(db, club, make_user):
    member, moderator = await make_user("同学"), await make_user("联络员")
    club.members.add(member.id)
    club.moderators.add(moderator.id)
    assert await api.moderation_on(club.owner, "story") is True
    pending = await api.create_post(member, club.owner, kind="story", body="毕业十年再聚首")
    own = await api.create_post(moderator, club.owner, kind="story", body="联络员的通知")
    await api.set_moderation(moderator, club.owner, "story", False)
    assert await api.moderation_on(club.owner, "story") is False
    assert await api.moderation_on(club.owner, "post") is True  # another kind keeps its own setting
    assert await api.moderation_on(("club", 2), "story") is True  # another owner too
    direct = await api.create_post(member, club.owner, kind="story", body="今天去看了老校区")
    statuses = {r["id"]: r["status"] for r in await db.fetch("SELECT id, status FROM cnt_post")}
    assert (statuses[pending], statuses[own], statuses[direct]) == ("pending", "published", "published")
    entry = await db.fetchrow("SELECT entity_id, before, after FROM audit_log WHERE entity = 'cnt_setting'"
                              " AND actor_name = $1", moderator.name)
    assert entry["entity_id"] == "club:1:story" and '"moderation": false' in entry["after"]


@pytest.mark.req("CLS-04")
async def test_sensitive_words_send_items_to_moderation_with_the_words_listed(db, club, make_user):
    member, moderator = await make_user("同学"), await make_user("联络员")
    club.members.add(member.id)
    club.moderators.add(moderator.id)
    await _word(db, "投资返利")
    assert await api.check_text("诚招代理，投资返利，日赚千元") == ["投资返利"]
    assert await api.check_text("投 资·返 利") == ["投资返利"]  # spaced-out characters
    assert "赌博" in await api.check_text("网上ＤＵ赌博")  # demo list from the dictionary
    assert await api.check_text("周末一起爬山") == []
    await api.set_moderation(moderator, club.owner, "post", False)
    flagged = await api.create_post(member, club.owner, kind="post", body="加我微信，投资返利")
    clean = await api.create_post(member, club.owner, kind="post", body="周末一起爬山")
    rows = {r["id"]: r for r in await db.fetch("SELECT id, status, flagged_words FROM cnt_post")}
    assert rows[flagged]["status"] == "pending" and rows[flagged]["flagged_words"] == ["投资返利"]
    assert rows[clean]["status"] == "published"
    # even a moderator's own text waits when it holds a sensitive word
    mine = await api.create_post(moderator, club.owner, kind="post", body="投资返利说明会")
    assert await db.fetchval("SELECT status FROM cnt_post WHERE id = $1", mine) == "pending"
    queue = await api.moderation_queue(moderator)
    assert {(i["id"], tuple(i["flagged_words"])) for i in queue.items} >= {(flagged, ("投资返利",))}


@pytest.mark.req("CLS-04")
async def test_block_mode_refuses_sensitive_words_with_a_clear_message(db, club, make_user):
    member = await make_user("同学")
    club.members.add(member.id)
    await settings_store.put(compliance.ACTION_KEY, "block")
    with pytest.raises(Invalid) as refused:
        await api.create_post(member, club.owner, kind="post", body="代开发票，量大从优")
    assert refused.value.field == "body" and "代开发票" in refused.value.message
    with pytest.raises(Invalid, match="传销"):
        await api.add_comment(member, "article", await _hq_article(db), "这是传销吧")
    assert await db.fetchval("SELECT count(*) FROM cnt_post WHERE owner_kind = 'club'") == 0


async def _hq_article(db) -> int:
    return await db.fetchval("SELECT id FROM cnt_article WHERE owner_kind = 'hq' AND status = 'published'"
                             " ORDER BY id LIMIT 1")


@pytest.mark.req("CLS-04")
async def test_pending_items_are_invisible_to_everyone_but_author_and_moderators(db, club, make_user):
    author, other, moderator = await make_user("作者"), await make_user("同学"), await make_user("联络员")
    club.members |= {author.id, other.id}
    club.moderators.add(moderator.id)
    post_id = await api.create_post(author, club.owner, kind="story", body="我们班的故事")
    for viewer, seen in ((author, 1), (other, 0), (None, 0), (moderator, 0)):
        page = await api.list_posts(club.owner, kind="story", viewer=viewer)
        assert page.total == seen, viewer
    assert (await api.list_posts(club.owner, kind="story", viewer=moderator, status="pending")).total == 1
    assert (await api.list_posts(club.owner, kind="story", viewer=author)).items[0]["status"] == "pending"
    with pytest.raises(api.NotFound):
        await api.get_post(post_id, other)
    assert (await api.get_post(post_id, moderator))["status"] == "pending"
    with pytest.raises(api.NotAllowed):
        await api.list_posts(club.owner, kind="story", viewer=other, status="pending")


@pytest.mark.req("CLS-04")
async def test_the_queue_follows_the_owner_hooks_and_decisions_reach_the_author(db, club, make_user):
    author, moderator = await make_user("作者"), await make_user("联络员")
    hq_staff = await make_user("总会审核员", perms=("content.moderate",))
    club.members.add(author.id)
    club.moderators.add(moderator.id)
    mine = await api.create_post(author, club.owner, kind="story", body="第一篇")
    other_club = await api.create_post(author, ("club", 2), kind="story", body="另一个俱乐部")
    assert [i["id"] for i in (await api.moderation_queue(moderator)).items] == [mine]
    assert {i["id"] for i in (await api.moderation_queue(hq_staff)).items} >= {mine, other_club}
    assert (await api.moderation_queue(author)).total == 0 and not await api.moderates_any(author)
    with pytest.raises(api.NotAllowed):
        await api.approve(moderator, "post", other_club)
    await api.approve(moderator, "post", mine)
    with pytest.raises(api.Conflict):
        await api.approve(moderator, "post", mine)
    with pytest.raises(Invalid, match="reason"):
        await api.reject(hq_staff, "post", other_club, "  ")
    await api.reject(hq_staff, "post", other_club, "与本俱乐部无关")
    inbox = await db.fetch('SELECT title, body FROM inbox_message WHERE "user" = $1 ORDER BY id', author.id)
    assert [m["title"] for m in inbox] == ["Published: 第一篇", "Not published: 另一个俱乐部"]
    assert "与本俱乐部无关" in inbox[1]["body"]
    actions = await db.fetch("SELECT action, actor_name FROM audit_log WHERE entity = 'cnt_post' AND action IN"
                             " ('approve', 'reject') AND entity_id = ANY($1::text[]) ORDER BY id",
                             [str(mine), str(other_club)])
    assert [(a["action"], a["actor_name"]) for a in actions] == [("approve", moderator.name),
                                                                  ("reject", hq_staff.name)]


@pytest.mark.req("ORG-05")
async def test_comments_are_pre_moderated(db, club, make_user):
    author, reader, moderator = await make_user("作者"), await make_user("读者"), await make_user("管理员")
    club.moderators.add(moderator.id)
    post_id = await api.create_post(moderator, club.owner, kind="post", body="欢迎留言")
    comment = await api.add_comment(reader, "post", post_id, "说得好")
    assert await api.comment_status(comment) == "pending"
    assert [c["body"] for c in await api.list_comments("post", post_id, reader)] == ["说得好"]
    assert await api.list_comments("post", post_id, author) == []
    assert await api.list_comments("post", post_id, None) == []
    await api.approve(moderator, "comment", comment)
    assert [c["body"] for c in await api.list_comments("post", post_id, None)] == ["说得好"]
    await api.set_moderation(moderator, club.owner, "comment", False)
    direct = await api.add_comment(author, "post", post_id, "我也来一句")
    assert await api.comment_status(direct) == "published"
    pending_post = await api.create_post(author, club.owner, kind="message", body="待审留言")
    with pytest.raises(api.NotFound):  # an unpublished item cannot be commented on
        await api.add_comment(reader, "post", pending_post, "抢沙发")
    with pytest.raises(Invalid):
        await api.add_comment(reader, "post", post_id, " ")


async def _as(client, actor) -> None:
    assert (await login(client, actor.name, PASSWORD)).status_code == 303


@pytest.mark.req("CLS-04")
async def test_desktop_queue_approve_and_reject_with_confirmation(client, db, club, make_user):
    author, moderator = await make_user("作者"), await make_user("联络员")
    club.members.add(author.id)
    club.moderators.add(moderator.id)
    await _word(db, "内部消息")
    first = await api.create_post(author, club.owner, kind="story", title="聚会", body="聚会照片和内部消息")
    second = await api.create_post(author, club.owner, kind="story", body="第二篇故事")
    await _as(client, author)
    assert (await client.get("/admin/content/moderation")).status_code == 403  # not a moderator anywhere
    await _as(client, moderator)
    page = await client.get("/admin/content/moderation")
    assert page.status_code == 200 and "聚会照片和内部消息" in page.text and "测试俱乐部1" in page.text
    assert "Sensitive words: 内部消息" in page.text
    token = csrf_from(page.text)
    done = await client.post(f"/admin/content/moderation/post/{first}/approve",
                             data={"_csrf_token": token, "next": "/admin/content/moderation"})
    assert done.status_code == 303 and done.headers["location"] == "/admin/content/moderation"
    confirm = await client.get(f"/admin/content/moderation/post/{second}/reject")
    assert confirm.status_code == 200 and "第二篇故事" in confirm.text and 'name="reason"' in confirm.text
    missing = await client.post(f"/admin/content/moderation/post/{second}/reject", data={"_csrf_token": token})
    assert missing.status_code == 422 and "Give a reason" in missing.text
    rejected = await client.post(f"/admin/content/moderation/post/{second}/reject",
                                 data={"_csrf_token": token, "reason": "内容重复"})
    assert rejected.status_code == 303
    rows = {r["id"]: r for r in await db.fetch("SELECT id, status, reject_reason FROM cnt_post")}
    assert rows[first]["status"] == "published" and rows[second]["status"] == "rejected"
    assert rows[second]["reject_reason"] == "内容重复"
    assert "Nothing waits for moderation" in (await client.get("/admin/content/moderation")).text


@pytest.mark.req("CLS-04")
async def test_phone_queue_approve_and_reject(client, db, club, make_user):
    author, moderator = await make_user("作者"), await make_user("会长")
    club.members.add(author.id)
    club.moderators.add(moderator.id)
    album = await api.create_album(author, club.owner, "春游")
    await _as(client, moderator)
    page = await client.get("/h5/content/moderation?kind=album")
    assert page.status_code == 200 and "春游" in page.text and 'class="h5' in page.text
    token = csrf_from(page.text)
    confirm = await client.get(f"/h5/content/moderation/album/{album}/reject?next=/h5/content/moderation")
    assert "春游" in confirm.text and "Reason (the author is shown it)" in confirm.text
    answer = await client.post(f"/h5/content/moderation/album/{album}/reject",
                               data={"_csrf_token": token, "reason": "请补充说明", "next": "/h5/content/moderation"})
    assert answer.status_code == 303 and answer.headers["location"] == "/h5/content/moderation"
    assert await db.fetchval("SELECT status FROM cnt_album WHERE id = $1", album) == "rejected"
    assert (await client.get(f"/h5/content/moderation/album/{album}/reject")).status_code == 404  # decided


@pytest.mark.req("ORG-05")
async def test_commenting_through_the_form(client, db, club, make_user):
    reader = await make_user("读者")
    article = await _hq_article(db)
    await _as(client, reader)
    page = await client.get(f"/h5/news/{article}")
    assert page.status_code == 200 and 'action="/content/comments"' in page.text
    token = csrf_from(page.text)
    posted = await client.post("/content/comments", data={"_csrf_token": token, "target_kind": "article",
                                                          "target_id": str(article), "body": "祝贺母校",
                                                          "next": f"/h5/news/{article}"})
    assert posted.status_code == 303 and posted.headers["location"] == f"/h5/news/{article}#comments"
    shown = await client.get(f"/h5/news/{article}")
    assert "祝贺母校" in shown.text and "Awaiting moderation" in shown.text
    long = "很长" * 600
    refused = await client.post("/content/comments", data={"_csrf_token": token, "target_kind": "article",
                                                           "target_id": str(article), "body": long,
                                                           "next": f"/h5/news/{article}"})
    assert refused.status_code == 422 and "At most 1000 characters" in refused.text and long in refused.text
    client.cookies.clear()
    assert "祝贺母校" not in (await client.get(f"/h5/news/{article}")).text  # others do not see it yet


@pytest.mark.req("CLS-04")
async def test_a_flood_of_comments_is_slowed_down(db, club, make_user, monkeypatch):
    reader, moderator = await make_user("读者"), await make_user("管理员")
    club.moderators.add(moderator.id)
    post_id = await api.create_post(moderator, club.owner, kind="post", body="欢迎留言")
    monkeypatch.setitem(compliance.LIMITS, "comment", (2, 600))
    await api.add_comment(reader, "post", post_id, "一")
    await api.add_comment(reader, "post", post_id, "二")
    with pytest.raises(Invalid, match="too fast"):
        await api.add_comment(reader, "post", post_id, "三")
    assert await api.add_comment(await make_user("另一位"), "post", post_id, "别人不受影响")  # counted per person
