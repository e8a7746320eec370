"""Rollback engine (REC-16, used by REC-08/12/13): undo a change or a batch, exactly (update stamps
included); refuse when a later change touched the same field; the rollback is logged and audited."""
from datetime import date

import pytest

from app.core.audit import SYSTEM, Actor
from app.core.forms import Conflict
from app.records import api, batch_update, changes, merge, rollback
from app.records.api import PersonFilters
from tests.helpers import csrf_from, post_form
from tests.records.merge_helpers import diff, duplicate_pair, org, person, snapshot

pytestmark = pytest.mark.req("REC-16")


async def test_roll_back_one_field_change(db):
    pid = await person("回滚甲", employer="旧公司")
    before = await snapshot()
    await api.update_person(SYSTEM, pid, {"employer": "新公司", "name": "回滚乙"})
    change_id = await db.fetchval("SELECT id FROM rec_change WHERE person = $1 AND field = 'employer'", pid)
    await rollback.rollback_change(SYSTEM, change_id)
    row = await db.fetchrow("SELECT name, employer FROM rec_person WHERE id = $1", pid)
    assert row == {"name": "回滚乙", "employer": "旧公司"}  # only that field came back
    assert await db.fetchval("SELECT rolled_back FROM rec_change WHERE id = $1", change_id)
    logged = await db.fetchrow("SELECT * FROM rec_change WHERE method = 'rollback' AND person = $1", pid)
    assert logged["field"] == "employer" and logged["new"] == '"旧公司"'
    name_change = await db.fetchval("SELECT id FROM rec_change WHERE person = $1 AND field = 'name'", pid)
    await rollback.rollback_change(SYSTEM, name_change)
    assert not diff(before, await snapshot())
    assert "回" in await db.fetchval("SELECT name_terms FROM rec_person WHERE id = $1", pid)
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'rollback' AND entity = 'rec_change'") == 2


async def test_later_change_on_same_field_blocks_rollback(db):
    pid = await person("冲突甲", employer="A")
    await api.update_person(SYSTEM, pid, {"employer": "B"})
    first = await db.fetchval("SELECT max(id) FROM rec_change WHERE person = $1 AND field = 'employer'", pid)
    await api.update_person(SYSTEM, pid, {"employer": "C"})
    second = await db.fetchval("SELECT max(id) FROM rec_change WHERE person = $1 AND field = 'employer'", pid)
    with pytest.raises(rollback.RollbackConflict) as err:
        await rollback.rollback_change(SYSTEM, first)
    assert "Roll back the later one first" in str(err.value)
    assert err.value.later[0]["id"] == second
    assert await db.fetchval("SELECT employer FROM rec_person WHERE id = $1", pid) == "C"
    # later one first, then the earlier one works
    await rollback.rollback_change(SYSTEM, second)
    await rollback.rollback_change(SYSTEM, first)
    assert await db.fetchval("SELECT employer FROM rec_person WHERE id = $1", pid) == "A"
    with pytest.raises(Conflict):
        await rollback.rollback_change(SYSTEM, first)


async def test_roll_back_a_batch_that_created_and_edited(db):
    before = await snapshot()
    batch = await changes.open_batch(SYSTEM, "import", "test import")
    new_id = await api.create_person(SYSTEM, {"name": "导入人", "birthday": date(1991, 1, 2)},
                                         [{"degree": "21", "entry_year": 2009}], method="import", batch=batch)
    existing = before["rec_person"][0]["id"]
    await api.update_person(SYSTEM, existing, {"job_title": "导入职务", "custom": {"hobby": "围棋"}},
                                method="import", batch=batch)
    edu = await db.fetchval("SELECT id FROM rec_education WHERE person = $1", existing)
    await api.update_education(SYSTEM, existing, edu, {"major": "导入专业"}, method="import", batch=batch)
    rb = await rollback.rollback_batch(SYSTEM, batch)
    assert not diff(before, await snapshot())
    assert await db.fetchval("SELECT count(*) FROM rec_person WHERE id = $1", new_id) == 0
    assert await db.fetchval("SELECT status FROM rec_batch WHERE id = $1", batch) == "rolled_back"
    assert await db.fetchval("SELECT kind FROM rec_batch WHERE id = $1", rb) == "rollback"
    assert not await db.fetchval("SELECT count(*) FROM rec_change WHERE batch = $1 AND NOT rolled_back", batch)
    with pytest.raises(Conflict):
        await rollback.rollback_batch(SYSTEM, batch)
    with pytest.raises(Conflict):
        await rollback.rollback_batch(SYSTEM, rb)


async def test_batch_blocked_by_later_edit_of_a_created_person(db):
    batch = await changes.open_batch(SYSTEM, "import", "test import")
    new_id = await api.create_person(SYSTEM, {"name": "后改人"}, method="import", batch=batch)
    await api.update_person(SYSTEM, new_id, {"employer": "手工"})
    with pytest.raises(rollback.RollbackConflict):
        await rollback.rollback_batch(SYSTEM, batch)
    assert await db.fetchval("SELECT count(*) FROM rec_person WHERE id = $1", new_id) == 1


async def test_update_log_pages_and_rollback_over_http(db, as_user):
    pid = await person("日志人", employer="甲公司")
    await api.update_person(SYSTEM, pid, {"employer": "乙公司"})
    change_id = await db.fetchval("SELECT id FROM rec_change WHERE person = $1 AND field = 'employer'", pid)
    client = await as_user("cs_admin")
    assert (await client.get("/admin/records/changes")).status_code == 403  # HQ only
    client = await as_user("hq")
    page = await client.get(f"/admin/records/changes?person={pid}&method=manual")
    assert page.status_code == 200 and "乙公司" in page.text and "甲公司" in page.text
    assert (await client.get("/admin/records/changes?from=bad")).status_code == 200
    confirm = await client.get(f"/admin/records/changes/{change_id}/rollback")
    assert confirm.status_code == 200 and "Roll back this change?" in confirm.text
    response = await client.post(f"/admin/records/changes/{change_id}/rollback",
                                 data={"_csrf_token": csrf_from(confirm.text)})
    assert response.status_code == 303
    assert await db.fetchval("SELECT employer FROM rec_person WHERE id = $1", pid) == "甲公司"
    log = await client.get(f"/admin/records/changes?person={pid}")
    assert "Rolled back" in log.text
    batches = await client.get("/admin/records/changes/batches")
    assert batches.status_code == 200 and "rollback" in batches.text


async def test_batch_rollback_conflict_is_shown(db, as_user):
    batch = await changes.open_batch(SYSTEM, "import", "冲突导入")
    new_id = await api.create_person(SYSTEM, {"name": "冲突导入人"}, method="import", batch=batch)
    await api.update_person(SYSTEM, new_id, {"employer": "手工改"})
    client = await as_user("hq")
    confirm = await client.get(f"/admin/records/changes/batches/{batch}/rollback")
    response = await client.post(f"/admin/records/changes/batches/{batch}/rollback",
                                 data={"_csrf_token": csrf_from(confirm.text)})
    assert response.status_code == 409
    assert "Roll back the later one first" in response.text
    assert await db.fetchval("SELECT status FROM rec_batch WHERE id = $1", batch) == "done"


# --- update stamps: a rollback puts updated_at / updated_by back ------------------------------------------

STAMPED = ("rec_person", "rec_education", "rec_work", "rec_contact_log", "rec_file")


async def _actor(db, username: str) -> Actor:
    return Actor(await db.fetchval("SELECT id FROM app_user WHERE username = $1", username), username,
                 is_superuser=True)


async def _age_stamps(db, username: str) -> dict:
    """Every record last changed long ago by `username` (distinct times), so a stamp a change left shows."""
    user_id = await db.fetchval("SELECT id FROM app_user WHERE username = $1", username)
    for table in STAMPED:
        await db.execute(f"UPDATE {table} SET updated_at = timestamptz '2020-03-04 05:06:07.123456+08'"
                         f" + id * interval '1 second', updated_by = $1", user_id)
    return await _stamps(db)


async def _stamps(db) -> dict:
    return {table: {r["id"]: (r["updated_at"], r["updated_by"])
                    for r in await db.fetch(f"SELECT id, updated_at, updated_by FROM {table} ORDER BY id")}
            for table in STAMPED}


def _changed(before: dict, after: dict, table: str = "rec_person") -> set[int]:
    return {k for k in before[table] if after[table].get(k) != before[table][k]}


async def test_batch_update_rollback_restores_updated_at_and_updated_by(db):
    filters = PersonFilters(college=await org("CS"))
    stamps = await _age_stamps(db, "hq")
    editor = await _actor(db, "cs_admin")
    batch, changed = await batch_update.apply(editor, filters, {"job_title": "批量职务", "is_key": True})
    touched = await _stamps(db)
    assert changed and len(_changed(stamps, touched)) == changed
    editor_id = editor.id
    assert {touched["rec_person"][k][1] for k in _changed(stamps, touched)} == {editor_id}
    await rollback.rollback_batch(await _actor(db, "admin"), batch)
    assert await _stamps(db) == stamps  # the stamps from before the change, not the change's nor the rollback's
    # the rollback itself stays visible: its own change batch and the audit log
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'rollback' AND entity = 'rec_batch'"
                             " AND entity_id = $1", str(batch)) == 1
    assert await db.fetchval("SELECT rolled_back_by FROM rec_batch WHERE id = $1", batch) == \
        await db.fetchval("SELECT id FROM app_user WHERE username = 'admin'")


async def test_import_rollback_restores_updated_at_and_updated_by(as_user, db):
    from tests.records.test_import import commit, sheet, template_headers, upload_and_check

    existing = await person("已有戊", phone="13955550000", employer="")
    client = await as_user("admin")
    headers = await template_headers(client)
    data = sheet(headers, [
        {"Name": "新导入", "College": "CS", "Entry year": 2019},
        {"Name": "已有戊", "Mobile phone": "13955550000", "Employer": "腾讯", "College": "CS", "Major": "人工智能"},
    ])
    batch_id = await upload_and_check(client, data)
    report = await client.get(f"/admin/imports/batch/{batch_id}")
    assert (await client.post(f"/admin/imports/batch/{batch_id}/duplicates", data={
        "_csrf_token": csrf_from(report.text), "apply_all": "overwrite"})).status_code == 303
    stamps = await _age_stamps(db, "hq")
    await commit(client, batch_id)
    imported = await _stamps(db)
    assert await db.fetchval("SELECT employer FROM rec_person WHERE id = $1", existing) == "腾讯"
    assert existing in _changed(stamps, imported)
    assert _changed(stamps, imported, "rec_education")  # the major was overwritten too
    rolled = await post_form(client, f"/admin/imports/batch/{batch_id}/rollback",
                             f"/admin/imports/batch/{batch_id}/rollback", {})
    assert rolled.status_code == 303
    assert await db.fetchval("SELECT employer FROM rec_person WHERE id = $1", existing) == ""
    assert await _stamps(db) == stamps


async def test_partial_rollback_keeps_the_stamp_of_changes_still_in_effect(db):
    pid = await person("戳甲", employer="甲", phone="13966660000")
    stamps = await _age_stamps(db, "hq")
    first, second = await _actor(db, "cs_admin"), await _actor(db, "em_admin")
    await api.update_person(first, pid, {"employer": "乙", "job_title": "经理"})  # one write, two fields
    after_first = (await _stamps(db))["rec_person"][pid]
    employer = await db.fetchval("SELECT id FROM rec_change WHERE person = $1 AND field = 'employer'", pid)
    title = await db.fetchval("SELECT id FROM rec_change WHERE person = $1 AND field = 'job_title'", pid)
    await rollback.rollback_change(SYSTEM, employer)
    assert (await _stamps(db))["rec_person"][pid] == after_first  # the job title change still stands
    await api.update_person(second, pid, {"phone": "13966660001"})
    after_second = (await _stamps(db))["rec_person"][pid]
    await rollback.rollback_change(SYSTEM, title)
    assert (await _stamps(db))["rec_person"][pid] == after_second  # a later change still stands
    phone = await db.fetchval("SELECT id FROM rec_change WHERE person = $1 AND field = 'phone'", pid)
    await rollback.rollback_change(SYSTEM, phone)
    assert (await _stamps(db))["rec_person"][pid] == stamps["rec_person"][pid]  # nothing left in effect


async def test_merge_and_deleted_row_rollback_restore_stamps(db):
    a, b = await duplicate_pair()
    await api.add_contact(SYSTEM, b, "phone", "乙的联络")
    stamps = await _age_stamps(db, "hq")
    editor = await _actor(db, "cs_admin")
    batch = await merge.merge(editor, a, b, ["email", "phone"])
    assert _changed(stamps, await _stamps(db)) == {a, b}
    await rollback.rollback_batch(SYSTEM, batch)
    assert await _stamps(db) == stamps
    # a deleted education record comes back with its own created/updated stamps
    edu = await db.fetchrow("SELECT * FROM rec_education WHERE person = $1", a)
    await api.delete_education(editor, a, edu["id"])
    change = await db.fetchval("SELECT max(id) FROM rec_change WHERE person = $1 AND section = 'education'", a)
    await rollback.rollback_change(SYSTEM, change)
    assert await db.fetchrow("SELECT * FROM rec_education WHERE id = $1", edu["id"]) == edu
