"""Rollback engine (REC-16, used by REC-08/12/13): undo a change or a batch, exactly; refuse when a later
change touched the same field; the rollback is logged and audited."""
from datetime import date

import pytest

from app.core.audit import SYSTEM
from app.core.forms import Conflict
from app.records import changes, rollback, service
from tests.helpers import csrf_from
from tests.records.merge_helpers import diff, person, snapshot

pytestmark = pytest.mark.req("REC-16")


async def test_roll_back_one_field_change(db):
    pid = await person("回滚甲", employer="旧公司")
    before = await snapshot()
    await service.update_person(SYSTEM, pid, {"employer": "新公司", "name": "回滚乙"})
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
    await service.update_person(SYSTEM, pid, {"employer": "B"})
    first = await db.fetchval("SELECT max(id) FROM rec_change WHERE person = $1 AND field = 'employer'", pid)
    await service.update_person(SYSTEM, pid, {"employer": "C"})
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
    new_id = await service.create_person(SYSTEM, {"name": "导入人", "birthday": date(1991, 1, 2)},
                                         [{"degree": "21", "entry_year": 2009}], method="import", batch=batch)
    existing = before["rec_person"][0]["id"]
    await service.update_person(SYSTEM, existing, {"job_title": "导入职务", "custom": {"hobby": "围棋"}},
                                method="import", batch=batch)
    edu = await db.fetchval("SELECT id FROM rec_education WHERE person = $1", existing)
    await service.update_education(SYSTEM, existing, edu, {"major": "导入专业"}, method="import", batch=batch)
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
    new_id = await service.create_person(SYSTEM, {"name": "后改人"}, method="import", batch=batch)
    await service.update_person(SYSTEM, new_id, {"employer": "手工"})
    with pytest.raises(rollback.RollbackConflict):
        await rollback.rollback_batch(SYSTEM, batch)
    assert await db.fetchval("SELECT count(*) FROM rec_person WHERE id = $1", new_id) == 1


async def test_update_log_pages_and_rollback_over_http(db, as_user):
    pid = await person("日志人", employer="甲公司")
    await service.update_person(SYSTEM, pid, {"employer": "乙公司"})
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
    new_id = await service.create_person(SYSTEM, {"name": "冲突导入人"}, method="import", batch=batch)
    await service.update_person(SYSTEM, new_id, {"employer": "手工改"})
    client = await as_user("hq")
    confirm = await client.get(f"/admin/records/changes/batches/{batch}/rollback")
    response = await client.post(f"/admin/records/changes/batches/{batch}/rollback",
                                 data={"_csrf_token": csrf_from(confirm.text)})
    assert response.status_code == 409
    assert "Roll back the later one first" in response.text
    assert await db.fetchval("SELECT status FROM rec_batch WHERE id = $1", batch) == "done"
