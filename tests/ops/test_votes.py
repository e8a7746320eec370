"""Votes (OPS-04): up to N options per person and never twice (also under concurrency), the time window and the
verified-only rule refuse with a message and an audit entry, results follow the display rule, a burst from one
address is audited, the per-device rate limit holds."""
import asyncio

import pytest

from app.core.audit import SYSTEM
from app.core.forms import Conflict
from app.ops import votes
from tests.ops.factories import make_user


async def _vote(**values) -> tuple[int, list[int]]:
    vote_id = await votes.create(SYSTEM, {"title": "最美校友评选", "max_choices": 2, **values})
    ids = [await votes.add_option(SYSTEM, vote_id, name) for name in ("张教授", "李校友", "王学长")]
    await votes.set_status(SYSTEM, vote_id, "open")
    return vote_id, ids


@pytest.mark.req("OPS-04")
async def test_choices_limit_and_no_double_vote_under_concurrency(db):
    vote_id, ids = await _vote()
    person = await make_user(db, "投票人")
    results = await asyncio.gather(*(votes.cast(person, vote_id, [ids[0]]) for _ in range(10)),
                                   return_exceptions=True)
    assert sum(r for r in results if isinstance(r, int)) == 1
    assert await votes.cast(person, vote_id, [ids[0], ids[1]]) == 1  # the first one is already theirs
    with pytest.raises(Conflict, match="at most 2"):
        await votes.cast(person, vote_id, [ids[2]])
    assert await db.fetchval("SELECT count(*) FROM ops_ballot WHERE vote = $1", vote_id) == 2
    counts = {r["label"]: r["ballots"] for r in await votes.results_for(person, vote_id)}
    assert counts == {"张教授": 1, "李校友": 1, "王学长": 0}
    with pytest.raises(Conflict):
        await votes.add_option(SYSTEM, vote_id, "迟到的候选人")


@pytest.mark.req("OPS-04")
async def test_window_verified_results_rule_and_abuse(db):
    vote_id, ids = await _vote(verified_only=True, results="after_close")
    person = await make_user(db, "未认证")
    with pytest.raises(Conflict, match="verified alumni"):
        await votes.cast(person, vote_id, [ids[0]])
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'vote_refused' AND actor_id = $1",
                             person.id) == 1
    assert await votes.results_for(person, vote_id) is None  # after closing only
    assert await votes.results_for(SYSTEM, vote_id) is not None  # organisers always

    open_id, open_ids = await _vote(results="hidden")
    people = [await make_user(db, f"刷票{i}") for i in range(votes.BURST_BALLOTS + 2)]
    for p in people:
        await votes.cast(p, open_id, [open_ids[1]], ip="10.9.8.7")
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'vote_burst'") >= 1
    device_user = await make_user(db, "同一手机")
    other = [await make_user(db, f"换号{i}") for i in range(votes.PER_DEVICE[0])]
    for p in other:
        await votes.cast(p, open_id, [open_ids[0]], device="dev-1")
    with pytest.raises(Conflict, match="this device"):
        await votes.cast(device_user, open_id, [open_ids[0]], device="dev-1")
    await votes.set_status(SYSTEM, open_id, "closed")
    with pytest.raises(Conflict, match="not open"):
        await votes.cast(device_user, open_id, [open_ids[0]])


@pytest.mark.req("OPS-04")
async def test_vote_pages_without_js(as_user, client, db):
    from tests.helpers import csrf_from, login
    from tests.ops.factories import PASSWORD

    admin = await as_user("admin")
    page = await admin.get("/admin/ops/votes")
    token = csrf_from(page.text)
    made = await admin.post("/admin/ops/votes", data={"_csrf_token": token, "title": "校训征集投票",
                                                       "max_choices": "1", "results": "live"})
    vote_id = int(made.headers["location"].rsplit("/", 1)[-1])
    refused = await admin.post(f"/admin/ops/votes/{vote_id}/open", data={"_csrf_token": token})
    assert refused.status_code == 303 and (await votes.get(vote_id))["status"] == "draft"  # one option is too few
    for label in ("厚德载物", "自强不息"):
        await admin.post(f"/admin/ops/votes/{vote_id}/options", data={"_csrf_token": token, "label": label})
    await admin.post(f"/admin/ops/votes/{vote_id}/open", data={"_csrf_token": token})
    assert (await votes.get(vote_id))["status"] == "open"
    person = await make_user(db, "投票校友")
    await login(client, person.name, PASSWORD)
    phone = await client.get(f"/h5/votes/{vote_id}")
    assert phone.status_code == 200 and 'type="radio"' in phone.text and "tc_dev" in phone.headers.get("set-cookie", "")
    option = (await votes.options(vote_id))[1]["id"]
    cast = await client.post(f"/h5/votes/{vote_id}", data={"_csrf_token": csrf_from(phone.text), "option": str(option)})
    assert cast.status_code == 303
    after = await client.get(f"/h5/votes/{vote_id}")
    assert "your choice" in after.text and "自强不息 — 1" in after.text
    again = await client.post(f"/h5/votes/{vote_id}", data={"_csrf_token": csrf_from(phone.text),
                                                             "option": str((await votes.options(vote_id))[0]["id"])})
    assert again.status_code == 409 and "at most 1" in again.text
