"""Org groups made by themselves (IM-02): opening the chat list creates the group of each association the user
belongs to, with its members; a member who joins later is added; one who left is not put back."""
import pytest

from app.im import conversations
from tests.orgs.factories import add_member, as_actor, make_org, make_user


@pytest.mark.req("IM-02")
async def test_org_group_created_with_members_and_joined_on_opening_the_chat_list(db):
    from app.im import source_groups

    org = await make_org("im-bj", "北京校友会", join_rule="open")
    (_a, first), (_b, second), (_c, later) = [await make_user(n) for n in ("甲", "乙", "丙")]
    await add_member(org, first)
    await add_member(org, second)
    assert await source_groups.ensure_for_user(first) == 1
    group = await db.fetchval("SELECT id FROM im_conversation WHERE source = $1", f"org:{org}")
    assert {m["id"] for m in await conversations.members(group)} == {first, second}
    assert await source_groups.ensure_for_user(first) == 0  # made once

    await add_member(org, later)
    assert await source_groups.ensure_for_user(later) == 1
    assert await conversations.member(group, later) is not None

    await conversations.remove_member(as_actor(second), group, second)  # leaves
    assert await source_groups.ensure_for_user(second) == 0
    assert await conversations.member(group, second) is None
