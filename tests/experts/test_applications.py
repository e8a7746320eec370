"""Joining the pool (EXP-01, EXP-02, EXP-10, EXP-12): phone proved by an SMS code through the SMS platform,
three steps saved as a draft and resumed from another device, the email proved by a mailed code, a two-level
approval chain with todos, the result by SMS and email, a recommendation link and its expiry."""
import pytest

from app.core import jobs
from app.core.audit import Actor
from app.core.security import sign
from app.experts import recommendations
from tests.experts.helpers import mail_code, make_fields, sms_code
from tests.helpers import csrf_from

PHONE = "17720000001"
EMAIL = "zhang.expert@example.test"


async def _confirm_phone(client, db, phone: str, rec: str = ""):
    page = await client.get("/experts/apply" + (f"?rec={rec}" if rec else ""))
    token = csrf_from(page.text)
    sent = await client.post("/experts/apply/code", data={"_csrf_token": token, "phone": phone, "rec": rec})
    assert sent.status_code == 200 and 'name="code"' in sent.text
    wrong = await client.post("/experts/apply/verify", data={"_csrf_token": token, "phone": phone, "code": "000000"
                                                             if await sms_code(db, phone) != "000000" else "111111",
                                                             "rec": rec})
    assert wrong.status_code == 422 and "The code is not correct." in wrong.text
    return await client.post("/experts/apply/verify", data={"_csrf_token": token, "phone": phone,
                                                            "code": await sms_code(db, phone), "rec": rec})


async def _approver(db, username: str, permission: str) -> None:
    await db.execute("INSERT INTO role (code, name, permissions, data_scope) VALUES ($1, $1, $2, 'all')",
                     f"r_{username}", ["sup.admin", "exp.application.view", permission])
    await db.execute("INSERT INTO user_role (\"user\", role) SELECT u.id, r.id FROM app_user u, role r"
                     " WHERE u.username = $1 AND r.code = $2", username, f"r_{username}")


@pytest.mark.req("EXP-01", "EXP-10", "EXP-12")
async def test_apply_with_draft_resume_then_two_level_approval_makes_a_formal_expert(client, db, smtp_sink,
                                                                                      as_user):
    f = await make_fields()
    confirmed = await _confirm_phone(client, db, PHONE)
    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/experts/apply/step/1"
    step1 = await client.get("/experts/apply/step/1")
    token = csrf_from(step1.text)
    bad = await client.post("/experts/apply/step/1", data={"_csrf_token": token, "name": "", "email": EMAIL})
    assert bad.status_code == 422 and EMAIL in bad.text  # the typed email is kept
    draft = await client.post("/experts/apply/step/1", data={"_csrf_token": token, "name": "张专家", "email": EMAIL,
                                                             "action": "draft"})
    assert draft.status_code == 303 and draft.headers["location"] == "/experts/apply/step/1"

    client.cookies.clear()  # another device, later: the phone code finds the draft again
    await db.execute("UPDATE exp_code SET created_at = created_at - interval '2 minutes'")
    resumed = await _confirm_phone(client, db, PHONE)
    assert resumed.headers["location"] == "/experts/apply/step/2"
    page = await client.get("/experts/apply/step/1")
    assert 'value="张专家"' in page.text
    token = csrf_from(page.text)
    nxt = await client.post("/experts/apply/step/2", data={"_csrf_token": token, "employer": "市政设计研究院",
                                                           "title": "高级工程师", "fields": [str(f["leaf"])],
                                                           "action": "next"})
    assert nxt.headers["location"] == "/experts/apply/step/3"
    early = await client.post("/experts/apply/submit", data={"_csrf_token": token})
    assert early.status_code == 422 and "Confirm your email address" in early.text
    await client.post("/experts/apply/email-code", data={"_csrf_token": token})
    verified = await client.post("/experts/apply/email-verify",
                                 data={"_csrf_token": token, "email_code": await mail_code(db, EMAIL)})
    assert verified.status_code == 303
    submitted = await client.post("/experts/apply/submit", data={"_csrf_token": token})
    assert submitted.headers["location"] == "/experts/apply/status"
    app_id = await db.fetchval("SELECT id FROM exp_application WHERE phone = $1", PHONE)
    assert await db.fetchval("SELECT permission FROM todo WHERE ref = $1 AND status = 'open'",
                             f"exp.application:{app_id}") == "exp.approve.committee"

    await _approver(db, "cs_admin", "exp.approve.committee")
    await _approver(db, "em_admin", "exp.approve.chief")
    chief = await as_user("em_admin")
    early_chief = await chief.get(f"/admin/experts/applications/{app_id}")
    assert 'value="approve"' not in early_chief.text  # waits for the committee level first
    committee = await as_user("cs_admin")
    page = await committee.get(f"/admin/experts/applications/{app_id}")
    assert "张专家" in page.text and PHONE not in page.text  # masked for this role
    first = await committee.post(f"/admin/experts/applications/{app_id}/decide",
                                 data={"_csrf_token": csrf_from(page.text), "decision": "approve"})
    assert first.status_code == 303
    assert await db.fetchval("SELECT permission FROM todo WHERE ref = $1 AND status = 'open'",
                             f"exp.application:{app_id}") == "exp.approve.chief"
    chief = await as_user("em_admin")
    page = await chief.get(f"/admin/experts/applications/{app_id}")
    second = await chief.post(f"/admin/experts/applications/{app_id}/decide",
                              data={"_csrf_token": csrf_from(page.text), "decision": "approve"})
    assert second.status_code == 303 and second.headers["location"].startswith("/admin/experts/")
    expert = await db.fetchrow("SELECT * FROM exp_expert WHERE phone = $1", PHONE)
    assert expert["status"] == "formal" and expert["source"] == "apply" and expert["user"] is not None
    assert expert["fields"] == [f["leaf"]] and expert["number"].startswith("EXP")
    await jobs.drain()
    result_sms = await db.fetchval("SELECT m.text FROM sms_message m WHERE m.phone = $1 ORDER BY m.id DESC LIMIT 1",
                                   PHONE)
    assert "approved" in result_sms
    assert await db.fetchval("SELECT count(*) FROM dev_mail WHERE rcpt LIKE $1 AND subject LIKE '%approved%'",
                             f"%{EMAIL}%") == 1
    assert await db.fetchval("SELECT count(*) FROM exp_approval WHERE application = $1", app_id) == 2


@pytest.mark.req("EXP-02")
async def test_recommendation_link_records_the_recommender_and_an_expired_link_is_refused(client, db, smtp_sink):
    recommender = await db.fetchrow("SELECT id, name FROM exp_expert WHERE status = 'formal' ORDER BY id LIMIT 1")
    assert recommender, "demo experts are seeded"
    rec_id, path = await recommendations.create(Actor(None, "t"), recommender,
                                                {"name": "李被荐", "phone": "17720000002", "email": "li@example.test"})
    await jobs.drain()
    mail = await db.fetchrow("SELECT body FROM dev_mail WHERE rcpt LIKE '%li@example.test%' ORDER BY id DESC LIMIT 1")
    assert path in mail["body"]
    confirmed = await _confirm_phone(client, db, "17720000002", path.split("rec=")[1])
    assert confirmed.status_code == 303
    step = await client.get("/experts/apply/step/1")
    assert f"Recommended by {recommender['name']}" in step.text and 'value="李被荐"' in step.text
    assert await db.fetchval("SELECT recommended_by FROM exp_application WHERE phone = '17720000002'") == \
        recommender["id"]

    client.cookies.clear()
    from app.core import settings_store

    await settings_store.put("experts.recommend_days", -1)
    expired = await client.get(f"/experts/apply?rec={sign(recommendations.PURPOSE, rec_id)}")
    assert expired.status_code == 410 and "This recommendation link has expired." in expired.text
    forged = await client.get("/experts/apply?rec=abc")
    assert forged.status_code == 410 and "not valid" in forged.text


@pytest.mark.req("EXP-14")
async def test_a_blacklisted_phone_cannot_apply(client, db):
    phone = await db.fetchval("SELECT phone FROM exp_expert WHERE status = 'formal' ORDER BY id LIMIT 1")
    await db.execute("UPDATE exp_expert SET status = 'blacklisted', status_reason = 'x' WHERE phone = $1", phone)
    page = await client.get("/experts/apply")
    refused = await client.post("/experts/apply/code", data={"_csrf_token": csrf_from(page.text), "phone": phone})
    assert refused.status_code == 422 and "cannot apply" in refused.text
