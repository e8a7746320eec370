"""The official operations account (IM-06): everyone sees its channel with the verified badge, only the account
posts there (staff broadcast as it), a user's feedback opens a 1:1 chat that staff answer as the account."""
import pytest

from app.core.forms import Conflict
from app.im import messages, official
from tests.helpers import csrf_from
from tests.im.helpers import actor_of


@pytest.mark.req("IM-06")
async def test_broadcast_reaches_everyone_feedback_is_answered_as_the_account(as_user, db):
    client = await as_user("alumnus")
    listing = await client.get("/h5/im")
    assert "✔" in listing.text
    channel = await official.channel_id()
    assert f"/h5/im/c/{channel}" in listing.text

    admin = await as_user("admin")
    desk = await admin.get("/admin/im/official")
    assert desk.status_code == 200
    sent = await admin.post("/admin/im/official/broadcast", data={"_csrf_token": csrf_from(desk.text),
                                                                 "body": "系统将于周六凌晨维护"})
    assert sent.status_code == 303
    assert await db.fetchval("SELECT actor_name FROM audit_log WHERE action = 'broadcast'") == "admin"

    client = await as_user("alumnus")
    page = await client.get(f"/h5/im/c/{channel}")
    assert "系统将于周六凌晨维护" in page.text and 'id="im-send"' not in page.text
    with pytest.raises(Conflict):
        await messages.send(await actor_of("alumnus"), channel, "我也想发")
    started = await client.post("/h5/im/official/feedback", data={"_csrf_token": csrf_from(page.text)})
    assert started.status_code == 303
    chat = int(started.headers["location"].rsplit("/", 1)[1])
    await messages.send(await actor_of("alumnus"), chat, "维护时能登录吗？")

    admin = await as_user("admin")
    desk = await admin.get("/admin/im/official")
    assert "维护时能登录吗" in desk.text and f"/admin/im/official/feedback/{chat}" in desk.text
    thread = await admin.get(f"/admin/im/official/feedback/{chat}")
    done = await admin.post(f"/admin/im/official/feedback/{chat}", data={"_csrf_token": csrf_from(thread.text),
                                                                        "body": "维护期间暂停登录"})
    assert done.status_code == 303
    reply = await db.fetchrow("SELECT sender, body FROM im_message WHERE conversation = $1 ORDER BY id DESC LIMIT 1",
                              chat)
    assert reply["sender"] == await official.account_id() and reply["body"] == "维护期间暂停登录"
    assert await db.fetchval("SELECT actor_name FROM audit_log WHERE action = 'reply_as_official'") == "admin"
    other = await as_user("cs_admin")  # a college admin: no im.official
    assert (await other.get(f"/admin/im/official/feedback/{chat}")).status_code in (403, 404)
