"""Event signup and door check-in benchmark (OPS-02): one hot event, 1,000 phone users signing up at the same
moment for 500 places (each signup runs its form check, the per-person lock, the quota UPDATE, the e-ticket row,
the audit entry and the in-site message), then the door: every confirmed ticket checked in by 4 scanners at once,
and the same scans replayed as an offline queue would (they must count nothing twice).

    .venv/bin/python bench/ops_signup.py [--users 1000] [--places 500] [--doors 4] [--pool 20] [--keep-db]

Service layer against the real PostgreSQL (the HTTP cost of a page is what bench/web_baseline.py measures); it
prints figures and writes bench/results/ops_signup.json; it is not a test. The database `tc_bench_ops` is created
fresh (migrations + seed) and dropped afterwards unless --keep-db.
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--places", type=int, default=500)
    parser.add_argument("--doors", type=int, default=4)
    parser.add_argument("--pool", type=int, default=20)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    pg_url = wb.server_url()
    db_url = wb.with_db(pg_url, DB_NAME)
    wb.DB_NAME = DB_NAME
    try:
        _url, count = wb.prepare_database(pg_url, args.users)
        os.environ["DATABASE_URL"] = db_url
        results = asyncio.run(run(args.users, args.places, args.doors, args.pool))
        print(json.dumps(results, indent=2, ensure_ascii=False))
        (BENCH / "results").mkdir(exist_ok=True)
        (BENCH / "results" / "ops_signup.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    finally:
        if not args.keep_db:
            wb.drop_database(pg_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
