"""Group management, @mentions through mute, and sign-off messages (IM-02, IM-05) on the phone pages."""
import pytest

from app.core.forms import Conflict
from app.im import conversations, messages, signoffs
from tests.helpers import csrf_from
from tests.im.helpers import actor_of


@pytest.mark.req("IM-02")
async def test_owner_appoints_admin_who_adds_and_removes_members_then_leave(as_user, db):
    owner, admin, member, newcomer = [await actor_of(u) for u in ("alumnus", "hq", "cs_admin", "em_admin")]
    group = await conversations.create_group(owner, "理事会", [admin.id, member.id])
    client = await as_user("alumnus")
    page = await client.get(f"/h5/im/c/{group}/info")
    assert page.status_code == 200 and f'id="member-{member.id}"' in page.text
    done = await client.post(f"/h5/im/c/{group}/role", data={"_csrf_token": csrf_from(page.text),
                                                            "user": str(admin.id), "role": "admin"})
    assert done.status_code == 303
    await conversations.add_members(admin, group, [newcomer.id])
    await conversations.remove_member(admin, group, member.id)
    with pytest.raises(Conflict):
        await conversations.remove_member(admin, group, owner.id)
    names = {m["id"] for m in await conversations.members(group)}
    assert names == {owner.id, admin.id, newcomer.id}
    with pytest.raises(conversations.NotMember):
        await messages.send(member, group, "我还在吗")

    other = await as_user("em_admin")
    confirm = await other.get(f"/h5/im/c/{group}/leave")
    assert confirm.status_code == 200
    left = await other.post(f"/h5/im/c/{group}/leave", data={"_csrf_token": csrf_from(confirm.text)})
    assert left.status_code == 303
    assert await conversations.member(group, newcomer.id) is None
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'im_conversation'"
                             " AND action IN ('set_role', 'remove', 'leave', 'add_members')") == 4


@pytest.mark.req("IM-02")
async def test_mute_hides_the_badge_but_not_an_at_mention(db):
    owner, me = await actor_of("hq"), await actor_of("alumnus")
    name = await db.fetchval("SELECT name FROM app_user WHERE id = $1", me.id)
    group = await conversations.create_group(owner, "大群", [me.id])
    await conversations.set_muted(me, group, True)
    await messages.send(owner, group, "闲聊一句")
    assert await conversations.unread_total(me.id) == 0
    mention = await messages.send(owner, group, f"@{name} 请看一下")
    assert await conversations.unread_total(me.id) == 1
    row = (await messages.by_ids([mention]))[mention]
    assert row["mentions"] == [me.id]


@pytest.mark.req("IM-05")
async def test_signoff_content_only_after_signing_and_reminders(as_user, db):
    sender, one, two = await actor_of("hq"), await actor_of("alumnus"), await actor_of("cs_admin")
    group = await conversations.create_group(sender, "通知群", [one.id, two.id])
    message = await signoffs.send(sender, group, "明早九点开会，请签收")
    client = await as_user("alumnus")
    chat = await client.get(f"/h5/im/c/{group}")
    assert "明早九点开会" not in chat.text and f"/h5/im/m/{message}" in chat.text
    page = await client.get(f"/h5/im/m/{message}")
    assert "明早九点开会" not in page.text and 'id="im-sign"' in page.text
    signed = await client.post(f"/h5/im/m/{message}/sign", data={"_csrf_token": csrf_from(page.text)})
    assert signed.status_code == 303
    assert "明早九点开会" in (await client.get(f"/h5/im/m/{message}")).text

    state = await signoffs.status(sender, message)
    assert [p["id"] for p in state["unsigned"]] == [two.id] and [p["id"] for p in state["signed"]] == [one.id]
    assert await signoffs.remind(sender, message) == 1
    assert await db.fetchval('SELECT count(*) FROM inbox_message WHERE "user" = $1', two.id) == 1
    with pytest.raises(conversations.NotMember):
        await signoffs.status(one, message)  # only the sender sees the list
