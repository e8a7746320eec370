"""The expert panorama (EXP-16): one admin page with the record, the schedule of coming reviews, invitations with
their fees, the tags and the before/after history."""
from datetime import UTC, datetime, timedelta

import pytest

from app.core.audit import SYSTEM, Actor
from app.experts import experts, fees, invitations, tags
from app.support import users


@pytest.mark.req("EXP-16")
async def test_panorama_shows_schedule_invitations_fees_tags_and_changes(as_user, db):
    user_id = await users.create_user(SYSTEM, username="pano_expert", name="全景", password="Demo2026pass!x",
                                      kind="registered")
    expert_id = await experts.create(SYSTEM, {"name": "全景专家", "phone": "17760000001", "title": "中级"},
                                     user_id=user_id)
    await experts.update(SYSTEM, expert_id, {**await experts.get(expert_id), "title": "高级"})
    coming = await invitations.invite(SYSTEM, expert_id, "manual:1", "2027年度科研项目评审",
                                      datetime.now(UTC) + timedelta(days=5), place="行政楼 301")
    past = await invitations.invite(SYSTEM, expert_id, "manual:2", "图书馆设备采购评审",
                                    datetime.now(UTC) + timedelta(days=1))
    me = Actor(user_id, "pano_expert")
    await invitations.respond(me, coming, "accept", expert_id=expert_id)
    await invitations.respond(me, past, "accept", expert_id=expert_id)
    await fees.set_fee(SYSTEM, past, "评审 3 个标包", "800")
    group = await tags.save_group(SYSTEM, {"name": "专家组别"})
    tag = await tags.save_tag(SYSTEM, {"group": str(group), "name": "资深评委"})
    await tags.tag_experts(SYSTEM, tag, [expert_id])

    admin = await as_user("admin")
    page = (await admin.get(f"/admin/experts/{expert_id}")).text
    schedule = page.split('id="expert-invitations"')[1].split("</ul>")[0]
    assert "2027年度科研项目评审" in schedule and "行政楼 301" in schedule
    assert "图书馆设备采购评审" in page and "800.00" in page  # the fee of an invitation
    assert "资深评委" in page.split('id="expert-tags"')[1]
    history = page.split('id="expert-history"')[1]
    assert "中级" in history and "高级" in history and "Professional title" in history
