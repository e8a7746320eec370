"""SUP-05 school CAS login against the built-in IdP over real HTTP: CAS 3.0 and 2.0 tickets mapped to local
users by number (username or the records' student number) and by email, the binding page for someone the
app does not know, forged and replayed tickets, and the lockout rules of app.core.auth."""
import pytest

from tests.identity.sso_browser import (
    cas_authenticate,
    ensure_providers,
    idp_browser,
    local,
    query,
    sso_login,
    start,
)

pytestmark = pytest.mark.req("SUP-05")


async def last_login(db) -> dict:
    return await db.fetchrow("SELECT username, user_id, success, reason FROM login_log ORDER BY id DESC LIMIT 1")


async def logged_in_as(client) -> str:
    """The username the session cookie now belongs to (the profile page shows it)."""
    from app.core import db

    me = await client.get("/h5/me/logins")
    assert me.status_code == 200, me.text[:300]
    row = await db.fetchrow("SELECT u.username FROM web_session s JOIN app_user u ON u.id = s.\"user\""
                            " ORDER BY s.id DESC LIMIT 1")
    return row["username"]


async def test_cas3_maps_the_number_attribute_to_the_records_student_number(db, client, idp):
    await ensure_providers()
    user_id = await db.fetchval("INSERT INTO app_user (username, name, kind, password_hash)"
                                " VALUES ('zhang2008', '张同学', 'alumni', '') RETURNING id")
    person = await db.fetchval('INSERT INTO rec_person (name, "user") VALUES (\'张同学\', $1) RETURNING id', user_id)
    await db.execute("INSERT INTO rec_education (person, student_no) VALUES ($1, '2008010101')", person)

    response = await sso_login(client, idp, "cas", "s2008001", next_url="/h5/me/logins")
    assert response.status_code == 303, response.text[:500]
    assert response.headers["location"] == "/h5/me/logins"
    assert await logged_in_as(client) == "zhang2008"
    binding = await db.fetchrow("SELECT subject, how, display_name, attributes FROM idn_binding"
                                ' WHERE "user" = $1', user_id)
    assert binding["subject"] == "s2008001" and binding["how"] == "number" and binding["display_name"] == "张同学"
    assert dict(await last_login(db)) == {"username": "zhang2008", "user_id": user_id, "success": True,
                                          "reason": "cas"}
    page = await client.get("/h5/me/logins")
    assert "统一身份认证 (CAS)" in page.text and "张同学" in page.text

    client.cookies.clear()  # the second login goes through the binding
    again = await sso_login(client, idp, "cas", "s2008001")
    assert again.status_code == 303 and again.headers["location"] == "/h5"
    assert await db.fetchval("SELECT count(*) FROM idn_binding WHERE \"user\" = $1", user_id) == 1
    assert await db.fetchval("SELECT last_used_at IS NOT NULL FROM idn_binding WHERE \"user\" = $1", user_id)


async def test_cas2_has_no_attributes_so_the_login_name_is_the_number(db, client, idp):
    await ensure_providers(cas={"cas_version": "2"})
    user_id = await db.fetchval("INSERT INTO app_user (username, name, kind, password_hash)"
                                " VALUES ('T2001', '李计算', 'registered', '') RETURNING id")
    response = await sso_login(client, idp, "cas", "t2001")
    assert response.status_code == 303, response.text[:500]
    assert await logged_in_as(client) == "T2001"
    assert await db.fetchval('SELECT how FROM idn_binding WHERE "user" = $1', user_id) == "number"


async def test_cas_email_mapping_logs_t2001_in_as_cs_admin(db, client, idp):
    await ensure_providers(cas={"mapping": "email"})
    response = await sso_login(client, idp, "cas", "t2001", next_url="/admin/profile")
    assert response.status_code == 303 and response.headers["location"] == "/admin/profile"
    profile = await client.get("/admin/profile")
    assert profile.status_code == 200 and "cs_admin@tongchuang.local" in profile.text
    row = await db.fetchrow("SELECT b.how, u.username FROM idn_binding b JOIN app_user u ON u.id = b.\"user\"")
    assert dict(row) == {"how": "email", "username": "cs_admin"}
    assert (await last_login(db))["reason"] == "cas"


async def test_an_unknown_person_registers_on_the_binding_page_and_then_goes_straight_in(db, client, idp):
    await ensure_providers()
    response = await sso_login(client, idp, "cas", "newstaff")
    assert response.status_code == 303 and response.headers["location"] == "/auth/bind"
    page = await client.get("/auth/bind")
    assert page.status_code == 200
    assert "This 统一身份认证 (CAS) account is not linked to a Tongchuang account yet." in page.text
    assert 'value="T9001"' in page.text and 'value="newstaff@school.example.cn"' in page.text  # prefilled
    from tests.helpers import csrf_from

    created = await client.post("/auth/bind/register", data={
        "new_username": "T9001", "real_name": "新教师", "new_email": "newstaff@school.example.cn",
        "_csrf_token": csrf_from(page.text)})
    assert created.status_code == 303, created.text[:500]
    user = await db.fetchrow("SELECT id, password_hash, kind FROM app_user WHERE username = 'T9001'")
    assert user["password_hash"] == "" and user["kind"] == "registered"
    assert await db.fetchval('SELECT how FROM idn_binding WHERE "user" = $1', user["id"]) == "created"
    assert await logged_in_as(client) == "T9001"

    client.cookies.clear()
    again = await sso_login(client, idp, "cas", "newstaff")
    assert again.status_code == 303 and again.headers["location"] == "/h5"


async def test_a_forged_ticket_is_refused_logged_and_audited(db, client, idp):
    await ensure_providers()
    login_url = await start(client, "/auth/sso/cas/start")
    service = query(login_url)["service"]
    refused = await client.get(local(service) + "&ticket=ST-forged-by-someone")
    assert refused.status_code == 400
    assert "The login server did not confirm this login" in refused.text
    assert 'href="/auth/sso/cas/start"' in refused.text  # try again
    failure = await last_login(db)
    assert failure["success"] is False and failure["reason"] == "cas_ticket"
    audit = await db.fetchrow("SELECT action, entity, summary, after FROM audit_log WHERE action = 'login_refused'")
    assert audit["entity"] == "idn_provider" and audit["summary"] == "cas_ticket"
    assert "INVALID_TICKET" in audit["after"]
    assert await db.fetchval("SELECT count(*) FROM web_session") == 0


async def test_a_callback_works_once_and_only_in_the_browser_that_started_it(db, client, app, idp):
    import httpx

    await ensure_providers(cas={"mapping": "email"})
    login_url = await start(client, "/auth/sso/cas/start")
    async with idp_browser(idp) as browser:
        back = await cas_authenticate(browser, login_url, "t2001")
    # Someone else's browser (no state cookie) handed this callback: refused, and the state is spent.
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as other:
        stolen = await other.get(local(back), headers={"accept-language": "en"})
    assert stolen.status_code == 400 and "This login has expired or was already used." in stolen.text
    assert (await last_login(db))["reason"] == "state"
    replay = await client.get(local(back))
    assert replay.status_code == 400 and await db.fetchval("SELECT count(*) FROM web_session") == 0


async def test_disabled_and_blocked_accounts_are_refused_through_sso(db, client, idp):
    await ensure_providers(cas={"mapping": "email"})
    await db.execute("UPDATE app_user SET is_active = FALSE WHERE username = 'cs_admin'")
    refused = await sso_login(client, idp, "cas", "t2001")
    assert refused.status_code == 403 and "This account is disabled." in refused.text
    row = await last_login(db)
    assert row["reason"] == "disabled" and row["success"] is False and row["username"] == "cs_admin"
    assert await db.fetchval("SELECT count(*) FROM web_session") == 0

    await db.execute("UPDATE app_user SET is_active = TRUE WHERE username = 'cs_admin'")
    await db.execute("INSERT INTO login_block (key, until, reason) VALUES ('user:cs_admin', now() + interval '10 min',"
                     " 'test')")
    client.cookies.clear()
    blocked = await sso_login(client, idp, "cas", "t2001")
    assert blocked.status_code == 429 and "Login is blocked for about" in blocked.text
    assert (await last_login(db))["reason"] == "blocked"
    assert await db.fetchval("SELECT count(*) FROM web_session") == 0
