"""Identity benchmark (SUP-05, SUP-08, IDV-05): the verification funnel of the seeded demo, the time of whole
logins (CAS, OIDC, WeChat, SMS code) through the app and the real built-in IdP over HTTP, and the verification
statistics at many claims.

    .venv/bin/python bench/identity_bench.py [--logins 30] [--claims 100000] [--keep-db]

It prints figures (and writes bench/results/identity_bench.json); it is not a test. The database
`tc_bench_idn` is created fresh (migrations + seed) and dropped afterwards unless --keep-db; the IdP runs on a
free 127.0.0.1 port and stops with the script.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import web_baseline as wb  # noqa: E402 - the shared bench helpers

DB_NAME = "tc_bench_idn"


def _ms(values: list[float]) -> dict:
    values = sorted(values)
    return {"n": len(values), "p50_ms": round(statistics.median(values) * 1000, 1),
            "p95_ms": round(values[min(len(values) - 1, int(.95 * len(values)))] * 1000, 1),
            "max_ms": round(values[-1] * 1000, 1)}


async def _timed(n: int, one) -> dict:
    took = []
    for i in range(n):
        started = time.perf_counter()
        await one(i)
        took.append(time.perf_counter() - started)
    return _ms(took)


async def run(idp: str, logins: int, claims: int) -> dict:
    import httpx

    from app import modules
    from app.core import db, jobs, settings_store
    from app.core.audit import Actor
    from app.core.permissions import Scope
    from app.identity import stats
    from app.main import create_app
    from tests.identity import sso_browser as browser

    modules.load()
    await db.start_pool(min_size=2, max_size=8)
    app = create_app(manage_pool=False)
    viewer = Actor(None, "bench", scope=Scope(all=True), is_superuser=True)
    results: dict = {}
    try:
        results["funnel_seeded_demo"] = {r["code"]: r["value"] for r in await stats.funnel(viewer, stats.Period())}
        await browser.ensure_providers()
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))

        def client() -> httpx.AsyncClient:
            return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1",
                                     headers={"accept-language": "en"})

        async def oidc(_i: int) -> None:
            async with client() as c:
                response = await browser.sso_login(c, idp, "oidc", "t2002", kind="oidc")
                assert response.status_code == 303 and "tc_session" in c.cookies, response.text[:300]

        async def cas(_i: int) -> None:
            async with client() as c:
                response = await browser.sso_login(c, idp, "cas", "t2001", kind="cas")
                assert response.status_code == 303 and "tc_session" in c.cookies, response.text[:300]

        async def wechat(_i: int) -> None:
            async with client() as c:
                response, _ = await browser.wechat_login(c, idp, "微信用户小张")
                assert response.status_code == 303 and "tc_session" in c.cookies, response.text[:300]

        async def sms(i: int) -> None:
            phone = f"177{i:08d}"
            async with client() as c:
                page = await c.get("/login/sms")
                token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
                await c.post("/login/sms", data={"phone": phone, "action": "send", "_csrf_token": token})
                text = await db.fetchval("SELECT m.text FROM sms_message m WHERE m.phone = $1 ORDER BY m.id DESC"
                                         " LIMIT 1", phone)
                code = re.search(r"\b(\d{6})\b", text).group(1)
                done = await c.post("/login/sms", data={"phone": phone, "code": code, "action": "login",
                                                        "_csrf_token": token})
                assert done.status_code == 303, done.text[:300]

        # CAS maps by number: t2001 links to cs_admin once (the binding page), then every login goes straight in.
        await db.execute("INSERT INTO idn_binding (provider, subject, \"user\", how) SELECT p.id, 't2001', u.id,"
                         " 'admin' FROM idn_provider p, app_user u WHERE p.code = 'cas' AND u.username = 'cs_admin'"
                         " ON CONFLICT DO NOTHING")
        async with client() as c:  # the first WeChat login binds the openid by registering an account
            response, _ = await browser.wechat_login(c, idp, "微信用户小张")
            page = await c.get("/auth/bind")
            token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
            await c.post("/auth/bind/register", data={"new_username": "bench_wx", "real_name": "微信用户小张",
                                                      "new_email": "bench_wx@example.cn", "_csrf_token": token})
        for key in ("identity.sms.per_phone_day", "identity.sms.per_ip_hour"):  # one client address sends them all
            await settings_store.put(key, 100_000)
        results["login_oidc"] = await _timed(logins, oidc)
        results["login_cas"] = await _timed(logins, cas)
        results["login_wechat_bound"] = await _timed(logins, wechat)
        results["login_sms_code"] = await _timed(logins, sms)
        await jobs.drain()

        # Statistics at many claims: bulk rows over the demo users and colleges, then the stats page's queries.
        await db.execute(
            "INSERT INTO idn_claim (\"user\", kind, name, college, entry_year, status, method, created_at, verified_at)"
            " SELECT (SELECT id FROM app_user ORDER BY id LIMIT 1 OFFSET (g % 40)), 'alumnus', '压测' || g,"
            " (SELECT id FROM org_node WHERE kind = 'college' ORDER BY id LIMIT 1 OFFSET (g % 3)), 1990 + g % 30,"
            " (ARRAY['verified','verified','rejected','withdrawn'])[1 + g % 4],"
            " CASE WHEN g % 4 < 2 THEN (ARRAY['id_match','questions','face','manual'])[1 + g % 4] ELSE '' END,"
            " now() - make_interval(days => g % 365), now() FROM generate_series(1, $1) g", claims)
        await db.execute("ANALYZE idn_claim")
        results["claims"] = await db.fetchval("SELECT count(*) FROM idn_claim")
        results["stats_overview_all"] = await _timed(10, lambda _i: stats.overview(viewer, stats.Period()))
        async with client() as c:
            page = await c.get("/login")
            token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
            await c.post("/login", data={"username": "cs_admin", "password": "Demo2026pass", "_csrf_token": token})

            async def page_view(_i: int) -> None:
                response = await c.get("/admin/identity/stats")
                assert response.status_code == 200

            results["stats_page_college_admin"] = await _timed(10, page_view)
    finally:
        await db.close_pool()
    return results


def main() -> int:
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request would drown the figures
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=30)
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    os.environ["TC_RATELIMIT_FACTOR"] = "1000"  # every login comes from one address here
    pg_url = wb.server_url()
    db_url = wb.with_db(pg_url, DB_NAME)
    wb.DB_NAME = DB_NAME
    port = wb.free_port()
    idp = f"http://127.0.0.1:{port}"
    os.environ["TC_IDP_URL"] = idp
    proc = None
    try:
        wb.prepare_database(pg_url, 0)
        os.environ["DATABASE_URL"] = db_url
        proc = subprocess.Popen([sys.executable, "-m", "app", "idp", "--port", str(port)], cwd=ROOT,
                                env={**os.environ, "TC_IDP_REALNAME_LATENCY_MS": "50"},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                import httpx

                if httpx.get(idp + "/.well-known/openid-configuration", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        results = asyncio.run(run(idp, args.logins, args.claims))
        print(json.dumps(results, indent=2, ensure_ascii=False))
        (BENCH / "results").mkdir(exist_ok=True)
        (BENCH / "results" / "identity_bench.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    finally:
        if proc:
            proc.terminate()
            proc.wait(10)
        if not args.keep_db:
            wb.drop_database(pg_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
