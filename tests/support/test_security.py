"""SUP-12 login security: login log filters, statistics from real login_log rows, audited unblock."""
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.helpers import csrf_from, login, post_form

DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.0 Mobile/15E148 Safari/604.1")
IPAD = ("Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 "
        "Mobile/15E148 Safari/604.1")


async def log_row(db, username, *, ip="10.0.0.1", success=True, reason="ok", device="pc", days_ago=0,
                  platform="Windows", browser="Chrome"):
    await db.execute("INSERT INTO login_log (at, username, ip, ua, platform, device, browser, success, reason) "
                     "VALUES ($1, $2, $3, '', $4, $5, $6, $7, $8)",
                     datetime.now(UTC) - timedelta(days=days_ago), username, ip, platform, device, browser,
                     success, reason)


@pytest.fixture
async def browser_at(app, db):
    """Clients from other addresses and devices (the default client is 127.0.0.1)."""
    clients = []

    async def _make(ip: str, ua: str = DESKTOP) -> httpx.AsyncClient:
        c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(ip, 40001)), base_url="http://127.0.0.1",
                              headers={"user-agent": ua, "accept-language": "en"})
        clients.append(c)
        return c

    yield _make
    for c in clients:
        await c.aclose()


def usernames_listed(html: str) -> set[str]:
    body = html.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in html else ""
    return set(re.findall(r'data-label="[^"]*">(zz_[a-z0-9_]+)<', body))


@pytest.mark.req("SUP-12")
async def test_login_log_filters(as_user, db):
    await log_row(db, "zz_ok_pc", ip="10.1.1.1")
    await log_row(db, "zz_bad_phone", ip="10.1.1.2", success=False, reason="invalid", device="mobile")
    await log_row(db, "zz_blocked", ip="10.2.2.2", success=False, reason="blocked", device="tablet")
    await log_row(db, "zz_old", ip="10.1.1.9", days_ago=10)
    client = await as_user("auditor")  # security auditor: sup.security.view

    async def listed(**params) -> set[str]:
        response = await client.get("/admin/security/logins", params={"per_page": 100, **params})
        assert response.status_code == 200
        return usernames_listed(response.text)

    assert await listed(username="zz_") == {"zz_ok_pc", "zz_bad_phone", "zz_blocked", "zz_old"}
    assert await listed(username="zz_", result="success") == {"zz_ok_pc", "zz_old"}
    assert await listed(username="zz_", result="failed") == {"zz_bad_phone"}
    assert await listed(username="zz_", result="blocked") == {"zz_blocked"}
    assert await listed(username="zz_", device="mobile") == {"zz_bad_phone"}
    assert await listed(ip="10.1.1.") == {"zz_ok_pc", "zz_bad_phone", "zz_old"}
    today = datetime.now(UTC).date()
    assert await listed(username="zz_", **{"from": (today - timedelta(days=1)).isoformat()}) == \
        {"zz_ok_pc", "zz_bad_phone", "zz_blocked"}
    assert await listed(username="zz_", to=(today - timedelta(days=5)).isoformat()) == {"zz_old"}
    newest_first = await client.get("/admin/security/logins", params={"username": "zz_"})
    assert newest_first.text.index("zz_old") > newest_first.text.index("zz_ok_pc")
    oldest_first = await client.get("/admin/security/logins", params={"username": "zz_", "sort": "at"})
    assert oldest_first.text.index("zz_old") < oldest_first.text.index("zz_ok_pc")
    htmx = await client.get("/admin/security/logins", params={"username": "zz_old"},
                            headers={"hx-request": "true", "hx-target": "results"})
    assert "<html" not in htmx.text and "zz_old" in htmx.text  # only the results block


@pytest.mark.req("SUP-12")
async def test_stats_count_real_logins(as_user, db, browser_at):
    for ip, ua in (("10.9.0.1", DESKTOP), ("10.9.0.2", IPHONE), ("10.9.0.3", IPHONE), ("10.9.0.4", IPAD)):
        assert (await login(await browser_at(ip, ua), "bj_admin", "Demo2026pass")).status_code == 303
    assert (await login(await browser_at("10.9.0.5", IPHONE), "bj_admin", "wrong-one")).status_code == 422
    client = await as_user("auditor")
    page = await client.get("/admin/security/stats")
    assert page.status_code == 200
    totals = await db.fetchrow("SELECT count(*) AS total, count(*) FILTER (WHERE success) AS ok, "
                               "count(*) FILTER (WHERE device = 'mobile') AS mobile, "
                               "count(*) FILTER (WHERE platform = 'iOS') AS ios FROM login_log")
    assert totals["mobile"] == 3 and totals["ios"] == 4  # the rows came from real logins
    assert f'<dd id="stat-total">{totals["total"]}</dd>' in page.text
    assert f'<dd id="stat-success">{totals["ok"]}</dd>' in page.text

    def chart_rows(section: str) -> dict[str, str]:
        html = page.text.split(f'id="{section}"')[1].split("</section>")[0]
        return dict(re.findall(r'<tr><th scope="row">([^<]+)</th><td>([^<]+)</td>', html))

    assert chart_rows("by-platform")["iOS"] == str(totals["ios"])
    devices = chart_rows("by-device")
    assert "3" in (devices.get("手机"), devices.get("Phone"))
    assert "<svg" in page.text.split('id="by-day"')[1].split("</section>")[0]
    days = chart_rows("by-day")
    today = await db.fetchval("SELECT to_char(current_date, 'MM-DD')")
    assert len(days) == 30 and days[today] == str(totals["total"])
    hours = chart_rows("by-hour")
    assert len(hours) == 24 and sum(int(v) for v in hours.values()) == totals["total"]


@pytest.mark.req("SUP-12")
async def test_unblock_lets_a_blocked_user_log_in_again(as_user, db, browser_at):
    from app.core import settings_store

    await settings_store.put("login.ip_max_failures", 5)  # the attacker's address is blocked too
    admin = await as_user("admin")  # logged in before the block; from 127.0.0.1
    attacker = await browser_at("10.66.0.1")
    for _ in range(5):
        assert (await login(attacker, "em_admin", "wrong-password")).status_code == 422
    victim = await browser_at("10.66.0.2")  # another address: the account itself is blocked
    refused = await login(victim, "em_admin", "Demo2026pass")
    assert refused.status_code == 422 and "form-errors" in refused.text
    block_id = await db.fetchval("SELECT id FROM login_block WHERE key = 'user:em_admin'")
    assert block_id

    blocks = await admin.get("/admin/security/blocks")
    assert "em_admin" in blocks.text and "10.66.0.1" in blocks.text
    assert f'hx-post="/admin/security/blocks/{block_id}/unblock"' in blocks.text and "hx-confirm=" in blocks.text
    confirm = await admin.get(f"/admin/security/blocks/{block_id}/unblock")  # the no-JS path: a confirm page
    assert confirm.status_code == 200 and f'action="/admin/security/blocks/{block_id}/unblock"' in confirm.text
    done = await admin.post(f"/admin/security/blocks/{block_id}/unblock", data={"_csrf_token": csrf_from(confirm.text)})
    assert done.status_code == 303 and done.headers["location"] == "/admin/security/blocks"
    assert await db.fetchval("SELECT count(*) FROM login_block WHERE key = 'user:em_admin'") == 0
    log = await db.fetchrow("SELECT * FROM audit_log WHERE action = 'unblock'")
    assert log["entity"] == "login_block" and log["entity_id"] == "user:em_admin" and log["actor_name"] == "admin"
    assert (await login(victim, "em_admin", "Demo2026pass")).status_code == 303
    again = await admin.post(f"/admin/security/blocks/{block_id}/unblock",
                             data={"_csrf_token": csrf_from(confirm.text)})
    assert again.status_code == 303  # already lifted: back to the list with a message, no error page


@pytest.mark.req("SUP-12")
async def test_viewing_and_unblocking_need_permissions(as_user, db):
    await db.execute("INSERT INTO login_block (key, until, reason) "
                     "VALUES ('ip:10.7.7.7', now() + interval '1 hour', 'x')")
    block_id = await db.fetchval("SELECT id FROM login_block WHERE key = 'ip:10.7.7.7'")
    auditor = await as_user("auditor")  # may view, may not unblock
    blocks = await auditor.get("/admin/security/blocks")
    assert blocks.status_code == 200 and "10.7.7.7" in blocks.text and "/unblock" not in blocks.text
    assert (await auditor.get(f"/admin/security/blocks/{block_id}/unblock")).status_code == 403
    refused = await post_form(auditor, "/admin/security/blocks", f"/admin/security/blocks/{block_id}/unblock", {})
    assert refused.status_code == 403
    assert await db.fetchval("SELECT count(*) FROM login_block WHERE id = $1", block_id) == 1
    await post_form(auditor, "/admin", "/logout", {})
    college = await as_user("cs_admin")
    assert (await college.get("/admin/security/logins")).status_code == 403
