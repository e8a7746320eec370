"""Governance (IM-11): idle temporary groups are purged (audited), chat pages carry the viewer's watermark, and
the statistics count what was sent."""
import pytest

from app.im import conversations, governance, messages
from tests.im.helpers import actor_of


@pytest.mark.req("IM-11")
async def test_idle_temporary_groups_are_purged_and_others_kept(db):
    owner, other = await actor_of("hq"), await actor_of("alumnus")
    idle = await conversations.create_group(owner, "临时讨论", [other.id], temporary=True)
    fresh = await conversations.create_group(owner, "今天的临时群", [other.id], temporary=True)
    kept = await conversations.create_group(owner, "长期群", [other.id])
    await messages.send(owner, fresh, "还在用")
    await db.execute("UPDATE im_conversation SET last_at = now() - interval '40 days',"
                     " created_at = now() - interval '40 days' WHERE id = ANY($1::bigint[])", [idle, kept])
    assert await governance.purge_idle_temporary() == {"deleted": 1}
    left = {r["id"] for r in await db.fetch("SELECT id FROM im_conversation")}
    assert idle not in left and {fresh, kept} <= left
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'purge'"
                             " AND entity = 'im_conversation'") == 1


@pytest.mark.req("IM-11")
async def test_watermark_names_the_viewer_and_stats_count_messages(as_user, db):
    me, other = await actor_of("alumnus"), await actor_of("hq")
    chat = await conversations.direct(me, other.id)
    group = await conversations.create_group(other, "统计群", [me.id])
    await messages.send(me, chat, "一")
    await messages.send(me, group, "二")
    await messages.send(other, group, "三")
    client = await as_user("alumnus")
    mark = await client.get("/h5/im/watermark.svg")
    assert mark.status_code == 200 and mark.headers["content-type"].startswith("image/svg+xml")
    assert "alumnus" in mark.text
    assert "watermark.svg" in (await client.get(f"/h5/im/c/{chat}")).text
    admin = await as_user("admin")
    page = (await admin.get("/admin/im/stats")).text
    assert 'id="im-direct">1<' in page and 'id="im-group">2<' in page and 'id="im-senders">2<' in page
