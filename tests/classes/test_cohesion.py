"""Cohesion ranking (CLS-06, CLS-07): the breakdown's points add up to the score, a new post raises the class's
score after the job, changing the weights (audited) changes the ranking; the public ranking and breakdown pages;
and the class events hook (CLS-05) feeding the class page and the "events" factor."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from tests.classes.factories import class_node, generate, make_member, make_person, make_user, org_id
from tests.helpers import csrf_from


async def _compute():
    from app.classes import cohesion

    return await cohesion.compute()


async def _score(db, class_id: int) -> Decimal:
    return await db.fetchval("SELECT score FROM classes_cohesion_score WHERE class_id = $1", class_id)


async def _rank(db, class_id: int) -> int:
    return await db.fetchval("SELECT rank FROM classes_cohesion_score WHERE class_id = $1", class_id)


async def _two_classes(db) -> tuple[int, int, int]:
    """A: every classmate joined, no posts. B: one of four joined, but it posts. Returns (A, B, B's poster)."""
    from app.classes import classes

    a_node, b_node = await class_node("测试甲班"), await class_node("测试乙班")
    for i in range(2):
        user = await make_user(f"coh_a{i}")
        await make_person(f"甲{i}", node=a_node, user=user, entry_year=2018)
    poster = await make_user("coh_b0")
    await make_person("乙0", node=b_node, user=poster, entry_year=2018)
    for i in range(1, 4):
        await make_person(f"乙{i}", node=b_node, entry_year=2018)
    await generate()
    a = await db.fetchval("SELECT id FROM classes_class WHERE key = $1", classes.node_key(a_node))
    b = await db.fetchval("SELECT id FROM classes_class WHERE key = $1", classes.node_key(b_node))
    return a, b, poster


async def _post(class_id: int, author: int, n: int = 1) -> None:
    from app.content import api as content
    from app.core.audit import Actor

    for i in range(n):
        await content.create_post(Actor(author, "poster", is_superuser=True), ("class", class_id), kind="post",
                                  body=f"班级动态 {i}")


@pytest.mark.req("CLS-07")
async def test_the_breakdown_explains_every_point(db):
    from app.classes import cohesion

    a, b, poster = await _two_classes(db)
    await _post(b, poster, 2)
    await _compute()
    for class_id in (a, b):
        breakdown = await cohesion.breakdown(class_id)
        assert breakdown["score"] == breakdown["total"] == sum(line["points"] for line in breakdown["lines"])
        assert {line["factor"] for line in breakdown["lines"]} == set(cohesion.FACTORS)
        for line in breakdown["lines"]:
            assert line["points"] == cohesion.points(line["weight"], line["normalised"])
    lines = {line["factor"]: line for line in (await cohesion.breakdown(b))["lines"]}
    assert lines["members"]["raw"] == pytest.approx(0.25) and lines["verified"]["raw"] == pytest.approx(0.25)
    assert lines["posts"]["raw"] == 2 and lines["posts"]["normalised"] == pytest.approx(2 / 12)
    assert lines["events"]["raw"] == 0


@pytest.mark.req("CLS-06")
async def test_a_new_post_raises_the_score_after_the_job(as_user, db):
    from app.core import jobs

    _a, b, poster = await _two_classes(db)
    await _compute()
    before = await _score(db, b)
    await _post(b, poster)
    assert await _score(db, b) == before  # scores change only when the job runs
    client = await as_user("hq")
    rules = await client.get("/admin/classes/cohesion/rules")
    started = await client.post("/admin/classes/cohesion/run", data={"_csrf_token": csrf_from(rules.text)})
    assert started.status_code == 303
    job_id = await db.fetchval("SELECT id FROM job WHERE kind = 'cls.cohesion' ORDER BY id DESC LIMIT 1")
    for _ in range(50):
        if (await db.fetchval("SELECT status FROM job WHERE id = $1", job_id)) == "done":
            break
        await jobs.run_one("test-worker")
    assert await db.fetchval("SELECT status FROM job WHERE id = $1", job_id) == "done"
    assert await _score(db, b) > before


@pytest.mark.req("CLS-07")
async def test_weights_change_the_ranking_and_the_change_is_audited(as_user, db):
    a, b, poster = await _two_classes(db)
    await _post(b, poster, 5)
    await _compute()
    assert await _rank(db, a) < await _rank(db, b)  # members joined weigh most by default

    client = await as_user("hq")
    page = await client.get("/admin/classes/cohesion/rules")
    assert page.status_code == 200
    form = {"_csrf_token": csrf_from(page.text)}
    for factor in ("members", "verified", "posts", "photos", "events", "active"):
        form |= {f"weight_{factor}": "0", f"scale_{factor}": "10", f"enabled_{factor}": "on"}
    bad = await client.post("/admin/classes/cohesion/rules", data={**form, "weight_posts": "5000"})
    assert bad.status_code == 422 and "Enter a number from 0 to 1000." in bad.text
    none = await client.post("/admin/classes/cohesion/rules", data=form)
    assert none.status_code == 422 and "Enable at least one rule" in none.text
    saved = await client.post("/admin/classes/cohesion/rules", data={**form, "weight_posts": "100"})
    assert saved.status_code == 303
    entry = await db.fetchrow("SELECT before, after FROM audit_log WHERE entity = 'classes_cohesion_rule'"
                              " ORDER BY id DESC LIMIT 1")
    assert entry is not None and '"weight": 100' in entry["after"] and '"weight": 30' in entry["before"]
    await _compute()
    assert await _rank(db, b) < await _rank(db, a)

    ranking = await client.get("/admin/classes/cohesion", params={"college": str(await org_id("CS"))})
    assert ranking.status_code == 200 and "测试乙班" in ranking.text
    em = await as_user("em_admin")  # the admin ranking is limited to the admin's colleges
    scoped = await em.get("/admin/classes/cohesion")
    assert scoped.status_code == 200 and "测试乙班" not in scoped.text and "工商管理2010级2班" in scoped.text


@pytest.mark.req("CLS-06")
async def test_public_ranking_and_breakdown_pages(client, db):
    a, b, poster = await _two_classes(db)
    await _compute()
    page = await client.get("/h5/classes/ranking", params={"college": str(await org_id("CS")), "top": "100"})
    assert page.status_code == 200 and "测试甲班" in page.text and "工商管理2010级2班" not in page.text
    breakdown = await client.get(f"/h5/classes/{a}/cohesion")
    assert breakdown.status_code == 200 and "Members joined" in breakdown.text
    score = await _score(db, a)
    assert f"Score {score}" in breakdown.text and f'<th class="s total">{score}</th>' in breakdown.text


class _Events:
    """A stand-in for the operations module's class events (the CLS-05 hook)."""

    def __init__(self, class_id: int):
        self.class_id = class_id

    async def events(self, class_id: int, viewer) -> list[dict]:
        return [{"title": "十周年返校聚会", "url": "/h5/events/1", "starts_at": "2026-10-18"}] \
            if class_id == self.class_id else []

    async def counts(self, class_ids: list[int], since: datetime) -> dict[int, int]:
        return {self.class_id: 3} if self.class_id in class_ids else {}


@pytest.mark.req("CLS-05")
async def test_the_events_hook_feeds_the_class_page_and_the_events_factor(client, db):
    from app.classes import api, cohesion, events
    from tests.helpers import login

    a, _b, _poster = await _two_classes(db)
    member = await make_user("coh_events")
    await make_member(a, member)
    await login(client, "coh_events", "Demo2026pass")
    assert "No class events yet." in (await client.get(f"/h5/classes/{a}")).text
    provider = _Events(a)
    api.register_event_provider(provider)
    try:
        page = await client.get(f"/h5/classes/{a}")
        assert "十周年返校聚会" in page.text and 'href="/h5/events/1"' in page.text
        await _compute()
        lines = {line["factor"]: line for line in (await cohesion.breakdown(a))["lines"]}
        assert lines["events"]["raw"] == 3 and lines["events"]["points"] > 0
    finally:
        events.unregister(provider)


@pytest.mark.req("CLS-06")
async def test_members_of_the_top_classes_earn_points_once_a_month(db):
    a, _b, _poster = await _two_classes(db)
    await db.execute("UPDATE classes_cohesion_rule SET weight = 0 WHERE factor <> 'members'")
    await _compute()  # A (every classmate joined) shares the top rank
    assert await _rank(db, a) == 1
    members = [r["user"] for r in await db.fetch("SELECT \"user\" FROM classes_member WHERE class_id = $1", a)]
    earned = await db.fetchval("SELECT count(*) FROM pts_ledger WHERE action = 'class_cohesion_top'"
                               " AND user_id = ANY($1::int[])", members)
    assert earned == len(members) == 2
    await _compute()
    assert await db.fetchval("SELECT count(*) FROM pts_ledger WHERE action = 'class_cohesion_top'"
                             " AND user_id = ANY($1::int[])", members) == 2
