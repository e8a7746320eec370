"""Alumni-initiated events (OPS-03) and votes (OPS-04): a member proposes for their org; an event waits when the
org's rule asks for approval (published at once otherwise), a vote always waits with its options; the organisers
open it or turn it down with a reason the proposer reads; a non-member is refused."""
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.core.audit import SYSTEM
from app.core.forms import Invalid
from app.ops import access, events, votes
from app.orgs import orgs
from tests.helpers import csrf_from, login
from tests.ops.factories import PASSWORD, make_user
from tests.orgs.factories import add_member, make_org


async def _member_of_new_org(db, approval: bool):
    org = await make_org(f"p{uuid.uuid4().hex[:8]}")
    await orgs.update(SYSTEM, org, {"event_approval": approval})
    member = await make_user(db, "会员")
    await add_member(org, member.id)
    return org, member


@pytest.mark.req("OPS-03")
async def test_alumni_events_follow_the_orgs_rule(db):
    strict, member = await _member_of_new_org(db, True)
    start = datetime.now(UTC) + timedelta(days=3)
    values = {"title": "周末羽毛球", "starts_at": start, "ends_at": start + timedelta(hours=2)}
    event_id = await events.create_event(member, ("org", strict), values)
    assert (await events.get_event(event_id))["status"] == "pending"
    assert await db.fetchval("SELECT count(*) FROM todo WHERE ref = $1 AND status = 'open'",
                             f"ops_event:{event_id}") == 1
    relaxed, other = await _member_of_new_org(db, False)
    assert (await events.get_event(await events.create_event(other, ("org", relaxed), values)))["status"] \
        == "published"
    with pytest.raises(access.NotAllowed):
        await events.create_event(await make_user(db, "外人"), ("org", strict), values)


@pytest.mark.req("OPS-04")
async def test_alumni_vote_waits_for_approval(client, db):
    org, member = await _member_of_new_org(db, False)
    with pytest.raises(Invalid) as exc:
        await votes.propose(member, ("org", org), {"title": "年会地点"}, ["北京"])
    assert exc.value.field == "options"
    with pytest.raises(access.NotAllowed):
        await votes.propose(await make_user(db, "外人"), ("org", org), {"title": "年会地点"}, ["北京", "上海"])

    await login(client, member.name, PASSWORD)
    form = await client.get(f"/h5/votes/new?owner=org:{org}")
    assert form.status_code == 200
    token = csrf_from(form.text)
    bad = await client.post("/h5/votes/new", data={"_csrf_token": token, "owner": f"org:{org}", "title": "年会地点",
                                                   "options": "北京\n", "max_choices": "1"})
    assert bad.status_code == 422 and "at least two options" in bad.text and "年会地点" in bad.text
    done = await client.post("/h5/votes/new", data={"_csrf_token": token, "owner": f"org:{org}", "title": "年会地点",
                                                    "options": "北京\n上海\n杭州", "max_choices": "1"})
    assert done.status_code == 303
    vote_id = await db.fetchval("SELECT id FROM ops_vote WHERE created_by = $1", member.id)
    vote = await votes.get(vote_id)
    assert vote["status"] == "pending" and vote["verified_only"]
    assert [o["label"] for o in await votes.options(vote_id)] == ["北京", "上海", "杭州"]
    assert (await client.get(f"/h5/votes/{vote_id}")).status_code == 404  # not shown before approval
    with pytest.raises(access.NotAllowed):
        await votes.decide(member, vote_id, True)  # the proposer cannot approve it

    with pytest.raises(Invalid):
        await votes.decide(SYSTEM, vote_id, False, "")
    await votes.decide(SYSTEM, vote_id, True)
    assert (await votes.get(vote_id))["status"] == "open"
    assert await db.fetchval("SELECT count(*) FROM todo WHERE ref = $1 AND status = 'open'", f"ops_vote:{vote_id}") == 0
    assert "年会地点" in await db.fetchval("SELECT title FROM inbox_message WHERE \"user\" = $1 ORDER BY id DESC"
                                           " LIMIT 1", member.id)

    second = await votes.propose(member, ("org", org), {"title": "会费标准"}, ["100元", "200元"])
    await votes.decide(SYSTEM, second, False, "请先在理事会讨论")
    assert (await votes.get(second))["status"] == "closed"
