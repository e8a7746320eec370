"""Merge (REC-12): smart preselection, field picks, education combined, sections moved, the other record
marked merged; rollback restores both records exactly; scope."""
import pytest

from app.core.audit import SYSTEM
from app.records import api, merge, rollback
from tests.helpers import csrf_from
from tests.records.merge_helpers import diff, duplicate_pair, org, snapshot

pytestmark = pytest.mark.req("REC-12")


async def _add_sections(db, a: int, b: int) -> int:
    tag = await db.fetchval("INSERT INTO rec_tag (name) VALUES ('合并标签') RETURNING id")
    other_tag = await db.fetchval("INSERT INTO rec_tag (name) VALUES ('只在乙') RETURNING id")
    await db.execute("INSERT INTO rec_person_tag (person, tag) VALUES ($1, $3), ($2, $3), ($2, $4)", a, b, tag,
                     other_tag)
    await api.add_contact(SYSTEM, b, "phone", "乙的联络")
    await db.execute("INSERT INTO rec_interaction (person, kind, title) VALUES ($1, 'event', '校庆')", b)
    # b also has a master's record (moves) next to the identical bachelor's record (dropped)
    await api.add_education(SYSTEM, b, {"degree": "31", "college": await org("CS"), "major": "软件工程",
                                            "entry_year": 2012, "grad_year": 2015})
    return tag


async def test_smart_merge_preselects_non_empty_and_recent(db):
    a, b = await duplicate_pair()
    await api.update_person(SYSTEM, b, {"phone": "13900000003"})  # b's phone changed after a's
    plan = await merge.plan(SYSTEM, a, b)
    picks = {f.code: f.take_other for f in plan.differing}
    assert picks["email"] is True  # a has none
    assert picks["employer"] is False  # b has none
    assert picks["phone"] is True  # b's is more recent
    assert "name" not in picks  # equal values are not asked


async def test_merge_moves_sections_and_rolls_back_exactly(db):
    a, b = await duplicate_pair()
    await _add_sections(db, a, b)
    before = await snapshot()
    batch = await merge.merge(SYSTEM, a, b, ["email", "phone"])
    survivor = await db.fetchrow("SELECT * FROM rec_person WHERE id = $1", a)
    assert survivor["email"] == "dup@example.com" and survivor["phone"] == "13900000002"
    assert survivor["employer"] == "华为"
    other = await db.fetchrow("SELECT status, merged_into FROM rec_person WHERE id = $1", b)
    assert other == {"status": "merged", "merged_into": a}
    degrees = await db.fetch("SELECT degree FROM rec_education WHERE person = $1 ORDER BY degree", a)
    assert [r["degree"] for r in degrees] == ["21", "31"]  # identical bachelor's combined, master's moved
    assert await db.fetchval("SELECT count(*) FROM rec_education WHERE person = $1", b) == 0
    assert await db.fetchval("SELECT count(*) FROM rec_person_tag WHERE person = $1", a) == 2
    assert await db.fetchval("SELECT count(*) FROM rec_contact_log WHERE person = $1", a) == 1
    assert await db.fetchval("SELECT count(*) FROM rec_interaction WHERE person = $1", a) == 1
    assert await db.fetchval("SELECT kind FROM rec_batch WHERE id = $1", batch) == "merge"
    with pytest.raises(api.NotFound):
        await api.get_raw(SYSTEM, b)  # merged records leave the lists

    await rollback.rollback_batch(SYSTEM, batch)
    assert not diff(before, await snapshot())
    assert (await api.get_raw(SYSTEM, b))["status"] == "active"


async def test_merge_moves_the_login_account_and_rollback_relinks_it(db):
    a, b = await duplicate_pair()
    login = await db.fetchval("SELECT id FROM app_user WHERE username = 'liaison'")
    await db.execute('UPDATE rec_person SET "user" = $2 WHERE id = $1', b, login)
    before = await snapshot()
    batch = await merge.merge(SYSTEM, a, b, [])
    assert await db.fetchval('SELECT "user" FROM rec_person WHERE id = $1', a) == login
    assert await db.fetchval('SELECT "user" FROM rec_person WHERE id = $1', b) is None
    await rollback.rollback_batch(SYSTEM, batch)
    assert not diff(before, await snapshot())
    assert await db.fetchval('SELECT "user" FROM rec_person WHERE id = $1', b) == login


async def test_http_merge_form_and_scope(db, as_user):
    a, b = await duplicate_pair()
    client = await as_user("cs_admin")
    page = await client.get(f"/admin/records/merge?a={a}&b={b}")
    assert page.status_code == 200
    assert 'name="pick_email"' in page.text and 'name="pick_name"' not in page.text
    response = await client.post("/admin/records/merge", data={
        "survivor": str(a), "other": str(b), "pick_email": "other", "_csrf_token": csrf_from(page.text)})
    assert response.status_code == 303, response.text[:300]
    assert await db.fetchval("SELECT email FROM rec_person WHERE id = $1", a) == "dup@example.com"
    assert await db.fetchval("SELECT status FROM rec_person WHERE id = $1", b) == "merged"

    em_a, em_b = await duplicate_pair("EM")
    page = await client.get(f"/admin/records/merge?a={em_a}&b={em_b}")
    assert page.status_code == 404
    response = await client.post("/admin/records/merge", data={
        "survivor": str(em_a), "other": str(em_b), "pick_email": "other", "_csrf_token": csrf_from(page.text)})
    assert response.status_code == 404
    assert await db.fetchval("SELECT status FROM rec_person WHERE id = $1", em_b) == "active"
