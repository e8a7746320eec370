"""Signed session cookies (app.core.sessions): verified in memory, refused when forged or expired,
and revoked in every web process within a second (LISTEN/NOTIFY)."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from app.core import sessions
from app.core.auth import SESSION_COOKIE
from tests.helpers import WebProcess, csrf_from, post_form

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def second_process(database):
    """Another web process on the same database, as behind a load balancer."""
    with WebProcess(database, ROOT / "e2e" / "artifacts" / "second_process.log", TC_SESSION_TTL="60") as server:
        server.wait_ready()
        yield server.url


async def _session_cookie(as_user, username: str) -> str:
    client = await as_user(username)
    return client.cookies[SESSION_COOKIE]


async def _status_there(url: str, cookie: str, path: str = "/admin") -> int:
    async with httpx.AsyncClient(base_url=url, cookies={SESSION_COOKIE: cookie}, timeout=5) as other:
        return (await other.get(path)).status_code


async def _seconds_until_refused(url: str, cookie: str, path: str = "/admin", refused=(303,)) -> float:
    start = time.monotonic()
    async with httpx.AsyncClient(base_url=url, cookies={SESSION_COOKIE: cookie}, timeout=5) as other:
        while time.monotonic() - start < 5:
            if (await other.get(path)).status_code in refused:
                return time.monotonic() - start
            await asyncio.sleep(0.02)
    return float("inf")


@pytest.mark.req("SUP-12")
@pytest.mark.req("NFR-04")
async def test_logout_in_one_process_is_refused_by_another_within_a_second(as_user, client, second_process):
    cookie = await _session_cookie(as_user, "hq")
    assert await _status_there(second_process, cookie) == 200  # the other process now holds the session
    page = await client.get("/admin")
    response = await client.post("/logout", data={"_csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    assert await _seconds_until_refused(second_process, cookie) < 1.0


@pytest.mark.req("SUP-12")
async def test_password_change_ends_every_session_everywhere(as_user, client, second_process):
    phone_cookie = await _session_cookie(as_user, "hq")  # an older session of the same user
    await _session_cookie(as_user, "hq")
    assert await _status_there(second_process, phone_cookie) == 200
    response = await post_form(client, "/admin/profile", "/admin/password",
                               {"current": "Demo2026pass", "password": "Another2026pass!",
                                "password2": "Another2026pass!"})
    assert response.status_code == 303
    assert await _seconds_until_refused(second_process, phone_cookie) < 1.0
    assert (await client.get("/admin")).status_code == 303


@pytest.mark.req("SUP-12")
async def test_log_out_everywhere_and_admin_lockout(as_user, client, second_process, db):
    victim = await _session_cookie(as_user, "bj_admin")
    assert await _status_there(second_process, victim) == 200
    response = await post_form(client, "/admin/profile", "/admin/logout-everywhere", {})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert await _seconds_until_refused(second_process, victim) < 1.0

    victim = await _session_cookie(as_user, "liaison")
    user_id = await db.fetchval("SELECT id FROM app_user WHERE username = 'liaison'")
    assert await _status_there(second_process, victim) == 200
    await as_user("admin")
    response = await post_form(client, f"/admin/users/{user_id}", f"/admin/users/{user_id}/logout-everywhere", {})
    assert response.status_code == 303
    assert await _seconds_until_refused(second_process, victim) < 1.0
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'logout_all' AND entity_id = $1",
                             str(user_id)) == 1


@pytest.mark.req("SUP-03")
async def test_a_role_change_applies_in_the_other_process_at_once(as_user, client, second_process, db):
    cookie = await _session_cookie(as_user, "auditor")
    assert await _status_there(second_process, cookie, "/admin/audit") == 200
    from app.core.audit import SYSTEM
    from app.support import roles

    role_id = await db.fetchval("SELECT r.id FROM role r JOIN user_role ur ON ur.role = r.id JOIN app_user u "
                                "ON u.id = ur.\"user\" WHERE u.username = 'auditor' LIMIT 1")
    role = await roles.get_role(role_id)
    await roles.save_role(SYSTEM, role_id, code=role["code"], name=role["name"], description="",
                                 permissions=["sup.admin"], data_scope=role["data_scope"], scope_org=role["scope_org"])
    assert await _seconds_until_refused(second_process, cookie, "/admin/audit", refused=(403,)) < 1.0
    assert await _status_there(second_process, cookie, "/admin") == 200  # still logged in


@pytest.mark.req("SUP-12")
async def test_forged_altered_and_expired_cookies_are_refused(as_user, client, db):
    cookie = await _session_cookie(as_user, "hq")
    assert (await client.get("/admin")).status_code == 200
    sid, uid, version, issued, _ = sessions.decode(cookie, 3600)
    admin_id = await db.fetchval("SELECT id FROM app_user WHERE username = 'admin'")

    def status(value: str):
        client.cookies.clear()
        client.cookies.set(SESSION_COOKIE, value)
        return client.get("/admin")

    from itsdangerous import URLSafeTimedSerializer

    forged = URLSafeTimedSerializer("not-the-secret", salt="session").dumps([sid, admin_id, 0, issued])
    assert (await status(forged)).status_code == 303
    head, body, sig = cookie.split(".")
    assert (await status(f"{head}x.{body}.{sig}")).status_code == 303
    # a genuine cookie naming another user's session (same signature key, other purpose)
    from app.core.security import sign

    assert (await status(sign("flash", [sid, admin_id, 0, issued]))).status_code == 303
    # absolute timeout: issued longer ago than the session lifetime
    old = sessions.encode(sid, uid, version, issued - sessions.absolute_seconds() - 10)
    assert (await status(old)).status_code == 303
    # idle timeout: signed longer ago than the idle limit
    from app.core import settings_store

    await settings_store.put("login.idle_minutes", 1)
    assert (await status(cookie)).status_code == 200
    assert (await status(_signed_minutes_ago(2, sid, uid, version, issued))).status_code == 303
    # a cookie already verified (remembered by this process) still runs out on the idle clock
    two_minutes_old = _signed_minutes_ago(2, sid, uid, version, issued)
    await settings_store.put("login.idle_minutes", 60)
    assert (await status(two_minutes_old)).status_code == 200
    await settings_store.put("login.idle_minutes", 1)
    assert (await status(two_minutes_old)).status_code == 303
    assert sessions.decode(f"{head}.{body}.{sig}x", 3600) is None  # the memo holds exact texts only


@pytest.mark.req("SUP-12")
async def test_the_idle_clock_moves_on_and_requests_need_no_session_query(as_user, client, db):
    from app.core import settings_store

    await as_user("hq")
    await settings_store.put("login.idle_minutes", 60)
    sid, uid, version, issued, _ = sessions.decode(client.cookies[SESSION_COOKIE], 3600)
    client.cookies.set(SESSION_COOKIE, _signed_minutes_ago(10, sid, uid, version, issued))
    response = await client.get("/admin")
    assert response.status_code == 200
    refreshed = response.cookies.get(SESSION_COOKIE)
    assert refreshed and sessions.decode(refreshed, 3600)[:4] == (sid, uid, version, issued)
    assert time.time() - sessions.decode(refreshed, 3600)[4] < 5

    # once the user is cached, a request reads no session or user row
    await client.get("/admin/profile")
    before = await db.fetchval("SELECT seq_scan + COALESCE(idx_scan, 0) FROM pg_stat_user_tables "
                               "WHERE relname = 'web_session'")
    for _ in range(3):
        assert (await client.get("/admin/profile")).status_code == 200
    await asyncio.sleep(0.6)  # statistics are flushed by the backend every 500 ms at most
    after = await db.fetchval("SELECT seq_scan + COALESCE(idx_scan, 0) FROM pg_stat_user_tables "
                              "WHERE relname = 'web_session'")
    assert after == before


def _signed_minutes_ago(minutes: int, *payload) -> str:
    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    class Past(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - minutes * 60

    return URLSafeTimedSerializer(sessions.get_settings().secret_key, salt="session", signer=Past).dumps(list(payload))
