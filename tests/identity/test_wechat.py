"""SUP-08 WeChat web OAuth against the local WeChat simulator over real HTTP: silent snsapi_base first, a
second round with snsapi_userinfo only for an openid we do not know, the binding page, the direct second
login, a replayed code refused, and a unionid known through another appid."""
import pytest

from tests.helpers import csrf_from
from tests.identity.sso_browser import (
    ensure_providers,
    idp_browser,
    local,
    query,
    start,
    wechat_authorize,
    wechat_login,
    with_params,
)

pytestmark = pytest.mark.req("SUP-08")
WECHAT_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
             "Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN")


async def last_login(db) -> dict:
    return await db.fetchrow("SELECT username, user_id, success, reason FROM login_log ORDER BY id DESC LIMIT 1")


async def bind_by_password(db, client, idp, account: str, username: str = "liaison") -> None:
    response, callbacks = await wechat_login(client, idp, account)
    assert [query(c).get("code") is not None for c in callbacks] == [True, True]  # base, then userinfo
    assert response.status_code == 303 and response.headers["location"] == "/auth/bind", response.text[:300]
    page = await client.get("/auth/bind")
    linked = await client.post("/auth/bind", data={"username": username, "password": "Demo2026pass",
                                                   "_csrf_token": csrf_from(page.text)})
    assert linked.status_code == 303, linked.text[:300]


async def test_the_wechat_browser_is_sent_to_wechat_oauth(db, client, idp):
    await ensure_providers()
    page = await client.get("/login?next=/h5/me/logins", headers={"user-agent": WECHAT_UA})
    assert page.status_code == 303 and page.headers["location"] == "/auth/wechat/wechat/start?next=%2Fh5%2Fme%2Flogins"
    authorize = await start(client, page.headers["location"])
    params = query(authorize)
    assert authorize.startswith(f"{idp}/connect/oauth2/authorize?") and authorize.endswith("#wechat_redirect")
    assert params["appid"] == "wxdev00000000001" and params["scope"] == "snsapi_base"


async def test_an_unbound_wechat_account_is_asked_for_its_profile_bound_and_then_logs_in_silently(db, client, idp):
    await ensure_providers()
    response, callbacks = await wechat_login(client, idp, "校友小明")
    assert len(callbacks) == 2 and response.headers["location"] == "/auth/bind"
    page = await client.get("/auth/bind", headers={"user-agent": WECHAT_UA})
    assert page.status_code == 200 and "校友小明" in page.text
    assert "This 微信 account is not linked to a Tongchuang account yet." in page.text
    assert 'href="/login/sms?bind=' in page.text and "h5-main" in page.text  # the phone layout
    linked = await client.post("/auth/bind", data={"username": "liaison", "password": "Demo2026pass",
                                                   "_csrf_token": csrf_from(page.text)})
    assert linked.status_code == 303
    binding = await db.fetchrow("SELECT b.subject, b.unionid, b.display_name, b.how, u.username FROM idn_binding b"
                                ' JOIN app_user u ON u.id = b."user"')
    assert binding["subject"].startswith("o") and binding["unionid"] and binding["display_name"] == "校友小明"
    assert binding["username"] == "liaison" and binding["how"] == "password"

    client.cookies.clear()
    again, callbacks = await wechat_login(client, idp, "校友小明")
    assert len(callbacks) == 1 and query(callbacks[0])["code"]  # snsapi_base only: no consent page
    assert again.status_code == 303 and again.headers["location"] == "/admin"
    row = await last_login(db)
    assert row["username"] == "liaison" and row["success"] and row["reason"] == "wechat"


async def test_a_replayed_wechat_code_is_refused_logged_and_audited(db, client, idp):
    await ensure_providers()
    await bind_by_password(db, client, idp, "校友小红")
    client.cookies.clear()
    first, callbacks = await wechat_login(client, idp, "校友小红")
    assert first.status_code == 303
    used_code = query(callbacks[0])["code"]

    client.cookies.clear()
    authorize = await start(client, "/auth/wechat/wechat/start")  # a new login of this browser …
    state = query(authorize)["state"]
    replay = await client.get(f"/auth/wechat/wechat/callback?code={used_code}&state={state}")  # … with an old code
    assert replay.status_code == 400 and "This WeChat login was already used." in replay.text
    assert 'href="/auth/wechat/wechat/start"' in replay.text
    failure = await last_login(db)
    assert failure["success"] is False and failure["reason"] == "wechat_code_used"
    audit = await db.fetchrow("SELECT summary, after FROM audit_log WHERE action = 'login_refused'")
    assert audit["summary"] == "wechat_code_used" and "40163" in audit["after"]

    authorize = await start(client, "/auth/wechat/wechat/start")
    invalid = await client.get(f"/auth/wechat/wechat/callback?code=not-a-code&state={query(authorize)['state']}")
    assert invalid.status_code == 400 and (await last_login(db))["reason"] == "wechat_code_invalid"


async def test_a_denied_consent_comes_back_without_a_code(db, client, idp):
    await ensure_providers()
    authorize = await start(client, "/auth/wechat/wechat/start")
    async with idp_browser(idp) as phone:
        back = await wechat_authorize(phone, authorize, "校友小刚")  # base: the openid is unknown
        second = await client.get(local(back))
        page = await phone.get(with_params(second.headers["location"], sim_account="校友小刚"))
        from tests.identity.sso_browser import hidden_fields

        denied = await phone.post("/connect/oauth2/consent", data={**hidden_fields(page.text), "decision": "deny"})
    refused = await client.get(local(denied.headers["location"]))
    assert refused.status_code == 400 and "The WeChat login was not allowed." in refused.text
    assert await db.fetchval("SELECT count(*) FROM idn_binding") == 0


async def test_a_unionid_bound_through_another_appid_logs_in_without_the_binding_page(db, client, idp):
    await ensure_providers()
    await bind_by_password(db, client, idp, "校友小华")
    # A second official account of the same open platform (same person → same unionid).
    await db.execute("INSERT INTO idn_provider (code, kind, name, client_id, client_secret, scopes, mapping, sort)"
                     " VALUES ('wechat-fwh', 'wechat', '校友服务号', 'wxdev00000000001', 'wechat-dev-secret',"
                     " 'snsapi_userinfo', 'manual', 9)")
    client.cookies.clear()
    response, callbacks = await wechat_login(client, idp, "校友小华", code="wechat-fwh")
    assert len(callbacks) == 1 and response.status_code == 303 and response.headers["location"] == "/admin"
    rows = await db.fetch("SELECT p.code, b.how, u.username FROM idn_binding b JOIN idn_provider p ON"
                          ' p.id = b.provider JOIN app_user u ON u.id = b."user" ORDER BY p.code')
    assert [(r["code"], r["how"], r["username"]) for r in rows] == [("wechat", "password", "liaison"),
                                                                  ("wechat-fwh", "unionid", "liaison")]


async def test_an_unbound_wechat_account_links_by_an_sms_code(db, client, idp):
    """(b) on the binding page: the SMS-code login carries the signed pending identity and binds it."""
    import re
    from html import unescape

    from app.core import jobs

    await ensure_providers()
    response, _callbacks = await wechat_login(client, idp, "校友小芳")
    page = await client.get(response.headers["location"], headers={"user-agent": WECHAT_UA})
    sms_page = unescape(re.search(r'href="(/login/sms\?bind=[^"]+)"', page.text).group(1))
    bind = query(sms_page)["bind"]
    phone = "17712349901"  # the seeded demo numbers repeat across accounts
    await db.execute("UPDATE app_user SET phone = $1 WHERE username = 'liaison'", phone)
    form = await client.get(sms_page)
    assert form.status_code == 200
    sent = await client.post("/login/sms", data={"phone": phone, "action": "send", "bind": bind,
                                                 "_csrf_token": csrf_from(form.text)})
    assert sent.status_code == 200, sent.text[:300]
    await jobs.drain()
    text = await db.fetchval("SELECT m.text FROM sms_message m JOIN sms_batch b ON b.id = m.batch"
                             " WHERE b.source = 'notify' AND m.phone = $1 ORDER BY m.id DESC LIMIT 1", phone)
    code = re.search(r"\b(\d{6})\b", text).group(1)
    done = await client.post("/login/sms", data={"phone": phone, "code": code, "action": "login", "bind": bind,
                                                 "_csrf_token": csrf_from(sent.text)})
    assert done.status_code == 303, re.findall(r'class="(?:error|flash[^"]*)"[^>]*>([^<]+)<', done.text)
    row = await db.fetchrow('SELECT b.how, b.display_name, u.username FROM idn_binding b JOIN app_user u'
                            ' ON u.id = b."user"')
    assert dict(row) == {"how": "sms", "display_name": "校友小芳", "username": "liaison"}
    client.cookies.clear()
    again, callbacks = await wechat_login(client, idp, "校友小芳")
    assert len(callbacks) == 1 and again.status_code == 303 and again.headers["location"] == "/admin"


@pytest.mark.req("SUP-08")
async def test_inside_wechat_an_h5_page_goes_to_wechat_oauth_while_login_itself_keeps_the_form(client, db):
    from tests.identity.sso_browser import ensure_providers

    await ensure_providers()
    client.cookies.clear()
    wechat = {"user-agent": "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.47"}
    sent = await client.get("/login", params={"next": "/h5/identity"}, headers=wechat)
    assert sent.status_code == 303 and sent.headers["location"].startswith("/auth/wechat/wechat/start?next=")
    form = await client.get("/login", headers=wechat)  # staff opening /login on their phone
    assert form.status_code == 200 and 'action="/login"' in form.text and "/auth/wechat/wechat/start" in form.text
    kept = await client.get("/login", params={"next": "/h5/identity", "password": "1"}, headers=wechat)
    assert kept.status_code == 200 and 'action="/login"' in kept.text
    desktop = await client.get("/login", params={"next": "/h5/identity"})
    assert desktop.status_code == 200 and "/auth/wechat/" not in desktop.text  # WeChat OAuth works only in WeChat
    assert "/auth/sso/cas/start" in desktop.text and "/auth/sso/oidc/start" in desktop.text
