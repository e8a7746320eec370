"""Batch update (REC-13): filters choose the records (count first), values are validated, confirmed and
applied as one batch with a change row per person and field; rollback restores the DB; scope holds."""
import pytest

from app.core.audit import SYSTEM
from app.records import batch_update, rollback
from app.records.api import PersonFilters
from tests.helpers import csrf_from
from tests.records.merge_helpers import diff, org, snapshot

pytestmark = pytest.mark.req("REC-13")


async def test_apply_and_roll_back_round_trip(db):
    await db.execute("INSERT INTO rec_field (code, label, kind) VALUES ('hobby', '爱好', 'text')")
    cs = await org("CS")
    filters = PersonFilters(college=cs)
    expected = await batch_update.count_targets(SYSTEM, filters)
    assert expected > 0
    before = await snapshot()
    batch, changed = await batch_update.apply(SYSTEM, filters, {"job_title": "批量职务", "hobby": "围棋",
                                                                "is_key": True})
    assert changed == expected
    titles = await db.fetch("SELECT DISTINCT p.job_title FROM rec_person p WHERE p.status = 'active' AND EXISTS"
                            " (SELECT 1 FROM rec_education e WHERE e.person = p.id AND e.college = $1)", cs)
    assert [r["job_title"] for r in titles] == ["批量职务"]
    assert await db.fetchval("SELECT count(*) FROM rec_person WHERE custom->>'hobby' = '围棋'") == expected
    per_field = await db.fetch("SELECT field, count(*) AS n FROM rec_change WHERE batch = $1 GROUP BY field"
                               " ORDER BY field", batch)
    assert {r["field"] for r in per_field} == {"job_title", "custom.hobby", "is_key"}
    assert all(r["n"] <= expected for r in per_field)
    assert await db.fetchval("SELECT kind FROM rec_batch WHERE id = $1", batch) == "batch_update"
    await rollback.rollback_batch(SYSTEM, batch)
    assert not diff(before, await snapshot())


async def test_form_counts_confirms_and_applies_within_scope(db, as_user):
    client = await as_user("cs_admin")
    em_before = await db.fetch("SELECT p.id, p.job_title FROM rec_person p JOIN org_node o ON o.id = p.org"
                               " WHERE o.path LIKE (SELECT path FROM org_node WHERE code = 'EM') || '%' ORDER BY p.id")
    visible = await db.fetchval("SELECT count(*) FROM rec_person p JOIN org_node o ON o.id = p.org WHERE p.status ="
                                " 'active' AND p.secrecy <= 1 AND o.path LIKE (SELECT path FROM org_node WHERE"
                                " code = 'CS') || '%'")
    page = await client.get("/admin/records/batch-update?fields=job_title&fields=birthday")
    assert page.status_code == 200
    assert f'data-count="{visible}"' in page.text
    token = csrf_from(page.text)
    bad = await client.post("/admin/records/batch-update", data={
        "fields": ["job_title", "birthday"], "v_job_title": "x", "v_birthday": "not a date", "_csrf_token": token})
    assert bad.status_code == 422 and "Enter a date as YYYY-MM-DD." in bad.text
    review = await client.post("/admin/records/batch-update", data={
        "fields": ["job_title"], "v_job_title": "学院统一职务", "_csrf_token": token})
    assert review.status_code == 200 and 'name="confirmed"' in review.text
    assert not await db.fetchval("SELECT count(*) FROM rec_person WHERE job_title = '学院统一职务'")
    done = await client.post("/admin/records/batch-update", data={
        "fields": ["job_title"], "v_job_title": "学院统一职务", "confirmed": "1", "_csrf_token": token})
    assert done.status_code == 303
    assert await db.fetchval("SELECT count(*) FROM rec_person WHERE job_title = '学院统一职务'") == visible
    em_after = await db.fetch("SELECT p.id, p.job_title FROM rec_person p JOIN org_node o ON o.id = p.org"
                              " WHERE o.path LIKE (SELECT path FROM org_node WHERE code = 'EM') || '%' ORDER BY p.id")
    assert em_after == em_before  # cs_admin cannot touch EM records


async def test_secrecy_above_clearance_is_refused(db, as_user):
    client = await as_user("cs_admin")
    page = await client.get("/admin/records/batch-update?fields=secrecy")
    response = await client.post("/admin/records/batch-update", data={
        "fields": ["secrecy"], "v_secrecy": "3", "confirmed": "1", "_csrf_token": csrf_from(page.text)})
    assert response.status_code == 422
    assert not await db.fetchval("SELECT count(*) FROM rec_person WHERE secrecy = 3 AND job_title = ''"
                                 " AND updated_by IS NOT NULL")


@pytest.mark.req("REC-11")
@pytest.mark.req("REC-16")
async def test_pages_answer_htmx_fragments_and_chinese(db, as_user):
    client = await as_user("hq")
    htmx = {"hx-request": "true", "hx-target": "results"}
    for url in ("/admin/records/duplicates", "/admin/records/changes", "/admin/records/changes/batches",
                "/admin/records/batch-update?kind=alumni"):
        fragment = await client.get(url, headers=htmx)
        assert fragment.status_code == 200, url
        assert "<html" not in fragment.text, url
        page = await client.get(url, headers={"accept-language": "zh-CN"})
        assert page.status_code == 200, url
