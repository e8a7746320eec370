"""Chats and groups (IM-01 … IM-05) through the phone pages and the services: sending, the size limit, unread
counts and read receipts, a form posted twice, someone else's conversation, groups and their limit, recall."""
import pytest

from app.core import settings_store
from app.core.forms import Conflict, Invalid
from app.im import conversations, messages
from tests.helpers import csrf_from
from tests.im.helpers import actor_of


@pytest.mark.req("IM-01", "IM-03", "IM-05")
async def test_direct_chat_unread_and_read_receipt(as_user, db):
    bob = await actor_of("hq")
    client = await as_user("alumnus")
    listing = await client.get("/h5/im")
    assert listing.status_code == 200 and listing.text.count('class="im-row') == 1  # the official channel only
    started = await client.post("/h5/im/direct", data={"_csrf_token": csrf_from(listing.text), "user": "hq"})
    assert started.status_code == 303
    conversation = int(started.headers["location"].rsplit("/", 1)[1])
    page = await client.get(f"/h5/im/c/{conversation}")
    ref = page.text.split('name="client_ref" value="')[1].split('"')[0]
    form = {"_csrf_token": csrf_from(page.text), "body": "学长好 👋 <b>hi</b>", "client_ref": ref}
    assert (await client.post(f"/h5/im/c/{conversation}", data=form)).status_code == 303
    assert (await client.post(f"/h5/im/c/{conversation}", data=form)).status_code == 303  # the same form again
    assert await db.fetchval("SELECT count(*) FROM im_message WHERE conversation = $1", conversation) == 1

    page = await client.get(f"/h5/im/c/{conversation}")
    assert "学长好 👋 &lt;b&gt;hi&lt;/b&gt;" in page.text  # escaped, never markup
    assert "im-receipt" in page.text and "已送达" not in page.text and ">Sent<" in page.text or "已发送" in page.text
    assert await conversations.unread_total(bob.id) == 1
    rows = (await conversations.chat_list(bob.id, conversations.PageRequest())).items
    assert rows[0]["unread"] == 1 and rows[0]["title"]
    newest = await db.fetchval("SELECT max(id) FROM im_message WHERE conversation = $1", conversation)
    await messages.mark_read(bob, conversation, newest)
    assert await conversations.unread_total(bob.id) == 0
    receipt = (await messages.receipts(conversation, (await actor_of("alumnus")).id, [newest]))[newest]
    assert receipt["read"] == 1 and receipt["delivered"] == 1


@pytest.mark.req("IM-01")
async def test_message_over_the_limit_is_refused_and_kept(as_user, db):
    client = await as_user("alumnus")
    me = await actor_of("alumnus")
    conversation = await conversations.direct(me, (await actor_of("hq")).id)
    page = await client.get(f"/h5/im/c/{conversation}")
    long_text = "长" * 682 + "xxx"  # 2,049 bytes in UTF-8
    refused = await client.post(f"/h5/im/c/{conversation}", data={"_csrf_token": csrf_from(page.text),
                                                                    "body": long_text})
    assert refused.status_code == 422
    assert long_text in refused.text and "2049" in refused.text  # the text is not lost, the size is named
    assert await db.fetchval("SELECT count(*) FROM im_message") == 0
    ok = "长" * 682 + "xx"  # 2,048 bytes: allowed
    assert await messages.send(me, conversation, ok)
    with pytest.raises(Invalid):
        await messages.send(me, conversation, "   ")


@pytest.mark.req("IM-01", "IM-11")
async def test_someone_elses_conversation_is_not_found_and_audited(as_user, db):
    a, b = await actor_of("hq"), await actor_of("cs_admin")
    theirs = await conversations.direct(a, b.id)
    await messages.send(a, theirs, "私事")
    client = await as_user("alumnus")
    assert (await client.get(f"/h5/im/c/{theirs}")).status_code == 404
    page = await client.get("/h5/im")
    posted = await client.post(f"/h5/im/c/{theirs}", data={"_csrf_token": csrf_from(page.text), "body": "偷看"})
    assert posted.status_code == 404
    assert await db.fetchval("SELECT count(*) FROM im_message WHERE conversation = $1", theirs) == 1
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'im_conversation' AND action = 'refused'"
                             " AND entity_id = $1", str(theirs)) == 2


@pytest.mark.req("IM-02")
async def test_group_members_admins_and_limit(db):
    owner, one, two, three = [await actor_of(u) for u in ("hq", "cs_admin", "em_admin", "alumnus")]
    await settings_store.put("im.group_limit", 3)
    group = await conversations.create_group(owner, "校友会筹备组", [one.id])
    await messages.send(one, group, "大家好")
    with pytest.raises(Conflict):
        await conversations.add_members(one, group, [two.id])  # a member is not an admin
    assert await conversations.add_members(owner, group, [two.id]) == 1
    with pytest.raises(Invalid):
        await conversations.add_members(owner, group, [three.id])  # 4 > the limit of 3
    assert await db.fetchval("SELECT count(*) FROM im_member WHERE conversation = $1", group) == 3
    with pytest.raises(conversations.NotMember):
        await messages.send(three, group, "我不在群里")
    assert await conversations.unread_total(two.id) == 1  # joined later, still sees the history
    with pytest.raises(Invalid):
        await conversations.create_group(owner, "", [one.id])


@pytest.mark.req("IM-04")
async def test_recall_inside_and_after_the_window(as_user, db):
    me, other = await actor_of("alumnus"), await actor_of("hq")
    conversation = await conversations.direct(me, other.id)
    early = await messages.send(me, conversation, "发错了")
    late = await messages.send(me, conversation, "这条留着")
    with pytest.raises(conversations.NotMember):
        await messages.recall(other, early)  # only the sender
    client = await as_user("alumnus")
    page = await client.get(f"/h5/im/c/{conversation}")
    done = await client.post(f"/h5/im/m/{early}/recall", data={"_csrf_token": csrf_from(page.text),
                                                               "conversation": str(conversation)})
    assert done.status_code == 303
    row = await db.fetchrow("SELECT body, recalled_at FROM im_message WHERE id = $1", early)
    assert row["body"] == "" and row["recalled_at"] is not None
    assert "发错了" not in (await client.get(f"/h5/im/c/{conversation}")).text
    assert await db.fetchval("SELECT before->>'body' FROM audit_log WHERE action = 'recall'") == "发错了"
    await db.execute("UPDATE im_message SET created_at = now() - interval '3 minutes' WHERE id = $1", late)
    with pytest.raises(Conflict):
        await messages.recall(me, late)
    assert await db.fetchval("SELECT body FROM im_message WHERE id = $1", late) == "这条留着"
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'refused' AND entity = 'im_message'"
                             " AND summary = 'recall after the window'") == 1
