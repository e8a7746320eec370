"""Posts (ORG-07 guestbook, CLS-03 stories): who may write which kind, replies one level deep, featured
messages, pictures checked like album photos, deletion by the author or a moderator."""
from datetime import date

import pytest

from app.content import api
from app.core.forms import Invalid
from tests.content.conftest import jpeg


@pytest.mark.req("ORG-07")
async def test_guestbook_messages_replies_and_featured(db, club, make_user):
    visitor, admin = await make_user("访客校友"), await make_user("分会管理员")
    club.moderators.add(admin.id)
    # "message" is open to everyone who may comment (the visitor is no member); it waits for the admin
    message = await api.create_post(visitor, club.owner, kind="message", body="请问今年的年会什么时候举办？")
    assert (await api.list_posts(club.owner, kind="message", viewer=None)).total == 0
    await api.approve(admin, "post", message)
    reply = await api.create_post(admin, club.owner, kind="ignored", parent_id=message, body="定于12月20日，欢迎参加！")
    follow_up = await api.create_post(visitor, club.owner, kind="message", parent_id=reply, body="谢谢！")
    page = await api.list_posts(club.owner, kind="message", viewer=None)
    assert page.total == 1 and [r["body"] for r in page.items[0]["replies"]] == ["定于12月20日，欢迎参加！"]
    rows = {r["id"]: r for r in await db.fetch("SELECT id, kind, parent, status FROM cnt_post WHERE id = ANY($1)",
                                               [reply, follow_up])}
    assert rows[reply]["kind"] == "message" and rows[reply]["status"] == "published"  # the admin's reply: at once
    assert rows[follow_up]["parent"] == message and rows[follow_up]["status"] == "pending"  # one level deep
    mine = await api.list_posts(club.owner, kind="message", viewer=visitor)
    assert [r["body"] for r in mine.items[0]["replies"]] == ["定于12月20日，欢迎参加！", "谢谢！"]
    await api.feature(admin, message, True)
    featured = await api.list_posts(club.owner, kind="message", viewer=None, featured=True)
    assert [p["id"] for p in featured.items] == [message] and featured.items[0]["featured"]
    with pytest.raises(api.NotAllowed):
        await api.feature(visitor, message, False)
    with pytest.raises(Invalid):
        await api.create_post(visitor, club.owner, kind="message", parent_id=999999, body="回复不存在的留言")


@pytest.mark.req("ORG-07")
async def test_who_may_write_and_delete(db, club, make_user):
    member, stranger, admin = await make_user("会员"), await make_user("路人"), await make_user("管理员")
    club.members.add(member.id)
    club.moderators.add(admin.id)
    with pytest.raises(api.NotAllowed):  # a story needs can_post
        await api.create_post(stranger, club.owner, kind="story", body="我不是成员")
    story = await api.create_post(member, club.owner, kind="story", title="军训记忆", body="那年夏天……",
                                  happened_on=date(2008, 9, 1), images=[("a.jpg", jpeg(1600, 1200)),
                                                                        ("b.jpg", jpeg(300, 300))])
    with pytest.raises(Invalid, match="not a JPEG"):
        await api.create_post(member, club.owner, kind="story", body="图片不对", images=[("c.jpg", b"<svg/>")])
    with pytest.raises(Invalid):
        await api.create_post(member, club.owner, kind="story", body="")
    with pytest.raises(Invalid):
        await api.create_post(member, club.owner, kind="comment", body="保留的类型名")
    post = await api.get_post(story, member)
    assert post["happened_on"] == date(2008, 9, 1) and len(post["images"]) == 2
    assert post["images"][0]["thumb_url"].endswith("/thumb")
    with pytest.raises(api.NotAllowed):
        await api.delete_post(stranger, story)
    await api.delete_post(member, story)
    assert await db.fetchval("SELECT status FROM cnt_post WHERE id = $1", story) == "deleted"
    assert await db.fetchval("SELECT count(*) FROM cnt_photo WHERE parent_kind = 'post' AND parent_id = $1", story) == 0
    with pytest.raises(api.NotFound):
        await api.get_post(story, admin)
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'cnt_post' AND entity_id = $1",
                             str(story)) == 2  # created, deleted


@pytest.mark.req("ORG-07")
async def test_a_members_only_owner_refuses_outsiders(db, club, make_user):
    member, outsider = await make_user("会员"), await make_user("外人")
    club.public = False
    club.members.add(member.id)
    await api.create_post(member, club.owner, kind="message", body="仅会员可见")
    with pytest.raises(api.NotAllowed):
        await api.list_posts(club.owner, kind="message", viewer=outsider)
    with pytest.raises(api.NotAllowed):
        await api.create_post(outsider, club.owner, kind="message", body="外人留言")
    assert (await api.count_posts(club.owner)) == 0  # pending ones do not count
