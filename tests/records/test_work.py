"""Work history rows (REC-01) edited on the person page with change log and rollback (REC-16); archive
files removed and restored by rolling the removal back."""
import pytest

from app.core.audit import SYSTEM
from app.records import rollback
from tests.helpers import csrf_from
from tests.records.test_people import PNG, _person


@pytest.mark.req("REC-01")
async def test_work_add_edit_delete_and_rollback(as_user, db):
    cs, em = await _person(db, "CS", secrecy=0), await _person(db, "EM", secrecy=0)
    client = await as_user("cs_admin")
    form = await client.get(f"/admin/records/{cs['id']}/works/new")
    assert form.status_code == 200
    token = csrf_from(form.text)
    bad = await client.post(f"/admin/records/{cs['id']}/works",
                            data={"_csrf_token": token, "employer": "", "job_title": "架构师",
                                  "start_date": "2020-05-01", "end_date": "2019-01-01"})
    assert bad.status_code == 422 and 'value="架构师"' in bad.text
    wrong_dates = await client.post(f"/admin/records/{cs['id']}/works",
                                    data={"_csrf_token": token, "employer": "华为", "start_date": "2020-05-01",
                                          "end_date": "2019-01-01"})
    assert wrong_dates.status_code == 422 and "The end date cannot be before the start date." in wrong_dates.text
    added = await client.post(f"/admin/records/{cs['id']}/works",
                              data={"_csrf_token": token, "employer": "华为", "job_title": "架构师",
                                    "start_date": "2020-05-01", "is_current": "on"})
    assert added.status_code == 303
    work_id = await db.fetchval("SELECT id FROM rec_work WHERE person = $1 AND employer = '华为'", cs["id"])
    page = await client.get(f"/admin/records/{cs['id']}?tab=work")
    assert "华为" in page.text and f"/admin/records/{cs['id']}/works/{work_id}/delete" in page.text
    edited = await client.post(f"/admin/records/{cs['id']}/works/{work_id}",
                               data={"_csrf_token": token, "employer": "华为", "job_title": "首席架构师",
                                     "start_date": "2020-05-01", "is_current": "on"})
    assert edited.status_code == 303
    assert await db.fetchval("SELECT job_title FROM rec_work WHERE id = $1", work_id) == "首席架构师"
    change = await db.fetchval("SELECT id FROM rec_change WHERE person = $1 AND section = 'work'"
                               " AND field = 'job_title'", cs["id"])
    await rollback.rollback_change(SYSTEM, change)
    assert await db.fetchval("SELECT job_title FROM rec_work WHERE id = $1", work_id) == "架构师"
    other = await as_user("em_admin")
    assert (await other.get(f"/admin/records/{cs['id']}/works/{work_id}")).status_code == 404
    client = await as_user("cs_admin")
    confirm = await client.get(f"/admin/records/{cs['id']}/works/{work_id}/delete")
    assert confirm.status_code == 200 and "华为" in confirm.text
    token = csrf_from(confirm.text)
    deleted = await client.post(f"/admin/records/{cs['id']}/works/{work_id}/delete", data={"_csrf_token": token})
    assert deleted.status_code == 303 and not await db.fetchval("SELECT 1 FROM rec_work WHERE id = $1", work_id)
    removal = await db.fetchval("SELECT id FROM rec_change WHERE person = $1 AND section = 'work' AND new IS NULL",
                                cs["id"])
    await rollback.rollback_change(SYSTEM, removal)
    assert await db.fetchval("SELECT employer FROM rec_work WHERE id = $1", work_id) == "华为"
    assert (await client.post(f"/admin/records/{em['id']}/works",
                              data={"_csrf_token": token, "employer": "越界"})).status_code == 404
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'rec_work' AND entity_id = $1",
                             str(work_id)) == 3


@pytest.mark.req("REC-01")
async def test_archive_file_removed_and_restored(as_user, db):
    cs = await _person(db, "CS", secrecy=0)
    client = await as_user("cs_admin")
    token = csrf_from((await client.get(f"/admin/records/{cs['id']}?tab=files")).text)
    uploaded = await client.post(f"/admin/records/{cs['id']}/files", data={"_csrf_token": token, "kind": "photo",
                                                                          "title": "毕业照"},
                                 files={"file": ("grad.png", PNG, "image/png")})
    assert uploaded.status_code == 303
    file_id = await db.fetchval("SELECT id FROM rec_file WHERE person = $1", cs["id"])
    confirm = await client.get(f"/admin/records/{cs['id']}/files/{file_id}/delete")
    assert confirm.status_code == 200 and "毕业照" in confirm.text
    removed = await client.post(f"/admin/records/{cs['id']}/files/{file_id}/delete", data={"_csrf_token": token})
    assert removed.status_code == 303
    assert (await client.get(f"/admin/records/{cs['id']}/files/{file_id}")).status_code == 404
    removal = await db.fetchval("SELECT id FROM rec_change WHERE person = $1 AND section = 'file' AND new IS NULL",
                                cs["id"])
    await rollback.rollback_change(SYSTEM, removal)
    restored = await client.get(f"/admin/records/{cs['id']}/files/{file_id}")
    assert restored.status_code == 200 and restored.content == PNG


@pytest.mark.req("REC-01")
async def test_id_type_on_the_form_and_saved(as_user, db):
    client = await as_user("admin")
    form = await client.get("/admin/records/new")
    assert 'name="id_type"' in form.text and "Passport" in form.text
    token = csrf_from(form.text)
    college = await db.fetchval("SELECT id FROM org_node WHERE code = 'CS'")
    base = {"_csrf_token": token, "name": "护照校友", "kind": "alumni", "org": str(college), "secrecy": "0",
            "id_number": "E12345678"}
    bad = await client.post("/admin/records", data=base | {"id_type": "moon"})
    assert bad.status_code == 422 and 'value="E12345678"' in bad.text
    saved = await client.post("/admin/records", data=base | {"id_type": "passport"})
    assert saved.status_code == 303, saved.text[:300]
    assert await db.fetchval("SELECT id_type FROM rec_person WHERE name = '护照校友'") == "passport"
