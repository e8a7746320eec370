"""Class generation (CLS-01): classes from the records' class field (class node, or college + entry year + class
name), idempotent (a second run changes no row), names following the records, a class the records dropped kept
and marked, never deleted; an alumnus applies for a class the records lack and the college approves it."""
from __future__ import annotations

import pytest

from tests.classes.factories import (
    class_by_key,
    class_node,
    generate,
    make_person,
    make_user,
    named_class,
    org_id,
    user_id,
)
from tests.helpers import csrf_from, login


async def _snapshot(db) -> tuple[list, list]:
    classes = await db.fetch("SELECT * FROM classes_class ORDER BY id")
    members = await db.fetch("SELECT * FROM classes_member ORDER BY id")
    return classes, members


@pytest.mark.req("CLS-01")
async def test_generation_creates_classes_and_a_second_run_changes_nothing(db):
    from app.classes import classes

    node = await class_node("软件工程2015级7班")
    alice = await make_user("gen_alice", "林同学")
    await make_person("林同学", node=node, user=alice)
    await make_person("邓同学", node=node)
    for name in ("冯同学", "韩同学", "陶同学"):
        await make_person(name, class_name="网络工程 2015级3班")  # the spacing differs from the row below
    await make_person("葛同学", class_name="网络工程2015级3班")

    first = await generate()
    assert first["created"] == 2 and first["joined"] == 1
    by_node = await class_by_key(classes.node_key(node))
    cs = await org_id("CS")
    assert (by_node["name"], by_node["college"], by_node["entry_year"]) == ("软件工程2015级7班", cs, 2015)
    assert (by_node["roster_size"], by_node["linked_count"], by_node["source"]) == (2, 1, "records")
    named = await named_class("CS", 2015, "网络工程2015级3班")
    assert named is not None and named["roster_size"] == 4 and named["class_node"] is None
    assert await db.fetchval("SELECT count(*) FROM classes_class WHERE name LIKE '网络工程%2015级3班'") == 1
    member = await db.fetchrow("SELECT * FROM classes_member WHERE class_id = $1", by_node["id"])
    assert (member["user"], member["source"], member["status"]) == (alice, "records", "active")

    before = await _snapshot(db)
    audits = await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'classes_class'")
    second = await generate()
    assert {k: v for k, v in second.items() if k != "classes"} == {
        "created": 0, "renamed": 0, "updated": 0, "stale": 0, "revived": 0, "joined": 0}
    assert await _snapshot(db) == before  # the same rows, to the timestamp
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'classes_class'") == audits


@pytest.mark.req("CLS-01")
async def test_a_renamed_class_node_renames_the_class_and_a_dropped_class_is_kept_as_stale(db):
    from app.classes import classes

    node = await class_node("人工智能2016级1班")
    bob = await make_user("gen_bob")
    person = await make_person("鲍同学", node=node, user=bob, entry_year=2016)
    await generate()
    klass = await class_by_key(classes.node_key(node))

    await db.execute("UPDATE org_node SET name = '人工智能2016级一班' WHERE id = $1", node)
    result = await generate()
    assert result["renamed"] == 1 and result["created"] == 0
    renamed = await class_by_key(classes.node_key(node))
    assert renamed["id"] == klass["id"] and renamed["name"] == "人工智能2016级一班"
    entry = await db.fetchrow("SELECT before, after FROM audit_log WHERE entity = 'classes_class' AND action = 'rename'"
                              " AND entity_id = $1", str(klass["id"]))
    assert entry is not None and "人工智能2016级一班" in entry["after"]

    # the records drop the class: it stays, with its member, marked "no longer in the records"
    await db.execute("DELETE FROM rec_education WHERE person = $1", person)
    assert (await generate())["stale"] == 1
    stale = await class_by_key(classes.node_key(node))
    assert stale["status"] == "stale" and stale["stale_since"] is not None
    assert await db.fetchval("SELECT status FROM classes_member WHERE class_id = $1", klass["id"]) == "active"
    # and it comes back when the records hold it again
    await db.execute("INSERT INTO rec_education (person, college, class_node, entry_year) VALUES ($1, $2, $3, 2016)",
                     person, await org_id("CS"), node)
    assert (await generate())["revived"] == 1
    assert (await class_by_key(classes.node_key(node)))["status"] == "active"


@pytest.mark.req("CLS-01")
async def test_admin_list_is_scoped_searchable_and_runs_the_generation(as_user, db):
    await make_person("滕同学", class_name="日语2017级5班", college="FL", entry_year=2017)
    await make_person("伍同学", class_name="数据科学2017级5班", college="CS", entry_year=2017)
    await generate()
    client = await as_user("cs_admin")
    page = await client.get("/admin/classes", params={"entry_year": "2017", "q": "2017级5班"})
    assert page.status_code == 200
    assert "数据科学2017级5班" in page.text and "日语2017级5班" not in page.text  # FL is outside cs_admin's scope
    fl_class = await named_class("FL", 2017, "日语2017级5班")
    denied = await client.get(f"/admin/classes/{fl_class['id']}")
    assert denied.status_code == 403
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'classes_class' AND action = 'denied'"
                             " AND entity_id = $1", str(fl_class["id"])) == 1
    hq = await as_user("hq")
    listing = await hq.get("/admin/classes", params={"college": str(await org_id("FL")), "entry_year": "2017"})
    assert "日语2017级5班" in listing.text and "数据科学2017级5班" not in listing.text
    run = await hq.post("/admin/classes/generate", data={"_csrf_token": csrf_from(listing.text)})
    assert run.status_code == 303
    assert await db.fetchval("SELECT count(*) FROM job WHERE kind = 'cls.generate' AND status = 'queued'") == 1


async def _apply(client, **data):
    page = await client.get("/h5/classes/apply")
    assert page.status_code == 200
    return await client.post("/h5/classes/apply", data={"_csrf_token": csrf_from(page.text), **data})


@pytest.mark.req("CLS-01")
async def test_an_alumnus_applies_for_a_class_and_the_college_approves_it(client, db):
    applicant = await make_user("gen_applicant", "申同学")
    await login(client, "gen_applicant", "Demo2026pass")
    cs = str(await org_id("CS"))
    missing = await _apply(client, college=cs, entry_year="", class_name="")
    assert missing.status_code == 422 and "This field is required." in missing.text
    sent = await _apply(client, college=cs, entry_year="2009", class_name="软件工程2009级9班", note="我是班长")
    assert sent.status_code == 303
    application = await db.fetchrow("SELECT * FROM classes_application WHERE \"user\" = $1", applicant)
    assert application["status"] == "pending"
    again = await _apply(client, college=cs, entry_year="2009", class_name="软件工程2009级9班")
    assert again.status_code == 422 and "You have already applied for this class" in again.text
    todo = await db.fetchrow("SELECT permission, org_id, url FROM todo WHERE ref = $1 AND status = 'open'",
                             f"cls.application:{application['id']}")
    assert (todo["permission"], todo["org_id"]) == ("classes.manage", int(cs))

    await login(client, "em_admin", "Demo2026pass")
    assert (await client.get(todo["url"])).status_code == 403  # another college's application
    await login(client, "cs_admin", "Demo2026pass")
    listing = await client.get("/admin/classes/applications")
    assert "软件工程2009级9班" in listing.text
    detail = await client.get(todo["url"])
    no_reason = await client.post(f"{todo['url']}/reject", data={"_csrf_token": csrf_from(detail.text), "reason": ""})
    assert no_reason.status_code == 422 and "Give the applicant a reason." in no_reason.text
    approved = await client.post(f"{todo['url']}/approve", data={"_csrf_token": csrf_from(detail.text)})
    assert approved.status_code == 303

    klass = await named_class("CS", 2009, "软件工程2009级9班")
    assert klass["source"] == "applied" and approved.headers["location"] == f"/admin/classes/{klass['id']}"
    assert await db.fetchval("SELECT status FROM classes_member WHERE class_id = $1 AND \"user\" = $2", klass["id"],
                             applicant) == "active"
    assert await db.fetchval("SELECT status FROM todo WHERE ref = $1", f"cls.application:{application['id']}") == "done"
    assert await db.fetchval("SELECT count(*) FROM inbox_message WHERE \"user\" = $1 AND template_code ="
                             " 'cls_application_approved'", applicant) == 1
    assert await db.fetchval("SELECT reviewer FROM classes_application WHERE id = $1", application["id"]) == \
        await user_id("cs_admin")

    # the records learn of the class later: the same class gets their roster, no second class appears
    await make_person("申同学", class_name="软件工程2009级9班", entry_year=2009)
    await generate()
    after = await named_class("CS", 2009, "软件工程2009级9班")
    assert (after["id"], after["source"], after["roster_size"]) == (klass["id"], "applied", 1)
    # applying for a class that exists is refused with a pointer to joining it
    await login(client, "gen_applicant", "Demo2026pass")
    exists = await _apply(client, college=cs, entry_year="2009", class_name="软件工程 2009级9班")
    assert exists.status_code == 422 and "This class exists already" in exists.text
