"""Alumni identity claims (IDV-02) through the phone pages, against the real database: the automatic match by
name + ID number (record linked, account made 'alumni', points awarded once), a wrong-checksum ID number
refused and audited, the questions drawn from the record (a wrong set then a right one; two wrong sets offer
face or manual review), and the answers never in the page. The factories here are shared by the review and
statistics tests."""
from __future__ import annotations

import json
import re
from itertools import count

import pytest

from app.core import id_numbers
from tests.helpers import csrf_from

_numbers = count(1)
DEGREE_EN = {"bk": "Bachelor", "ss": "Master", "bs": "Doctorate"}


async def college_id(db, code: str) -> int:
    return await db.fetchval("SELECT id FROM org_node WHERE code = $1", code)


async def make_person(db, name: str, college: str = "CS", entry_year: int = 2009, *, id_number: str | None = None,
                      major: str = "软件工程", class_name: str = "", grad_year: int | None = None,
                      degree: str = "bk") -> int:
    """A record with one education row, written through the records api (as the import would)."""
    from app.core.audit import SYSTEM
    from app.records import api

    cid = await college_id(db, college)
    education = {"degree": degree, "college": cid, "major": major, "entry_year": entry_year,
                 "class_name": class_name or f"{major}{entry_year}级2班", "grad_year": grad_year or entry_year + 4}
    return await api.create_person(SYSTEM, {"kind": "alumni", "name": name, "org": cid, "id_number": id_number},
                                   [education])


async def make_user(name: str = "测试校友") -> tuple[str, int]:
    """A self-registered account (type 'registered'); password Demo2026pass."""
    from app.core.audit import SYSTEM
    from app.support import users

    username = f"idv_user_{next(_numbers)}"
    user_id = await users.create_user(SYSTEM, username=username, name=name, kind="registered",
                                      password="Demo2026pass", email=f"{username}@example.cn")
    return username, user_id


def valid_id(first17: str = "11010819900307123") -> str:
    return id_numbers.complete(first17)


async def submit_claim(client, db, name: str, college: str = "CS", entry_year: int | str = "", **extra):
    page = await client.get("/h5/identity/claim")
    assert page.status_code == 200, page.text[:300]
    data = {"kind": "alumnus", "name": name, "college": str(await college_id(db, college)),
            "entry_year": str(entry_year), "id_number": "", "student_no": "", "major": "", "class_name": "",
            "note": "", **extra, "_csrf_token": csrf_from(page.text)}
    return await client.post("/h5/identity/claim", data=data)


async def live_claim(db, user_id: int) -> dict:
    row = await db.fetchrow("SELECT * FROM idn_claim WHERE \"user\" = $1 ORDER BY id DESC LIMIT 1", user_id)
    row["questions"] = json.loads(row["questions"]) if isinstance(row["questions"], str) else row["questions"]
    return row


def truths(major: str, class_name: str, grad_year: int, degree: str = "bk") -> dict:
    return {"major": major, "class_name": class_name, "grad_year": str(grad_year), "degree": DEGREE_EN[degree]}


def answers_for(qset: dict, truth: dict, *, wrong: bool = False) -> dict:
    """The form values answering every question right (or every one wrong)."""
    out = {}
    for i, item in enumerate(qset["items"]):
        right = truth[item["field"]]
        assert right in item["options"], (item, right)
        out[f"q{i}"] = next(o for o in item["options"] if o != right) if wrong else right
    return out


async def answer(client, truth: dict, db, user_id: int, *, wrong: bool = False):
    page = await client.get("/h5/identity/questions")
    assert page.status_code == 200, page.text[:300]
    claim = await live_claim(db, user_id)
    data = {**answers_for(claim["questions"], truth, wrong=wrong), "_csrf_token": csrf_from(page.text)}
    return await client.post("/h5/identity/questions", data=data)


@pytest.mark.req("IDV-02")
async def test_auto_match_by_name_and_id_number_links_and_awards_once(as_user, db):
    number = valid_id()
    person = await make_person(db, "王匹配", id_number=number)
    username, user_id = await make_user("王匹配")
    client = await as_user(username)
    response = await submit_claim(client, db, "王匹配", entry_year=2009, id_number=number.lower())
    assert response.status_code == 303 and response.headers["location"] == "/h5/identity"
    page = await client.get("/h5/identity")
    assert "Verified" in page.text and "ID number match" in page.text
    claim = await live_claim(db, user_id)
    assert (claim["status"], claim["method"], claim["person"]) == ("verified", "id_match", person)
    assert await db.fetchval('SELECT "user" FROM rec_person WHERE id = $1', person) == user_id
    assert await db.fetchval("SELECT kind FROM app_user WHERE id = $1", user_id) == "alumni"
    # the link went through the records change log
    assert await db.fetchval("SELECT count(*) FROM rec_change WHERE person = $1 AND field = 'user'", person) == 1
    ledger = await db.fetch("SELECT delta FROM pts_ledger WHERE user_id = $1 AND action = 'identity_verified'", user_id)
    assert [r["delta"] for r in ledger] == [50]
    rule = await db.fetchrow("SELECT name, points, lifetime_count FROM pts_rule WHERE action = 'identity_verified'")
    assert dict(rule) == {"name": "身份认证奖励", "points": 50, "lifetime_count": 1}
    # the same award again (a retried request) changes nothing
    from app.points import api as points

    assert await points.award("identity_verified", user_id, key=f"idn.claim:{claim['id']}") == 50
    assert await db.fetchval("SELECT count(*) FROM pts_ledger WHERE user_id = $1 AND action = 'identity_verified'",
                             user_id) == 1
    inbox = await db.fetchrow("SELECT title FROM inbox_message WHERE \"user\" = $1 AND template_code ="
                              " 'idn_claim_result'", user_id)
    assert inbox["title"] == "Your identity is verified"
    # a verified user cannot start another claim
    assert (await client.get("/h5/identity/claim")).headers["location"] == "/h5/identity"
    again = await client.post("/h5/identity/claim", data={
        "kind": "alumnus", "name": "王匹配", "college": str(await college_id(db, "CS")), "entry_year": "2009",
        "_csrf_token": csrf_from(page.text)})
    assert again.status_code == 422 and "already verified" in again.text


@pytest.mark.req("IDV-02")
async def test_wrong_checksum_id_number_refused_and_audited(as_user, db):
    username, user_id = await make_user()
    client = await as_user(username)
    good = valid_id("11010819850512001")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    response = await submit_claim(client, db, "钱校验", entry_year=2003, id_number=bad)
    assert response.status_code == 422
    assert "check digit is wrong" in response.text and 'value="钱校验"' in response.text  # kept what was typed
    assert await db.fetchval('SELECT count(*) FROM idn_claim WHERE "user" = $1', user_id) == 0
    entry = await db.fetchrow("SELECT action, after FROM audit_log WHERE entity = 'idn_claim' AND actor_id = $1",
                              user_id)
    assert entry["action"] == "refused" and json.loads(entry["after"])["reason"] == "id_number.checksum"


@pytest.mark.req("IDV-02")
async def test_questions_wrong_set_then_right_set_verifies(as_user, db):
    person = await make_person(db, "李问答", entry_year=2009, major="软件工程", class_name="软件工程2009级2班",
                               grad_year=2013)
    username, user_id = await make_user("李问答")
    client = await as_user(username)
    response = await submit_claim(client, db, "李问答", entry_year=2009)
    assert response.status_code == 303 and response.headers["location"] == "/h5/identity/questions"
    claim = await live_claim(db, user_id)
    assert claim["status"] == "questions" and claim["person"] == person
    first = claim["questions"]
    assert len(first["items"]) == 3 and all(2 < len(i["options"]) <= 4 for i in first["items"])
    assert "college" not in {i["field"] for i in first["items"]}  # the applicant named the college
    truth = truths("软件工程", "软件工程2009级2班", 2013)

    # answers are never in the page: no marked choice, no hash, no salt; the stored set keeps only hashes
    page = await client.get("/h5/identity/questions")
    assert " checked" not in page.text and first["salt"] not in page.text
    assert not any(item["answer"] in page.text for item in first["items"])
    assert not any(set(item) - {"field", "options", "answer"} for item in first["items"])
    assert all(item["answer"] not in item["options"] and len(item["answer"]) == 64 for item in first["items"])

    wrong = await answer(client, truth, db, user_id, wrong=True)
    assert wrong.status_code == 303 and wrong.headers["location"] == "/h5/identity/questions"
    claim = await live_claim(db, user_id)
    assert claim["status"] == "questions" and claim["question_attempts"] == 1
    assert claim["questions"]["salt"] != first["salt"]  # a fresh set
    assert await db.fetchval('SELECT "user" FROM rec_person WHERE id = $1', person) is None

    right = await answer(client, truth, db, user_id)
    assert right.status_code == 303 and right.headers["location"] == "/h5/identity"
    claim = await live_claim(db, user_id)
    assert (claim["status"], claim["method"]) == ("verified", "questions")
    assert await db.fetchval('SELECT "user" FROM rec_person WHERE id = $1', person) == user_id
    assert "Verified" in (await client.get("/h5/identity")).text


@pytest.mark.req("IDV-02")
async def test_two_wrong_sets_offer_face_or_manual_review(as_user, db):
    person = await make_person(db, "赵两错", entry_year=2011, major="网络工程", class_name="网络工程2011级1班",
                               grad_year=2015)
    username, user_id = await make_user("赵两错")
    client = await as_user(username)
    await submit_claim(client, db, "赵两错", entry_year=2011)
    truth = truths("网络工程", "网络工程2011级1班", 2015)
    await answer(client, truth, db, user_id, wrong=True)
    last = await answer(client, truth, db, user_id, wrong=True)
    assert last.status_code == 303 and last.headers["location"] == "/h5/identity"
    claim = await live_claim(db, user_id)
    assert (claim["status"], claim["question_attempts"], claim["questions"]) == ("open", 2, {})
    page = await client.get("/h5/identity")
    assert "Ask for a manual review" in page.text and "Verify by face" in page.text
    assert (await client.get("/h5/identity/questions")).headers.get("location") == "/h5/identity"
    # face: the record has no ID number, so it cannot confirm it
    face = await client.post("/h5/identity/claim/face", data={"_csrf_token": csrf_from(page.text)})
    assert face.status_code == 303
    review = await client.post("/h5/identity/claim/review", data={"_csrf_token": csrf_from(page.text)})
    assert review.status_code == 303
    claim = await live_claim(db, user_id)
    assert claim["status"] == "pending" and claim["person"] == person
    todo = await db.fetchrow("SELECT kind, url, permission, org_id FROM todo WHERE ref = $1 AND status = 'open'",
                             f"idn.claim:{claim['id']}")
    assert dict(todo) == {"kind": "identity.claim", "url": f"/admin/identity/reviews/{claim['id']}",
                          "permission": "idn.review", "org_id": await college_id(db, "CS")}
    # withdrawing and claiming again does not give fresh question sets for the same record
    page = await client.get("/h5/identity/claim/withdraw")
    assert (await client.post("/h5/identity/claim/withdraw", data={"_csrf_token": csrf_from(page.text)})
            ).status_code == 303
    assert await db.fetchval("SELECT status FROM todo WHERE ref = $1", f"idn.claim:{claim['id']}") == "done"
    await submit_claim(client, db, "赵两错", entry_year=2011)
    claim = await live_claim(db, user_id)
    assert (claim["status"], claim["question_attempts"]) == ("open", 2)


@pytest.mark.req("IDV-02")
async def test_no_candidate_goes_to_review_and_evidence_is_checked(as_user, db):
    username, user_id = await make_user("孙无档")
    client = await as_user(username)
    response = await submit_claim(client, db, "孙无档", college="EM", entry_year=1999, note="毕业证在家里")
    assert response.status_code == 303
    claim = await live_claim(db, user_id)
    assert claim["status"] == "pending" and claim["person"] is None
    page = await client.get("/h5/identity")
    assert "Waiting for review" in page.text and 'enctype="multipart/form-data"' in page.text
    token = csrf_from(page.text)
    refused = await client.post("/h5/identity/claim/evidence", data={"_csrf_token": token, "note": ""},
                                files={"file": ("diploma.exe", b"MZ\x90\x00", "application/octet-stream")})
    assert refused.status_code == 422 and "Upload a photo (PNG, JPG, GIF) or a PDF." in refused.text
    fake = await client.post("/h5/identity/claim/evidence", data={"_csrf_token": token, "note": ""},
                             files={"file": ("diploma.png", b"not an image", "image/png")})
    assert fake.status_code == 422
    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
           b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
    added = await client.post("/h5/identity/claim/evidence", data={"_csrf_token": token, "note": "学号 99001"},
                              files={"file": ("diploma.png", png, "image/png")})
    assert added.status_code == 303
    claim = await live_claim(db, user_id)
    evidence = json.loads(claim["evidence"]) if isinstance(claim["evidence"], str) else claim["evidence"]
    assert [e["name"] for e in evidence] == ["diploma.png"] and claim["note"] == "学号 99001"
    own = await client.get("/h5/identity/claim/evidence/0")
    assert own.status_code == 200 and own.content == png
    assert (await client.get("/h5/identity/claim/evidence/5")).status_code == 404
    # one live claim per user
    again = await client.get("/h5/identity/claim")
    assert again.status_code == 303 and re.search("/h5/identity$", again.headers["location"])
