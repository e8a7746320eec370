"""SUP-05 OpenID Connect login against the built-in IdP over real HTTP (discovery, code + PKCE S256, ID token
from its JWKS): email mapping, the binding page by password, and every defect of the ID token the IdP can
be told to produce — each refused with its own reason in the login log and an audit entry."""
import pytest

from tests.helpers import csrf_from
from tests.identity.sso_browser import ensure_providers, idp_browser, local, oidc_authenticate, query, sso_login, start

pytestmark = pytest.mark.req("SUP-05")


async def last_login(db) -> dict:
    return await db.fetchrow("SELECT username, user_id, success, reason FROM login_log ORDER BY id DESC LIMIT 1")


async def session_user(db) -> str | None:
    return await db.fetchval('SELECT u.username FROM web_session s JOIN app_user u ON u.id = s."user"'
                             " ORDER BY s.id DESC LIMIT 1")


async def test_oidc_login_maps_t2002_to_hq_by_email_with_state_nonce_and_pkce(db, client, idp):
    await ensure_providers()
    authorize = await start(client, "/auth/sso/oidc/start?next=/admin/profile")
    params = query(authorize)
    assert authorize.startswith(f"{idp}/oidc/authorize?")
    assert params["code_challenge_method"] == "S256" and params["client_id"] == "tongchuang"
    state = await db.fetchrow("SELECT nonce, code_verifier FROM idn_auth_state WHERE state = $1", params["state"])
    assert state["nonce"] == params["nonce"] and len(state["code_verifier"]) >= 43
    assert params["code_challenge"] != state["code_verifier"]  # only the S256 hash travels

    async with idp_browser(idp) as browser:
        back = await oidc_authenticate(browser, authorize, "t2002")
    response = await client.get(local(back))
    assert response.status_code == 303 and response.headers["location"] == "/admin/profile"
    assert await session_user(db) == "hq"
    row = await db.fetchrow("SELECT b.subject, b.how, b.display_name FROM idn_binding b JOIN idn_provider p"
                            " ON p.id = b.provider WHERE p.code = 'oidc'")
    assert dict(row) == {"subject": "u-t2002", "how": "email", "display_name": "王总会"}
    assert dict(await last_login(db)) == {"username": "hq", "user_id": await db.fetchval(
        "SELECT id FROM app_user WHERE username = 'hq'"), "success": True, "reason": "oidc"}
    assert await db.fetchval("SELECT consumed_at IS NOT NULL FROM idn_auth_state WHERE state = $1",
                             params["state"])  # used once


async def test_newstaff_links_by_password_and_next_time_goes_straight_in(db, client, idp):
    await ensure_providers()
    first = await sso_login(client, idp, "oidc", "newstaff", kind="oidc", next_url="/h5/me/logins")
    assert first.status_code == 303 and first.headers["location"] == "/auth/bind"
    page = await client.get("/auth/bind")
    assert "This 统一身份认证 (OIDC) account is not linked to a Tongchuang account yet." in page.text
    assert "新教师" in page.text
    assert "/login/sms?bind=" not in page.text  # SMS linking is offered to WeChat accounts

    wrong = await client.post("/auth/bind", data={"username": "liaison", "password": "nope-nope-1",
                                                  "_csrf_token": csrf_from(page.text)})
    assert wrong.status_code == 422 and "Wrong username or password." in wrong.text
    assert (await last_login(db))["reason"] == "invalid"  # through app.core.auth: the lockout counts it

    linked = await client.post("/auth/bind", data={"username": "liaison", "password": "Demo2026pass",
                                                   "_csrf_token": csrf_from(wrong.text)})
    assert linked.status_code == 303 and linked.headers["location"] == "/h5/me/logins"
    assert await session_user(db) == "liaison"
    assert await db.fetchval("SELECT how FROM idn_binding WHERE subject = 'u-newstaff'") == "password"
    assert (await client.get("/auth/bind")).status_code == 400  # the pending identity is gone

    client.cookies.clear()
    again = await sso_login(client, idp, "oidc", "newstaff", kind="oidc")
    assert again.status_code == 303 and again.headers["location"] == "/admin"  # liaison is staff
    assert await session_user(db) == "liaison" and (await last_login(db))["reason"] == "oidc"


async def test_the_binding_page_trusts_only_its_signed_cookie(db, client, idp):
    await ensure_providers()
    assert (await client.get("/auth/bind")).status_code == 400
    client.cookies.set("tc_idn_pending", "eyJleHQiOnsic3ViamVjdCI6ImFkbWluIn19.forged.sig")
    page = await client.get("/auth/bind")
    assert page.status_code == 400 and "There is no login waiting to be linked" in page.text


FAULTS = [("wrong_nonce", "oidc_nonce", "does not belong to this login attempt"),
          ("wrong_issuer", "oidc_issuer", "comes from another server"),
          ("wrong_audience", "oidc_audience", "issued for another application"),
          ("bad_signature", "oidc_signature", "not validly signed"),
          ("expired", "oidc_expired", "has expired")]


@pytest.mark.parametrize(("fault", "reason", "message"), FAULTS)
async def test_a_defective_id_token_is_refused_logged_and_audited(db, client, idp, fault, reason, message):
    await ensure_providers()
    authorize = await start(client, "/auth/sso/oidc/start")
    async with idp_browser(idp) as browser:
        back = await oidc_authenticate(browser, authorize, "t2002")
        assert (await browser.post("/_sim/faults", json={"oidc": fault})).status_code == 200
        try:
            refused = await client.get(local(back))
        finally:
            await browser.post("/_sim/faults", json={"oidc": ""})
    assert refused.status_code == 400, refused.text[:300]
    assert message in refused.text and 'href="/auth/sso/oidc/start"' in refused.text
    failure = await last_login(db)
    assert failure["success"] is False and failure["reason"] == reason
    assert failure["username"] == "oidc:u-t2002" or reason == "oidc_signature"
    audit = await db.fetchrow("SELECT entity, summary FROM audit_log WHERE action = 'login_refused'")
    assert dict(audit) == {"entity": "idn_provider", "summary": reason}
    assert await db.fetchval("SELECT count(*) FROM web_session") == 0
    assert await db.fetchval("SELECT count(*) FROM idn_binding") == 0
