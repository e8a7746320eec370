"""Manual review of identity claims (IDV-03 desktop, IDV-04 phone): routed to the admins of the claimed
college by data scope, approved on the phone pages with a confirm step, rejected with a reason the applicant
sees, 403 outside the reviewer's colleges, and a claim on a record linked to another account refused."""
from __future__ import annotations

import json

import pytest

from tests.helpers import csrf_from, login
from tests.identity.test_claims import college_id, live_claim, make_person, make_user, submit_claim, valid_id

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


async def user_id_of(db, username: str) -> int:
    return await db.fetchval("SELECT id FROM app_user WHERE username = $1", username)


async def pending_claim(client, db, name: str, college: str = "CS", entry_year: int = 2004, *, evidence: bool = False):
    """An applicant (logged in on `client`) whose claim waits for review: no record has their entry year."""
    username, user_id = await make_user(name)
    await login(client, username, "Demo2026pass")
    response = await submit_claim(client, db, name, college=college, entry_year=entry_year)
    assert response.status_code == 303
    if evidence:
        page = await client.get("/h5/identity")
        await client.post("/h5/identity/claim/evidence", data={"_csrf_token": csrf_from(page.text), "note": ""},
                          files={"file": ("diploma.png", PNG, "image/png")})
    claim = await live_claim(db, user_id)
    assert claim["status"] == "pending"
    return username, user_id, claim


@pytest.mark.req("IDV-03")
async def test_review_todo_routed_to_the_college_admins_only(client, db):
    from app.core import todos

    _username, _uid, claim = await pending_claim(client, db, "周待审")
    todo = await db.fetchrow("SELECT permission, org_id FROM todo WHERE ref = $1 AND status = 'open'",
                             f"idn.claim:{claim['id']}")
    audience = set(await todos.users_for(todo["permission"], todo["org_id"]))
    assert await user_id_of(db, "cs_admin") in audience and await user_id_of(db, "hq") in audience
    assert await user_id_of(db, "em_admin") not in audience and await user_id_of(db, "bj_admin") not in audience
    # the reviewers were told (inbox), the EM admin was not
    url = f"/admin/identity/reviews/{claim['id']}"
    told = {r["user"] for r in await db.fetch("SELECT \"user\" FROM inbox_message WHERE template_code ="
                                              " 'todo_assigned' AND url = $1", url)}
    assert await user_id_of(db, "cs_admin") in told and await user_id_of(db, "em_admin") not in told


@pytest.mark.req("IDV-04")
async def test_cs_admin_approves_on_the_phone_and_the_applicant_sees_verified(client, db):
    person = await make_person(db, "吴手机", entry_year=2005, major="人工智能")
    username, user_id, claim = await pending_claim(client, db, "吴手机", entry_year=2004, evidence=True)
    await login(client, "cs_admin", "Demo2026pass")
    listing = await client.get("/h5/identity/reviews")
    assert listing.status_code == 200 and f'href="/h5/identity/reviews/{claim["id"]}"' in listing.text
    detail = await client.get(f"/h5/identity/reviews/{claim['id']}")
    assert detail.status_code == 200 and 'class="h5' in detail.text
    # the entry year typed was wrong: the candidates fall back to the name, the reviewer picks the record
    assert f'name="person" value="{person}"' in detail.text
    assert f"/admin/identity/reviews/{claim['id']}/evidence/0" in detail.text
    file = await client.get(f"/admin/identity/reviews/{claim['id']}/evidence/0")
    assert file.status_code == 200 and file.content == PNG
    confirm = await client.get(f"/h5/identity/reviews/{claim['id']}/approve?person={person}")
    assert confirm.status_code == 200 and f'name="person" value="{person}"' in confirm.text
    done = await client.post(f"/h5/identity/reviews/{claim['id']}/approve",
                             data={"person": str(person), "_csrf_token": csrf_from(confirm.text)})
    assert done.status_code == 303 and done.headers["location"] == "/h5/identity/reviews"
    claim = await live_claim(db, user_id)
    assert (claim["status"], claim["method"], claim["person"]) == ("verified", "manual", person)
    assert claim["reviewer"] == await user_id_of(db, "cs_admin")
    assert await db.fetchval("SELECT status FROM todo WHERE ref = $1", f"idn.claim:{claim['id']}") == "done"
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'idn_claim' AND action = 'verify'"
                             " AND entity_id = $1", str(claim["id"])) == 1
    await login(client, username, "Demo2026pass")
    page = await client.get("/h5/identity")
    assert "Verified" in page.text and "Manual review" in page.text
    inbox = await db.fetchrow("SELECT title, body FROM inbox_message WHERE \"user\" = $1"
                              " AND template_code = 'idn_claim_result'", user_id)
    assert inbox["title"] == "Your identity is verified" and "manual review" in inbox["body"]
    assert await db.fetchval("SELECT count(*) FROM delivery_log WHERE user_id = $1 AND template_code ="
                             " 'idn_claim_result' AND channel = 'sms'", user_id) == 1


@pytest.mark.req("IDV-03")
async def test_reject_needs_a_reason_the_applicant_sees(client, db):
    username, user_id, claim = await pending_claim(client, db, "郑驳回")
    await login(client, "cs_admin", "Demo2026pass")
    listing = await client.get("/admin/identity/reviews")
    assert f'href="/admin/identity/reviews/{claim["id"]}"' in listing.text
    detail = await client.get(f"/admin/identity/reviews/{claim['id']}")
    token = csrf_from(detail.text)
    empty = await client.post(f"/admin/identity/reviews/{claim['id']}/reject", data={"reason": " ",
                                                                                  "_csrf_token": token})
    assert empty.status_code == 422 and "Give the reason" in empty.text
    reason = "档案中没有这位校友，请补充毕业证书"
    done = await client.post(f"/admin/identity/reviews/{claim['id']}/reject",
                             data={"reason": reason, "_csrf_token": token})
    assert done.status_code == 303
    again = await client.post(f"/admin/identity/reviews/{claim['id']}/reject",
                              data={"reason": reason, "_csrf_token": token})
    assert again.status_code == 303  # already decided: back to the claim with a message
    assert (await live_claim(db, user_id))["status"] == "rejected"
    await login(client, username, "Demo2026pass")
    page = await client.get("/h5/identity")
    assert "Not approved" in page.text and reason in page.text and 'href="/h5/identity/claim"' in page.text
    inbox = await db.fetchrow("SELECT body FROM inbox_message WHERE \"user\" = $1 AND template_code ="
                              " 'idn_claim_result'", user_id)
    assert reason in inbox["body"]


@pytest.mark.req("IDV-03", "IDV-04")
async def test_em_admin_gets_403_on_a_cs_claim(client, db):
    person = await make_person(db, "冯越权", entry_year=2001)
    _username, _uid, claim = await pending_claim(client, db, "冯越权", entry_year=2000, evidence=True)
    await login(client, "em_admin", "Demo2026pass")
    for url in (f"/admin/identity/reviews/{claim['id']}", f"/h5/identity/reviews/{claim['id']}",
                f"/h5/identity/reviews/{claim['id']}/reject", f"/admin/identity/reviews/{claim['id']}/evidence/0"):
        assert (await client.get(url)).status_code == 403, url
    listing = await client.get("/admin/identity/reviews")
    assert listing.status_code == 200 and f"/admin/identity/reviews/{claim['id']}\"" not in listing.text
    assert f"/h5/identity/reviews/{claim['id']}\"" not in (await client.get("/h5/identity/reviews")).text
    token = csrf_from(listing.text)
    posted = await client.post(f"/admin/identity/reviews/{claim['id']}/approve",
                               data={"person": str(person), "_csrf_token": token})
    assert posted.status_code == 403
    assert await db.fetchval("SELECT status FROM idn_claim WHERE id = $1", claim["id"]) == "pending"
    # an alumnus without the permission cannot open the queue at all
    username, _user = await make_user()
    await login(client, username, "Demo2026pass")
    assert (await client.get("/h5/identity/reviews")).status_code == 403


@pytest.mark.req("IDV-02")
async def test_second_claim_on_a_linked_record_refused_and_audited(client, db):
    number = valid_id("44030519880808432")
    person = await make_person(db, "陈已认", college="EM", entry_year=2006, id_number=number)
    first_name, first_id = await make_user("陈已认")
    await login(client, first_name, "Demo2026pass")
    await submit_claim(client, db, "陈已认", college="EM", entry_year=2006, id_number=number)
    assert await db.fetchval('SELECT "user" FROM rec_person WHERE id = $1', person) == first_id
    second_name, second_id = await make_user("陈已认")
    await login(client, second_name, "Demo2026pass")
    refused = await submit_claim(client, db, "陈已认", college="EM", entry_year=2006, id_number=number)
    assert refused.status_code == 422
    assert "This record is already linked to another account. Ask the alumni office." in refused.text
    by_year = await submit_claim(client, db, "陈已认", college="EM", entry_year=2006)  # the questions path too
    assert by_year.status_code == 422 and "already linked to another account" in by_year.text
    assert await db.fetchval('SELECT count(*) FROM idn_claim WHERE "user" = $1', second_id) == 0
    assert await db.fetchval('SELECT "user" FROM rec_person WHERE id = $1', person) == first_id
    entries = await db.fetch("SELECT after, org_id FROM audit_log WHERE entity = 'idn_claim' AND action = 'refused'"
                             " AND actor_id = $1", second_id)
    assert len(entries) == 2 and all(json.loads(e["after"]) == {"reason": "already_linked", "person": person}
                                     for e in entries)
    assert entries[0]["org_id"] == await college_id(db, "EM")
    # a reviewer cannot link it either
    _u, _id, claim = await pending_claim(client, db, "陈已认", college="EM", entry_year=1990)
    await login(client, "em_admin", "Demo2026pass")
    detail = await client.get(f"/admin/identity/reviews/{claim['id']}")
    assert "Linked to another account" in detail.text
    posted = await client.post(f"/admin/identity/reviews/{claim['id']}/approve",
                               data={"person": str(person), "_csrf_token": csrf_from(detail.text)})
    assert posted.status_code == 422 and "already linked to another account" in posted.text


@pytest.mark.req("IDV-03")
async def test_a_reviewer_cannot_decide_their_own_claim(client, db):
    await login(client, "cs_admin", "Demo2026pass")
    assert (await submit_claim(client, db, "李计算", entry_year=1995)).status_code == 303
    me = await user_id_of(db, "cs_admin")
    claim = await live_claim(db, me)
    detail = await client.get(f"/admin/identity/reviews/{claim['id']}")
    refused = await client.post(f"/admin/identity/reviews/{claim['id']}/reject",
                                data={"reason": "自己", "_csrf_token": csrf_from(detail.text)})
    assert refused.status_code == 303 and refused.headers["location"] == f"/admin/identity/reviews/{claim['id']}"
    assert await db.fetchval("SELECT status FROM idn_claim WHERE id = $1", claim["id"]) == "pending"
