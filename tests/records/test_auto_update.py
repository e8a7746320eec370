"""Auto-update from alumni's own changes (REC-15): per-field rules overwrite / fill if empty / review;
review opens a todo for editors in the person's scope; its page applies or rejects."""
import pytest

from app.core.audit import SYSTEM
from app.records import auto_update
from tests.helpers import csrf_from
from tests.records.merge_helpers import person

pytestmark = pytest.mark.req("REC-15")


async def _rule(field: str, mode: str) -> None:
    await auto_update.save_rule(SYSTEM, None, field, mode)


async def test_overwrite_fill_and_review(db):
    pid = await person("自助甲", employer="旧单位", job_title="", phone="13911110000")
    await _rule("employer", "overwrite")
    await _rule("job_title", "fill_empty")
    await _rule("region", "fill_empty")
    await db.execute("UPDATE rec_person SET region = '110100' WHERE id = $1", pid)
    result = await auto_update.apply_self_update(pid, {"employer": "新单位", "job_title": "经理", "region": "310100",
                                                       "phone": "13922220000", "secrecy": 3, "bogus": 1},
                                                 "self_service")
    assert sorted(result["applied"]) == ["employer", "job_title"]
    assert result["review"] == ["phone"]  # no rule: review by default
    assert sorted(result["ignored"]) == ["bogus", "region", "secrecy"]
    row = await db.fetchrow("SELECT employer, job_title, region, phone, secrecy FROM rec_person WHERE id = $1", pid)
    assert row == {"employer": "新单位", "job_title": "经理", "region": "110100", "phone": "13911110000", "secrecy": 0}
    rows = await db.fetch("SELECT field, method FROM rec_change WHERE person = $1 AND field <> ''", pid)
    methods = {r["field"]: r["method"] for r in rows}
    assert methods == {"employer": "self", "job_title": "auto"}
    todo = await db.fetchrow("SELECT * FROM todo WHERE kind = 'rec.review' AND status = 'open'")
    assert todo["permission"] == "rec.person.edit" and todo["org_id"] == await db.fetchval(
        "SELECT org FROM rec_person WHERE id = $1", pid)


async def test_review_page_applies_and_closes_todo(db, as_user):
    pid = await person("自助乙", phone="13911110000", employer="甲")
    await auto_update.apply_self_update(pid, {"phone": "13933330000", "employer": "乙"}, "events")
    proposal = await db.fetchval("SELECT id FROM rec_proposal WHERE person = $1", pid)
    todo_url = await db.fetchval("SELECT url FROM todo WHERE ref = $1", f"rec_proposal:{proposal}")
    em = await as_user("em_admin")
    assert (await em.get(todo_url)).status_code == 404  # outside EM's scope
    client = await as_user("cs_admin")
    page = await client.get(todo_url)
    assert page.status_code == 200 and "乙" in page.text
    response = await client.post(todo_url, data={"decision": "apply", "accept": ["employer"],
                                                 "_csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    row = await db.fetchrow("SELECT employer, phone FROM rec_person WHERE id = $1", pid)
    assert row == {"employer": "乙", "phone": "13911110000"}
    assert await db.fetchval("SELECT status FROM todo WHERE ref = $1", f"rec_proposal:{proposal}") == "done"
    again = await client.post(todo_url, data={"decision": "reject", "_csrf_token": csrf_from(page.text)})
    assert again.status_code == 422 and "already decided" in again.text


async def test_reject_and_rules_page(db, as_user):
    pid = await person("自助丙", employer="甲")
    await auto_update.apply_self_update(pid, {"employer": "乙"}, "class_space")
    proposal = await db.fetchval("SELECT id FROM rec_proposal WHERE person = $1", pid)
    client = await as_user("hq")
    page = await client.get(f"/admin/records/proposals/{proposal}")
    response = await client.post(f"/admin/records/proposals/{proposal}",
                                 data={"decision": "reject", "_csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    assert await db.fetchval("SELECT employer FROM rec_person WHERE id = $1", pid) == "甲"
    assert await db.fetchval("SELECT status FROM rec_proposal WHERE id = $1", proposal) == "rejected"
    rules = await client.get("/admin/records/rules")
    assert rules.status_code == 200 and "Name and birthday" in rules.text
    saved = await client.post("/admin/records/rules/auto", data={"field": "employer", "mode": "overwrite",
                                                                 "_csrf_token": csrf_from(rules.text)})
    assert saved.status_code == 303
    assert await db.fetchval("SELECT mode FROM rec_rule WHERE kind = 'auto_update' AND field = 'employer'") == \
        "overwrite"
    client = await as_user("cs_admin")
    assert (await client.get("/admin/records/rules")).status_code == 403
