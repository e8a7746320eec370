"""Duplicate detection (REC-11): configurable rules find candidate pairs among visible records, with a
similarity score; rules are edited at /admin/records/rules."""
from datetime import date

import pytest

from app.core.audit import SYSTEM
from app.core.pagination import PageRequest
from app.records import dedupe
from tests.helpers import csrf_from
from tests.records.merge_helpers import duplicate_pair, person

pytestmark = pytest.mark.req("REC-11")


async def test_rules_find_pairs_with_similarity(db):
    a, b = await duplicate_pair()
    c = await person("另一人", id_number="11010519900506123X")
    d = await person("又一人", id_number="11010519900506123x")
    page = await dedupe.candidate_pairs(SYSTEM, PageRequest())
    pairs = {(r["a"], r["b"]): r for r in page.items}
    assert (a, b) in pairs and (c, d) in pairs
    assert pairs[(a, b)]["rules"] == ["Name and birthday"]
    # name, birthday, education equal; phone differs; email only on one side → 3 of 4
    assert pairs[(a, b)]["score"] == 75
    assert pairs[(c, d)]["rules"] == ["ID number"]
    only_phone = await dedupe.candidate_pairs(SYSTEM, PageRequest(), rule_id=await db.fetchval(
        "SELECT id FROM rec_rule WHERE name = 'Mobile phone'"))
    assert (a, b) not in {(r["a"], r["b"]) for r in only_phone.items}


async def test_three_of_a_kind_and_paging(db):
    ids = [await person("三胞胎", birthday=date(1988, 1, 1)) for _ in range(3)]
    page = await dedupe.candidate_pairs(SYSTEM, PageRequest(per_page=20))
    mine = {(r["a"], r["b"]) for r in page.items if r["a"] in ids}
    assert mine == {(ids[0], ids[1]), (ids[0], ids[2]), (ids[1], ids[2])}
    first = await dedupe.candidate_pairs(SYSTEM, PageRequest(page=1, per_page=20))
    assert first.total >= 3


async def test_scope_and_http(db, as_user):
    cs_pair = await duplicate_pair("CS")
    em_pair = await duplicate_pair("EM")
    client = await as_user("cs_admin")
    page = await client.get("/admin/records/duplicates")
    assert page.status_code == 200
    assert f"/admin/records/merge?a={cs_pair[0]}&amp;b={cs_pair[1]}" in page.text
    assert f"a={em_pair[0]}&amp;b={em_pair[1]}" not in page.text
    assert "75%" in page.text


async def test_rule_crud(db, as_user):
    client = await as_user("hq")
    page = await client.get("/admin/records/rules")
    token = csrf_from(page.text)
    bad = await client.post("/admin/records/rules/dedupe", data={"name": "空", "_csrf_token": token})
    assert bad.status_code == 422 and "Choose at least one field" in bad.text
    ok = await client.post("/admin/records/rules/dedupe", data={"name": "邮箱", "fields": ["email"], "enabled": "on",
                                                                "_csrf_token": token})
    assert ok.status_code == 303
    rule_id = await db.fetchval("SELECT id FROM rec_rule WHERE name = '邮箱'")
    assert await db.fetchval("SELECT fields FROM rec_rule WHERE id = $1", rule_id) == ["email"]
    await person("邮甲", email="same@example.com")
    await person("邮乙", email="SAME@example.com")
    listing = await client.get("/admin/records/duplicates")
    assert "邮箱" in listing.text
    confirm = await client.get(f"/admin/records/rules/{rule_id}/delete")
    gone = await client.post(f"/admin/records/rules/{rule_id}/delete", data={"_csrf_token": csrf_from(confirm.text)})
    assert gone.status_code == 303
    assert not await db.fetchval("SELECT count(*) FROM rec_rule WHERE id = $1", rule_id)
