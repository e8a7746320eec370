"""Tags: manual tags CRUD and bulk assign/remove from the query results (REC-06); smart tags take their
members from a saved query, recomputed set-based by the rec.smart_tags job (REC-07). Viewers only see
members inside their scope; every write is audited."""
from urllib.parse import urlencode

import pytest

from app.core import jobs
from app.core.audit import SYSTEM
from app.records import api, query, saved_queries, tags
from tests.helpers import csrf_from
from tests.records.test_query import c, make_people, org


async def _tag_id(db, name: str) -> int:
    return await db.fetchval("SELECT id FROM rec_tag WHERE name = $1", name)


@pytest.mark.req("REC-06")
async def test_manual_tag_crud_and_bulk_assign_from_query_results(db, as_user):
    people = await make_people(db)
    client = await as_user("admin")
    page = await client.get("/admin/records/tags/new")
    token = csrf_from(page.text)
    bad = await client.post("/admin/records/tags", data={"name": "", "kind": "manual", "_csrf_token": token})
    assert bad.status_code == 422 and "Enter the tag name." in bad.text
    created = await client.post("/admin/records/tags", data={"name": "理事候选", "kind": "manual", "color": "green",
                                                            "org": "", "_csrf_token": token})
    assert created.status_code == 303
    tag_id = await _tag_id(db, "理事候选")
    dup = await client.post("/admin/records/tags", data={"name": "理事候选", "kind": "manual", "_csrf_token": token})
    assert dup.status_code == 422 and "A tag with this name already exists." in dup.text

    # bulk: select rows in the query results → choose the tag → applied
    tree = {"op": "and", "items": [c("employer", "contains", "QT-")]}
    url = "/admin/records/query?" + urlencode(query.encode(tree))
    results = await client.get(url)
    assert 'formaction="/admin/records/tags/bulk?mode=add' in results.text
    token = csrf_from(results.text)
    chosen = [people["A"], people["B"], people["C"]]
    step1 = await client.post(f"/admin/records/tags/bulk?mode=add&next={url}",
                              data={"ids": [str(i) for i in chosen], "_csrf_token": token})
    assert step1.status_code == 200 and "3 records selected." in step1.text and "理事候选" in step1.text
    step2 = await client.post("/admin/records/tags/apply", data={
        "ids": [str(i) for i in chosen], "tag": str(tag_id), "mode": "add", "next": url,
        "_csrf_token": csrf_from(step1.text)})
    assert step2.status_code == 303 and step2.headers["location"] == url
    members = {r["person"] for r in await db.fetch("SELECT person FROM rec_person_tag WHERE tag = $1", tag_id)}
    assert members == set(chosen)
    assert await db.fetchval("SELECT member_count FROM rec_tag WHERE id = $1", tag_id) == 3
    listing = await client.get("/admin/records/tags")
    assert "理事候选" in listing.text

    # bulk remove
    removed = await client.post("/admin/records/tags/apply", data={
        "ids": [str(people["A"]), str(people["C"])], "tag": str(tag_id), "mode": "remove", "next": url,
        "_csrf_token": token})
    assert removed.status_code == 303
    assert {r["person"] for r in await db.fetch("SELECT person FROM rec_person_tag WHERE tag = $1", tag_id)} == {
        people["B"]}
    assert await db.fetchval("SELECT member_count FROM rec_tag WHERE id = $1", tag_id) == 1

    # one record: add and remove on its tag page
    single = await client.get(f"/admin/records/{people['D']}/tags")
    assert single.status_code == 200
    await client.post(f"/admin/records/{people['D']}/tags", data={"tag": str(tag_id), "_csrf_token": token})
    assert await db.fetchval("SELECT count(*) FROM rec_person_tag WHERE tag = $1 AND person = $2", tag_id,
                             people["D"]) == 1
    await client.post(f"/admin/records/{people['D']}/tags", data={"remove": str(tag_id), "_csrf_token": token})
    assert not await db.fetchval("SELECT count(*) FROM rec_person_tag WHERE tag = $1 AND person = $2", tag_id,
                                 people["D"])

    actions = [r["action"] for r in await db.fetch(
        "SELECT action FROM audit_log WHERE entity = 'rec_tag' AND entity_id = $1 ORDER BY id", str(tag_id))]
    assert actions == ["create", "tag", "untag", "tag", "untag"]

    # edit and delete (confirmed)
    form = await client.get(f"/admin/records/tags/{tag_id}/edit")
    assert form.status_code == 200 and 'value="理事候选"' in form.text
    edited = await client.post(f"/admin/records/tags/{tag_id}", data={"name": "理事候选人", "color": "red", "org": "",
                                                                     "_csrf_token": token})
    assert edited.status_code == 303
    assert await db.fetchval("SELECT name FROM rec_tag WHERE id = $1", tag_id) == "理事候选人"
    confirm = await client.get(f"/admin/records/tags/{tag_id}/delete")
    assert confirm.status_code == 200 and "理事候选人" in confirm.text
    gone = await client.post(f"/admin/records/tags/{tag_id}/delete", data={"_csrf_token": csrf_from(confirm.text)})
    assert gone.status_code == 303 and not await db.fetchval("SELECT count(*) FROM rec_tag WHERE id = $1", tag_id)
    assert not await db.fetchval("SELECT count(*) FROM rec_person_tag WHERE tag = $1", tag_id)


@pytest.mark.req("REC-06")
async def test_scope_limits_tagging_and_members(db, as_user):
    people = await make_people(db)
    cs = await org("CS")
    tag_id = await tags.create_tag(SYSTEM, {"name": "全校标签", "kind": "manual"})
    await tags.assign(SYSTEM, tag_id, people.values())
    assert await db.fetchval("SELECT member_count FROM rec_tag WHERE id = $1", tag_id) == 4
    client = await as_user("cs_admin")
    members = await client.get(f"/admin/records/tags/{tag_id}")
    assert members.status_code == 200
    assert "甲测一" in members.text and "乙测二" in members.text
    assert "丙测三" not in members.text and "丁测四" not in members.text  # EM records stay hidden
    # cs_admin cannot untag an EM record even by posting its id
    token = csrf_from(members.text)
    await client.post("/admin/records/tags/apply", data={"ids": [str(people["C"]), str(people["A"])],
                                                        "tag": str(tag_id), "mode": "remove", "_csrf_token": token})
    left = {r["person"] for r in await db.fetch("SELECT person FROM rec_person_tag WHERE tag = $1", tag_id)}
    assert left == {people["B"], people["C"], people["D"]}
    # cs_admin's own tags must belong to a node in the CS subtree
    refused = await client.post("/admin/records/tags", data={"name": "学院标签", "kind": "manual", "org": "",
                                                            "_csrf_token": token})
    assert refused.status_code == 422 and "Choose the org node that owns this tag." in refused.text
    ok = await client.post("/admin/records/tags", data={"name": "学院标签", "kind": "manual", "org": str(cs),
                                                       "_csrf_token": token})
    assert ok.status_code == 303
    # whole-school tags are read-only for a college admin
    edit = await client.post(f"/admin/records/tags/{tag_id}", data={"name": "改名", "_csrf_token": token})
    assert edit.status_code == 422


@pytest.mark.req("REC-07")
async def test_smart_tag_recompute_adds_and_removes_members(db, as_user):
    people = await make_people(db)
    cs = await org("CS")
    tree = {"op": "and", "items": [c("employer", "contains", "QT-"), c("college", "eq", str(cs)),
                                   c("entry_year", "lt", "2013")]}
    saved_id = await saved_queries.save_query(SYSTEM, "计算机早年入学", tree, shared=True)
    client = await as_user("admin")
    page = await client.get("/admin/records/tags/new?kind=smart")
    token = csrf_from(page.text)
    missing = await client.post("/admin/records/tags", data={"name": "早年计算机", "kind": "smart", "org": "",
                                                            "_csrf_token": token})
    assert missing.status_code == 422 and "A smart tag needs a query: choose a saved query." in missing.text
    created = await client.post("/admin/records/tags", data={"name": "早年计算机", "kind": "smart", "org": "",
                                                            "saved_query": str(saved_id), "_csrf_token": token})
    assert created.status_code == 303, created.text[created.text.find("class=\"error"):][:300]
    tag_id = await _tag_id(db, "早年计算机")

    async def members() -> set[int]:
        return {r["person"] for r in await db.fetch("SELECT person FROM rec_person_tag WHERE tag = $1", tag_id)}

    assert await members() == {people["A"], people["B"]}  # computed on creation
    form = await client.get(f"/admin/records/tags/{tag_id}/edit")
    assert form.status_code == 200 and "Entry year is less than 2013" in form.text
    cs_name = await db.fetchval("SELECT name FROM org_node WHERE id = $1", cs)
    assert f"College equals {cs_name}" in form.text  # labels, not codes
    detail = await client.get(f"/admin/records/tags/{tag_id}")
    assert f"College equals {cs_name}" in detail.text
    tag = await db.fetchrow("SELECT member_count, computed_at FROM rec_tag WHERE id = $1", tag_id)
    assert tag["member_count"] == 2 and tag["computed_at"] is not None

    # data changes: B moves out of the query, D gains a matching education record
    b_edu = await db.fetchval("SELECT id FROM rec_education WHERE person = $1", people["B"])
    await api.update_education(SYSTEM, people["B"], b_edu, {"entry_year": 2015})
    await api.add_education(SYSTEM, people["D"], {"college": cs, "entry_year": 2010})
    assert await members() == {people["A"], people["B"]}  # not yet recomputed

    # on demand from the tag page: a job, then its status page
    detail = await client.get(f"/admin/records/tags/{tag_id}")
    assert "Recompute now" in detail.text
    started = await client.post(f"/admin/records/tags/{tag_id}/recompute", data={"_csrf_token": csrf_from(detail.text)})
    assert started.status_code == 303 and started.headers["location"].startswith("/admin/jobs/")
    job_id = int(started.headers["location"].rsplit("/", 1)[1])

    while await jobs.run_one("test"):
        pass
    assert (await jobs.get(job_id))["status"] == "done"
    assert await members() == {people["A"], people["D"]}
    assert await db.fetchval("SELECT member_count FROM rec_tag WHERE id = $1", tag_id) == 2
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'rec_tag' AND action = 'recompute'"
                             " AND entity_id = $1", str(tag_id)) == 2

    # smart tag members cannot be changed by hand
    refused = await client.post("/admin/records/tags/apply", data={
        "ids": [str(people["B"])], "tag": str(tag_id), "mode": "add", "_csrf_token": csrf_from(detail.text)})
    assert refused.status_code == 422
    # the daily run recomputes every smart tag
    assert "rec.smart_tags" in jobs.SCHEDULES
    await db.execute("DELETE FROM rec_person_tag WHERE tag = $1", tag_id)
    result = await tags.recompute_all()
    assert result["tags"] >= 1 and await members() == {people["A"], people["D"]}


@pytest.mark.req("REC-07")
async def test_recompute_is_set_based(db):
    """One DELETE and one INSERT … SELECT per tag, whatever the number of members."""
    await make_people(db)
    tag_id = await tags.create_tag(SYSTEM, {"name": "全部样本", "kind": "smart",
                                            "query": {"op": "and", "items": [c("employer", "contains", "QT-")]}})
    from app.core import db as core_db

    statements: list[str] = []
    original = core_db.fetch

    async def spy(sql, *args):
        statements.append(sql.split()[0])
        return await original(sql, *args)

    core_db.fetch = spy
    try:
        await db.execute("DELETE FROM rec_person_tag WHERE tag = $1", tag_id)
        await tags.recompute(tag_id)
    finally:
        core_db.fetch = original
    assert statements.count("INSERT") == 1 and statements.count("DELETE") == 1
    assert await db.fetchval("SELECT member_count FROM rec_tag WHERE id = $1", tag_id) == 4
