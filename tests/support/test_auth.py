"""SUP-02 login/logout/register/reset, SUP-12 lockout and login log, NFR-06 CSRF."""
import re

import pytest

from tests.helpers import csrf_from, login, post_form


@pytest.mark.req("SUP-02")
async def test_login_logout_round_trip(client):
    response = await login(client, "admin", "Tongchuang2026")
    assert response.status_code == 303 and response.headers["location"] == "/admin"
    page = await client.get("/admin")
    assert page.status_code == 200 and "系统管理员" in page.text
    await post_form(client, "/admin", "/logout", {})
    after = await client.get("/admin")
    assert after.status_code == 303 and after.headers["location"].startswith("/login?next=")


@pytest.mark.req("SUP-02")
async def test_wrong_password_rerenders_with_message_and_keeps_username(client):
    response = await login(client, "admin", "not-the-password")
    assert response.status_code == 422
    assert "Wrong username or password" in response.text or "用户名或密码错误" in response.text
    assert 'value="admin"' in response.text


@pytest.mark.req("SUP-12")
async def test_lockout_after_failures_blocks_even_the_right_password(client, db):
    for _ in range(5):
        await login(client, "cs_admin", "wrong-password-1")
    refused = await login(client, "cs_admin", "Demo2026pass")
    assert refused.status_code == 422
    assert re.search(r"blocked|锁定|封禁", refused.text)
    rows = await db.fetch("SELECT reason, success, device, browser FROM login_log WHERE username = 'cs_admin' "
                          "ORDER BY id")
    assert [r["reason"] for r in rows] == ["invalid"] * 5 + ["blocked"]
    assert await db.fetchval("SELECT count(*) FROM login_block WHERE key = 'user:cs_admin'") == 1
    # the address has its own, higher limit (login.ip_max_failures): a campus NAT carries many users
    assert await db.fetchval("SELECT count(*) FROM login_block WHERE key = 'ip:127.0.0.1'") == 0


@pytest.mark.req("SUP-12")
async def test_login_log_records_device_from_user_agent(client, db):
    ua = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 MicroMessenger/8.0.40"
    page = await client.get("/login")
    await client.post("/login", headers={"user-agent": ua},
                      data={"username": "hq", "password": "Demo2026pass", "_csrf_token": csrf_from(page.text)})
    row = await db.fetchrow("SELECT * FROM login_log WHERE username = 'hq' ORDER BY id DESC LIMIT 1")
    assert row["success"] and row["device"] == "mobile" and row["browser"] == "WeChat" and row["platform"] == "iOS"


@pytest.mark.req("NFR-06")
async def test_post_without_csrf_token_is_refused(client):
    response = await client.post("/login", data={"username": "admin", "password": "Tongchuang2026"})
    assert response.status_code == 403


@pytest.mark.req("SUP-02")
async def test_register_validates_fields_and_creates_account(client, db):
    bad = await post_form(client, "/register", "/register",
                          {"username": "ab", "name": "", "email": "nope", "password": "short"})
    assert bad.status_code == 422
    assert bad.text.count('class="error"') >= 4
    assert 'value="ab"' in bad.text  # nothing typed is lost
    ok = await post_form(client, "/register", "/register",
                         {"username": "newalum", "name": "新校友", "email": "new@example.cn",
                          "password": "abc12345xyz"})
    assert ok.status_code == 303
    assert await db.fetchval("SELECT kind FROM app_user WHERE username = 'newalum'") == "registered"


@pytest.mark.req("SUP-02")
async def test_password_reset_mail_link_and_refusals(client, db, smtp_sink):
    from app.core import jobs

    await post_form(client, "/password/forgot", "/password/forgot", {"email": "hq@tongchuang.local"})
    await jobs.drain()
    mail = await db.fetchrow("SELECT * FROM dev_mail WHERE rcpt LIKE '%hq@tongchuang.local%' ORDER BY id DESC LIMIT 1")
    assert mail is not None, "reset mail did not reach the SMTP sink"
    link = re.search(r"(/password/reset/\S+)", mail["body"]).group(1)
    forged = await client.get(link[:-3] + "xyz")
    assert forged.status_code == 400 and ("not valid" in forged.text or "无效" in forged.text)
    page = await client.get(link)
    assert page.status_code == 200
    done = await client.post(link, data={"password": "NewPass2026", "password2": "NewPass2026",
                                         "_csrf_token": csrf_from(page.text)})
    assert done.status_code == 303
    assert (await login(client, "hq", "NewPass2026")).status_code == 303
    reused = await client.get(link)
    assert reused.status_code == 400  # single use: bound to the old password hash


@pytest.mark.req("SUP-02")
async def test_expired_reset_link_is_refused_with_clear_message(client, monkeypatch):
    from app.support import users

    found = await users.reset_token_for("hq@tongchuang.local")
    monkeypatch.setattr(users, "RESET_MAX_AGE", -1)
    page = await client.get(f"/password/reset/{found[1]}")
    assert page.status_code == 400 and ("expired" in page.text or "过期" in page.text)


@pytest.mark.req("SUP-02")
async def test_change_own_password_requires_current(as_user, db):
    client = await as_user("bj_admin")
    bad = await post_form(client, "/admin/profile", "/admin/password",
                          {"current": "wrong", "password": "Another2026", "password2": "Another2026"})
    assert bad.status_code == 422
    good = await post_form(client, "/admin/profile", "/admin/password",
                           {"current": "Demo2026pass", "password": "Another2026", "password2": "Another2026"})
    assert good.status_code == 303
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'user' AND action = 'password'") >= 1


@pytest.mark.req("SUP-12")
@pytest.mark.parametrize("target", ["/%09/evil.example", "/\t/evil.example", "/\\evil.example", "\\\\evil.example",
                                    "/\n/evil.example", "/\r\nSet-Cookie:x=1", "//evil.example", "https://evil.example",
                                    "/\x00/evil.example", "/\x7f/evil.example"])
async def test_next_never_leaves_the_site(as_user, client, target):
    import urllib.parse

    def local(response) -> bool:
        location = response.headers.get("location", "")
        parts = urllib.parse.urlsplit(location)
        # what a browser would do with it: drop tabs and newlines, read backslashes as slashes
        cleaned = re.sub(r"[\t\r\n]", "", location).replace("\\", "/")
        return not parts.scheme and not parts.netloc and not cleaned.startswith("//")

    # POST /login with next
    page = await client.get("/login")
    response = await client.post("/login", data={"username": "hq", "password": "Demo2026pass", "next": target,
                                                 "_csrf_token": csrf_from(page.text)})
    assert response.status_code == 303 and local(response), response.headers.get("location")
    # GET /login?next=… while logged in
    response = await client.get("/login", params={"next": target})
    assert response.status_code == 303 and local(response), response.headers.get("location")
    # POST /lang
    page = await client.get("/admin/profile")
    response = await client.post("/lang", data={"lang": "en", "next": target, "_csrf_token": csrf_from(page.text)})
    assert response.status_code == 303 and local(response), response.headers.get("location")


@pytest.mark.req("SUP-12")
async def test_a_local_next_with_chinese_text_is_kept_percent_encoded(as_user, client):
    page = await client.get("/login")
    response = await client.post("/login", data={"username": "hq", "password": "Demo2026pass",
                                                 "next": "/admin/records?q=同窗", "_csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/records?q=%E5%90%8C%E7%AA%97"


@pytest.mark.req("SUP-12")
async def test_a_successful_login_does_not_reset_the_failures_counted_for_the_address(client, db):
    from app.core import settings_store

    await settings_store.put("login.ip_max_failures", 6)
    for _ in range(3):
        await login(client, "cs_admin", "wrong-password-1")
    assert (await login(client, "hq", "Demo2026pass")).status_code == 303  # a valid account of the guesser
    for _ in range(3):
        await login(client, "auditor", "wrong-password-2")
    assert await db.fetchval("SELECT count(*) FROM login_block WHERE key = 'ip:127.0.0.1'") == 1
    refused = await login(client, "hq", "Demo2026pass")
    assert refused.status_code == 422 and re.search(r"blocked|锁定|封禁", refused.text)
    # the accounts themselves stay below their own limit (5 since the last success)
    assert await db.fetchval("SELECT count(*) FROM login_block WHERE key LIKE 'user:%'") == 0
