"""Event signup and door check-in benchmark (OPS-02): one hot event, 1,000 phone users signing up at the same
moment for 500 places (each signup runs its form check, the per-person lock, the quota UPDATE, the e-ticket row,
the audit entry and the in-site message), then the door: every confirmed ticket checked in by 4 scanners at once,
and the same scans replayed as an offline queue would (they must count nothing twice).

    .venv/bin/python bench/ops_signup.py [--users 1000] [--places 500] [--doors 4] [--pool 20] [--keep-db]
    .venv/bin/python bench/ops_signup.py --http [--workers 2] ...

Default: the service layer against the real PostgreSQL. With --http the same over loopback HTTP against the
product served by granian: every phone user holds a session (made directly, so 1,000 password hashes are not
what is measured), opens the signup page (CSRF token), then all press "Sign up" at once; the door is 4 staff
phones posting codes to /h5/checkin/{event}, and the offline queue is replayed through /h5/checkin/{event}/sync.
It prints figures and writes bench/results/ops_signup[_http].json; it is not a test. The database
`tc_bench_ops` is created fresh (migrations + seed) and dropped afterwards unless --keep-db.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import web_baseline as wb  # noqa: E402 - the shared bench helpers

DB_NAME = "tc_bench_ops"


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 1)


async def _all_at_once(calls) -> tuple[dict, list]:
    latencies: list[float] = []
    out: list = []

    async def one(factory):
        start = time.perf_counter()
        out.append(await factory())
        latencies.append(time.perf_counter() - start)

    started = time.perf_counter()
    await asyncio.gather(*(one(f) for f in calls))
    wall = time.perf_counter() - started
    return {"ops": len(calls), "wall_s": round(wall, 2), "ops_per_s": round(len(calls) / wall),
            "p50_ms": _p(latencies, .5), "p95_ms": _p(latencies, .95), "max_ms": _p(latencies, 1.0)}, out


async def _doors(codes: list[str], doors: int, check) -> dict:
    queue = list(codes)
    latencies: list[float] = []

    async def door(n: int):
        while queue:
            code = queue.pop()
            start = time.perf_counter()
            await check(code, n)
            latencies.append(time.perf_counter() - start)

    started = time.perf_counter()
    await asyncio.gather(*(door(n) for n in range(doors)))
    wall = time.perf_counter() - started
    return {"scans": len(codes), "wall_s": round(wall, 2), "scans_per_s": round(len(codes) / wall),
            "p50_ms": _p(latencies, .5), "p95_ms": _p(latencies, .95)}


async def run(users: int, places: int, doors: int, pool: int) -> dict:
    from app.core import db
    from app.core.audit import SYSTEM, Actor
    from app.ops import checkin, events, registrations, tickets

    await db.start_pool(min_size=2, max_size=pool)
    try:
        start = datetime.now(UTC) + timedelta(days=3)
        event_id = await events.create_event(SYSTEM, ("hq", 0), {"title": "校庆晚会（压测）", "starts_at": start,
                                                                 "ends_at": start + timedelta(hours=3)})
        ticket_id = (await tickets.ticket_types(event_id))[0]["id"]
        await tickets.save_ticket_type(SYSTEM, event_id, {"name": "入场券", "quota": places}, ticket_id)
        await events.set_status(SYSTEM, event_id, "published")
        rows = await db.fetch("SELECT id, username FROM app_user WHERE kind = 'alumni' ORDER BY id LIMIT $1", users)
        people = [Actor(r["id"], r["username"]) for r in rows]
        signup, results = await _all_at_once(
            [lambda p=p: registrations.signup(p, event_id, ticket_id, {}) for p in people])
        statuses = [r.status for r in results]
        signup.update({"concurrent_users": len(people), "places": places, "confirmed": statuses.count("confirmed"),
                       "waitlisted": statuses.count("waitlisted"),
                       "taken": await db.fetchval("SELECT taken FROM ops_ticket_type WHERE id = $1", ticket_id)})
        codes = [r.code for r in results if r.status == "confirmed"]
        staff = SYSTEM

        async def scan(code: str, n: int):
            return await checkin.check_in(staff, event_id, code, method="scan", client_ref=f"door{n}:{code}")

        door = await _doors(codes, doors, scan)

        async def replay(code: str, n: int):  # the same scans sent again (refs from the first pass)
            for k in range(doors):
                if await db.fetchval("SELECT 1 FROM ops_checkin WHERE client_ref = $1", f"door{k}:{code}"):
                    return await checkin.check_in(staff, event_id, code, method="offline",
                                                  client_ref=f"door{k}:{code}")

        replayed = await _doors(codes, doors, replay)
        counts = await checkin.door_counts(event_id)
        door.update({"doors": doors, "arrived_after_replay": counts["arrived"], "expected": counts["expected"],
                     "checkin_rows": await db.fetchval("SELECT count(*) FROM ops_checkin WHERE event = $1", event_id)})
        return {"signup": signup, "checkin": door, "offline_replay": replayed}
    finally:
        await db.close_pool()


async def prepare_http(users: int, places: int) -> dict:
    """The event and one session cookie per phone user (and one for the staff at the door)."""
    from app.core import db, sessions
    from app.core.audit import SYSTEM
    from app.ops import events, tickets

    await db.start_pool(min_size=1, max_size=4)
    try:
        start = datetime.now(UTC) + timedelta(days=3)
        event_id = await events.create_event(SYSTEM, ("hq", 0), {"title": "校庆晚会（HTTP 压测）", "starts_at": start,
                                                                 "ends_at": start + timedelta(hours=3)})
        ticket_id = (await tickets.ticket_types(event_id))[0]["id"]
        await tickets.save_ticket_type(SYSTEM, event_id, {"name": "入场券", "quota": places}, ticket_id)
        await events.set_status(SYSTEM, event_id, "published")
        ids = [r["id"] for r in await db.fetch(
            "SELECT id FROM app_user WHERE kind = 'alumni' AND is_active ORDER BY id LIMIT $1", users)]
        ua = "Mozilla/5.0 (iPhone) MicroMessenger/8.0.47"
        cookies = [await sessions.create(i, "127.0.0.1", ua) for i in ids]
        admin = await db.fetchval("SELECT id FROM app_user WHERE username = $1", wb.ADMIN_USER)
        return {"event": event_id, "ticket": ticket_id, "cookies": cookies,
                "staff": [await sessions.create(admin, "127.0.0.1", ua) for _ in range(4)]}
    finally:
        await db.close_pool()


async def run_http(base: str, data: dict, doors: int) -> dict:
    import re

    import httpx

    event, ticket = data["event"], data["ticket"]
    token_re = re.compile(r'name="_csrf_token" value="([^"]+)"')

    def client(cookie: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=base, timeout=300, cookies={"tc_session": cookie},
                                 limits=httpx.Limits(max_connections=2))

    phones = [client(c) for c in data["cookies"]]
    staff = [client(c) for c in data["staff"][:doors]]
    try:
        gate = asyncio.Semaphore(50)

        async def open_form(c) -> str:
            async with gate:
                page = await c.get(f"/h5/events/{event}/signup?ticket={ticket}")
                if page.status_code != 200:
                    raise wb.BenchError(f"signup page: {page.status_code}")
                return token_re.search(page.text).group(1)

        tokens = await asyncio.gather(*(open_form(c) for c in phones))
        wb.log(f"{len(phones)} phones hold the signup form; all press Sign up")
        statuses: dict[int, int] = {}

        async def press(c, token):
            r = await c.post(f"/h5/events/{event}/signup", data={"_csrf_token": token, "ticket": str(ticket)})
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
            return r

        signup, _ = await _all_at_once([lambda c=c, t=t: press(c, t) for c, t in zip(phones, tokens, strict=True)])
        signup["statuses"] = statuses
        signup["concurrent_users"] = len(phones)
        return {"signup": signup, "staff": staff, "event": event}
    finally:
        await asyncio.gather(*(c.aclose() for c in phones))


async def door_http(staff, event: int, codes: list[str]) -> tuple[dict, dict]:
    import re

    token_re = re.compile(r'name="_csrf_token" value="([^"]+)"')
    tokens = []
    for c in staff:
        page = await c.get(f"/h5/checkin/{event}")
        tokens.append(token_re.search(page.text).group(1))
    outcomes: dict[int, int] = {}

    async def scan(code: str, n: int):
        r = await staff[n].post(f"/h5/checkin/{event}", data={"_csrf_token": tokens[n], "code": code})
        outcomes[r.status_code] = outcomes.get(r.status_code, 0) + 1

    door = await _doors(list(codes), len(staff), scan)
    door["statuses"] = outcomes
    batches = [codes[i:i + 50] for i in range(0, len(codes), 50)]
    sync_latencies: list[float] = []
    started = time.perf_counter()
    for i, batch in enumerate(batches):  # the same scans come back from a phone that was offline
        t0 = time.perf_counter()
        r = await staff[i % len(staff)].post(
            f"/h5/checkin/{event}/sync", headers={"x-csrftoken": tokens[i % len(staff)]},
            json=[{"code": code, "ref": f"offline:{code}", "method": "offline"} for code in batch])
        if r.status_code not in (200, 201):
            raise wb.BenchError(f"sync: {r.status_code} {r.text[:200]}")
        sync_latencies.append(time.perf_counter() - t0)
    wall = time.perf_counter() - started
    replay = {"scans": len(codes), "batches": len(batches), "wall_s": round(wall, 2),
              "scans_per_s": round(len(codes) / wall) if wall else 0, "p95_batch_ms": _p(sync_latencies, .95)}
    return door, replay


async def http_counts(event: int) -> dict:
    from app.core import db
    from app.ops import checkin

    await db.start_pool(min_size=1, max_size=2)
    try:
        counts = await checkin.door_counts(event)
        return {**counts, "taken": await db.fetchval("SELECT sum(taken) FROM ops_ticket_type WHERE event = $1", event),
                "confirmed": await db.fetchval("SELECT count(*) FROM ops_registration WHERE event = $1"
                                               " AND status = 'confirmed'", event),
                "waitlisted": await db.fetchval("SELECT count(*) FROM ops_registration WHERE event = $1"
                                                " AND status = 'waitlisted'", event),
                "checkin_rows": await db.fetchval("SELECT count(*) FROM ops_checkin WHERE event = $1", event),
                "codes": [r["code"] for r in await db.fetch(
                    "SELECT code FROM ops_registration WHERE event = $1 AND status = 'confirmed'", event)]}
    finally:
        await db.close_pool()


def main_http(args, pg_url: str, db_url: str) -> dict:
    os.environ["DATABASE_URL"] = db_url
    data = asyncio.run(prepare_http(args.users, args.places))
    server = wb.Server("product", [sys.executable, "-m", "app", "serve"],
                       wb.app_env(db_url, PORT=str(port := wb.free_port()), WEB_WORKERS=str(args.workers),
                                  TC_RATELIMIT_FACTOR="1000"), port, "/readyz")
    server.start()
    try:
        server.wait_ready()

        async def go():
            first = await run_http(server.base, data, args.doors)
            counts = await http_counts(first["event"])
            try:
                door, replay = await door_http(first["staff"], first["event"], counts.pop("codes"))
            finally:
                await asyncio.gather(*(c.aclose() for c in first["staff"]))
            after = await http_counts(first["event"])
            after.pop("codes")
            first["signup"].update({k: counts[k] for k in ("confirmed", "waitlisted", "taken")},
                                   places=args.places)
            door.update(doors=args.doors, arrived_after_replay=after["arrived"], expected=after["expected"],
                        checkin_rows=after["checkin_rows"])
            return {"mode": "http", "web_workers": args.workers, "signup": first["signup"], "checkin": door,
                    "offline_replay": replay}

        return asyncio.run(go())
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--places", type=int, default=500)
    parser.add_argument("--doors", type=int, default=4)
    parser.add_argument("--pool", type=int, default=20)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--http", action="store_true", help="over loopback HTTP against the served product")
    parser.add_argument("--workers", type=int, default=2, help="web workers with --http")
    args = parser.parse_args()
    pg_url = wb.server_url()
    db_url = wb.with_db(pg_url, DB_NAME)
    wb.DB_NAME = DB_NAME
    try:
        _url, count = wb.prepare_database(pg_url, args.users)
        if args.http:
            results = main_http(args, pg_url, db_url)
        else:
            os.environ["DATABASE_URL"] = db_url
            results = asyncio.run(run(args.users, args.places, args.doors, args.pool))
        print(json.dumps(results, indent=2, ensure_ascii=False))
        (BENCH / "results").mkdir(exist_ok=True)
        name = "ops_signup_http.json" if args.http else "ops_signup.json"
        (BENCH / "results" / name).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    finally:
        if not args.keep_db:
            wb.drop_database(pg_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
