"""SUP-02: SMS-code login and phone binding. The code travels the real path — message service → sms channel →
the SMS platform's outbox (sms_message) — and the tests read it from there, as a phone would receive it."""
import re
import sys
import types

import pytest

from app.core import jobs, phones
from app.core.audit import Actor
from app.identity import sms_codes
from app.identity.sms_codes import CodeRefused
from tests.helpers import csrf_from

PHONE = "17712340001"  # a number no seeded account has (seeded ones start with 13)


async def outbox_texts(db, phone: str) -> list[str]:
    """The SMS texts queued for this number in the SMS platform's outbox, oldest first (after the delivery jobs)."""
    await jobs.drain()
    rows = await db.fetch("SELECT m.text FROM sms_message m JOIN sms_batch b ON b.id = m.batch"
                          " WHERE b.source = 'notify' AND m.phone = $1 ORDER BY m.id", phone)
    return [r["text"] for r in rows]


async def last_code(db, phone: str) -> str:
    texts = await outbox_texts(db, phone)
    assert texts, "no SMS reached the outbox"
    return re.search(r"\b(\d{6})\b", texts[-1]).group(1)


async def send_step(client, phone: str, **extra):
    page = await client.get("/login/sms", params={k: v for k, v in extra.items() if k in ("next", "bind")})
    assert page.status_code == 200
    return await client.post("/login/sms", data={"phone": phone, "action": "send", "_csrf_token": csrf_from(page.text),
                                                 **extra})


async def code_step(client, phone: str, code: str, **extra):
    page = await client.get("/login/sms")
    return await client.post("/login/sms", data={"phone": phone, "code": code, "action": "login",
                                                 "_csrf_token": csrf_from(page.text), **extra})


async def age_codes(db, phone: str, seconds: int) -> None:
    """Move the number's codes `seconds` into the past (cool-down, expiry and daily windows are by created_at)."""
    await db.execute("UPDATE idn_sms_code SET created_at = created_at - make_interval(secs => $2),"
                     " expires_at = expires_at - make_interval(secs => $2) WHERE phone = $1", phone, seconds)


@pytest.mark.req("SUP-02")
async def test_code_reaches_the_sms_outbox_hashed_at_rest_and_logs_in_a_new_number(client, db):
    response = await send_step(client, "+86 177-1234-0001")
    assert response.status_code == 200
    assert "We sent a code to 17712340001" in response.text and 'name="code"' in response.text

    delivery = await db.fetchrow("SELECT channel, address, template_code, subject FROM delivery_log"
                                 " WHERE template_code = 'idn_sms_code'")
    assert delivery["channel"] == "sms" and delivery["address"] == PHONE
    texts = await outbox_texts(db, PHONE)
    assert len(texts) == 1 and texts[0].startswith("Your verification code is ")
    assert "valid for 5 minutes" in texts[0]
    code = await last_code(db, PHONE)
    assert await db.fetchval("SELECT status FROM delivery_log WHERE template_code = 'idn_sms_code'") == "sent"

    # Hashed at rest; the code is nowhere but in the SMS text itself.
    row = await db.fetchrow("SELECT * FROM idn_sms_code WHERE phone = $1", PHONE)
    assert code not in " ".join(str(v) for v in row.values())
    assert row["code_hash"] == sms_codes.code_hash(PHONE, "login", code)
    assert not await db.fetchval("SELECT count(*) FROM audit_log WHERE summary LIKE $1"
                                 " OR after::text LIKE $1", f"%{code}%")
    assert code not in delivery["subject"]
    assert not await db.fetchval("SELECT count(*) FROM job WHERE payload::text LIKE $1", f"%{code}%")

    response = await code_step(client, PHONE, code, next="/h5/me/phone")
    assert response.status_code == 303 and response.headers["location"] == "/h5/me/phone"
    user = await db.fetchrow("SELECT id, username, name, phone, password_hash, kind FROM app_user WHERE phone = $1",
                             PHONE)
    assert user["username"] == "m" + PHONE and user["name"] == "" and user["password_hash"] == ""
    assert user["kind"] == "registered"
    log = await db.fetchrow("SELECT username, user_id, success, reason FROM login_log ORDER BY id DESC LIMIT 1")
    assert log == {"username": "m" + PHONE, "user_id": user["id"], "success": True, "reason": "sms"}
    me = await client.get("/h5/me/phone")  # the session cookie works
    assert me.status_code == 200 and PHONE in me.text
    assert await db.fetchval("SELECT consumed_at IS NOT NULL FROM idn_sms_code WHERE phone = $1", PHONE)


@pytest.mark.req("SUP-02")
async def test_existing_account_logs_in_by_its_number_and_a_used_code_never_works_twice(client, db):
    hq = await db.fetchval("UPDATE app_user SET phone = '177 1234 0001' WHERE username = 'hq' RETURNING id")
    await send_step(client, PHONE, next="/h5")
    code = await last_code(db, PHONE)
    response = await code_step(client, PHONE, code, next="/h5")
    assert response.status_code == 303 and response.headers["location"] == "/h5"
    log = await db.fetchrow("SELECT username, user_id, reason FROM login_log WHERE success ORDER BY id DESC LIMIT 1")
    assert log == {"username": "hq", "user_id": hq, "reason": "sms"}
    assert await db.fetchval("SELECT count(*) FROM app_user WHERE phone LIKE '%0001'") == 1  # nothing created

    client.cookies.clear()
    again = await code_step(client, PHONE, code)
    assert again.status_code == 422 and "This code has already been used" in again.text


@pytest.mark.req("SUP-02")
async def test_five_wrong_tries_kill_the_code(db):
    await sms_codes.send_code(PHONE, "login", Actor(None, "anonymous", "10.5.5.5"))
    code = await last_code(db, PHONE)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for left in (4, 3, 2, 1):
        with pytest.raises(CodeRefused) as refused:
            await sms_codes.verify_code(PHONE, "login", wrong)
        assert refused.value.reason == "wrong" and f"{left} more tries" in refused.value.message
    with pytest.raises(CodeRefused) as refused:
        await sms_codes.verify_code(PHONE, "login", wrong)
    assert "no longer works" in refused.value.message
    assert await db.fetchval("SELECT attempts FROM idn_sms_code WHERE phone = $1", PHONE) == 5
    with pytest.raises(CodeRefused) as refused:
        await sms_codes.verify_code(PHONE, "login", code)  # the right code, too late
    assert refused.value.reason == "dead"


@pytest.mark.req("SUP-02")
async def test_wrong_codes_count_as_failed_logins_and_block_like_wrong_passwords(client, db):
    await send_step(client, PHONE)
    code = await last_code(db, PHONE)
    wrong = f"{(int(code) + 7) % 10**6:06d}"
    for _ in range(4):
        response = await code_step(client, PHONE, wrong)
        assert response.status_code == 422 and "Wrong code." in response.text
    response = await code_step(client, PHONE, wrong)
    assert "Login is blocked for about" in response.text
    assert await db.fetchval("SELECT count(*) FROM login_log WHERE username = $1 AND NOT success"
                             " AND reason = 'sms_wrong'", PHONE) == 5
    assert await db.fetchval("SELECT 1 FROM login_block WHERE key = $1", f"user:{PHONE}")
    response = await code_step(client, PHONE, code)
    assert response.status_code == 422 and "Login is blocked" in response.text
    assert not await db.fetchval("SELECT 1 FROM app_user WHERE phone = $1", PHONE)


@pytest.mark.req("SUP-02")
async def test_expired_code_refused(client, db):
    await send_step(client, PHONE)
    code = await last_code(db, PHONE)
    await age_codes(db, PHONE, 5 * 60 + 1)
    response = await code_step(client, PHONE, code)
    assert response.status_code == 422 and "This code has expired" in response.text
    assert not await db.fetchval("SELECT 1 FROM app_user WHERE phone = $1", PHONE)


@pytest.mark.req("SUP-02")
async def test_resend_cool_down_says_how_long_to_wait(client, db):
    assert (await send_step(client, PHONE)).status_code == 200
    again = await send_step(client, PHONE)
    assert again.status_code == 422
    seconds = int(re.search(r"another one in (\d+) seconds", again.text).group(1))
    assert 55 <= seconds <= 60
    assert re.search(r"possible in \d+ s", again.text) and 'name="code"' in again.text  # still the code step
    assert len(await outbox_texts(db, PHONE)) == 1
    await age_codes(db, PHONE, 61)
    assert (await send_step(client, PHONE)).status_code == 200
    assert len(await outbox_texts(db, PHONE)) == 2
    # Only the newest code counts.
    texts = await outbox_texts(db, PHONE)
    first, newest = (re.search(r"\d{6}", t).group(0) for t in texts)
    if first != newest:
        assert (await code_step(client, PHONE, first)).status_code == 422
    assert (await code_step(client, PHONE, newest)).status_code == 303


@pytest.mark.req("SUP-02")
async def test_per_phone_daily_limit(db):
    actor = Actor(None, "anonymous", "10.6.6.6")
    for _ in range(10):
        await sms_codes.send_code(PHONE, "login", actor)
        await age_codes(db, PHONE, 61)  # past the cool-down, still within the day
    with pytest.raises(CodeRefused) as refused:
        await sms_codes.send_code(PHONE, "login", actor)
    assert refused.value.reason == "phone_day" and "10 codes in the last 24 hours" in refused.value.message
    assert await db.fetchval("SELECT count(*) FROM idn_sms_code WHERE phone = $1", PHONE) == 10
    await age_codes(db, PHONE, 24 * 3600)
    await sms_codes.send_code(PHONE, "login", actor)  # a day later


@pytest.mark.req("SUP-02")
async def test_per_ip_hourly_limit(db):
    actor = Actor(None, "anonymous", "10.7.7.7")
    for n in range(20):
        await sms_codes.send_code(f"1771234{n:04d}", "login", actor)
    with pytest.raises(CodeRefused) as refused:
        await sms_codes.send_code("17712349999", "login", actor)
    assert refused.value.reason == "ip_hour"
    await sms_codes.send_code("17712349999", "login", Actor(None, "anonymous", "10.7.7.8"))  # another address


@pytest.mark.req("SUP-02")
async def test_bad_numbers_refused_before_anything_is_sent(client, db):
    for bad, message in (("12345", "Enter a valid phone number."), ("12812345678", "mainland China mobile number"),
                         ("+1 415 555 0100", "mainland China mobile number")):
        response = await send_step(client, bad)
        assert response.status_code == 422 and message in response.text
    assert phones.normalise("0086 138-0013-8000") == "13800138000"
    assert not await db.fetchval("SELECT count(*) FROM idn_sms_code")


@pytest.mark.req("SUP-02")
async def test_a_number_shared_by_several_accounts_or_a_disabled_account_is_refused(client, db):
    await db.execute("UPDATE app_user SET phone = $1 WHERE username IN ('hq', 'cs_admin')", PHONE)
    await send_step(client, PHONE)
    response = await code_step(client, PHONE, await last_code(db, PHONE))
    assert response.status_code == 422 and "Several accounts use this mobile number" in response.text

    await db.execute("UPDATE app_user SET phone = NULL WHERE username = 'cs_admin'")
    await db.execute("UPDATE app_user SET is_active = FALSE WHERE username = 'hq'")
    await age_codes(db, PHONE, 61)
    await send_step(client, PHONE)
    response = await code_step(client, PHONE, await last_code(db, PHONE))
    assert response.status_code == 422 and "This account is disabled" in response.text
    assert "tc_session" not in response.cookies


@pytest.mark.req("SUP-02")
async def test_phone_binding_and_the_duplicate_number_refusal(as_user, db):
    client = await as_user("hq")
    page = await client.get("/h5/me/phone")
    assert page.status_code == 200
    sent = await client.post("/h5/me/phone", data={"phone": PHONE, "action": "send",
                                                   "_csrf_token": csrf_from(page.text)})
    assert sent.status_code == 200 and "We sent a code to" in sent.text
    code = await last_code(db, PHONE)
    wrong = await client.post("/h5/me/phone", data={"phone": PHONE, "code": f"{(int(code) + 1) % 10**6:06d}",
                                                    "action": "confirm", "_csrf_token": csrf_from(sent.text)})
    assert wrong.status_code == 422 and "Wrong code." in wrong.text
    done = await client.post("/h5/me/phone", data={"phone": PHONE, "code": code, "action": "confirm",
                                                   "_csrf_token": csrf_from(sent.text)})
    assert done.status_code == 303
    hq = await db.fetchrow("SELECT id, phone FROM app_user WHERE username = 'hq'")
    assert hq["phone"] == PHONE
    entry = await db.fetchrow("SELECT actor_id, summary, after FROM audit_log WHERE action = 'update'"
                              " AND entity = 'user' AND entity_id = $1 ORDER BY id DESC LIMIT 1", str(hq["id"]))
    assert entry["actor_id"] == hq["id"] and entry["summary"] == "phone" and PHONE in entry["after"]

    # Another active account cannot take that number.
    other = await as_user("cs_admin")
    page = await other.get("/h5/me/phone")
    refused = await other.post("/h5/me/phone", data={"phone": "177 1234 0001", "action": "send",
                                                     "_csrf_token": csrf_from(page.text)})
    assert refused.status_code == 422 and "already belongs to another account" in refused.text
    assert len(await outbox_texts(db, PHONE)) == 1  # no code was sent for it
    assert await db.fetchval("SELECT phone FROM app_user WHERE username = 'cs_admin'") != PHONE


@pytest.mark.req("SUP-02")
async def test_a_bind_code_works_only_for_the_account_that_asked(db):
    hq = await db.fetchval("SELECT id FROM app_user WHERE username = 'hq'")
    cs = await db.fetchval("SELECT id FROM app_user WHERE username = 'cs_admin'")
    await sms_codes.send_code(PHONE, "bind", Actor(hq, "hq", "10.1.1.1"), user_id=hq)
    code = await last_code(db, PHONE)
    with pytest.raises(CodeRefused):
        await sms_codes.verify_code(PHONE, "bind", code, user_id=cs)
    with pytest.raises(CodeRefused):
        await sms_codes.verify_code(PHONE, "login", code)  # nor for a login
    await sms_codes.verify_code(PHONE, "bind", code, user_id=hq)


@pytest.mark.req("SUP-02")
async def test_a_pending_external_identity_is_bound_after_the_code(client, db, monkeypatch):
    """/login/sms?bind=<token>: the identity module's binding hook gets the token and the user (a stand-in hook
    here: the binding flow is tested with the WeChat / SSO logins)."""
    import app.identity

    calls = []

    async def bind_pending(token, user_id):
        calls.append((token, user_id))

    hook = types.ModuleType("app.identity.bindings")
    hook.bind_pending = bind_pending
    monkeypatch.setitem(sys.modules, "app.identity.bindings", hook)
    monkeypatch.setattr(app.identity, "bindings", hook, raising=False)
    await send_step(client, PHONE, bind="signed-token")
    response = await code_step(client, PHONE, await last_code(db, PHONE), bind="signed-token")
    assert response.status_code == 303
    user_id = await db.fetchval("SELECT id FROM app_user WHERE phone = $1", PHONE)
    assert calls == [("signed-token", user_id)]
