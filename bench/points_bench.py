"""Points service benchmark (SUP-09): throughput and latency of earn/spend/award against a fresh
database, including the worst case — many concurrent spends on ONE account, which serialise on its
row lock — and the ledger admin list with 200,000 ledger rows.

    .venv/bin/python bench/points_bench.py [--users 200] [--concurrency 50] [--keep-db]

It prints figures (and writes bench/results/points_bench.json); it is not a test. The database
`tc_bench_pts` is created fresh (migrations + seed) and dropped afterwards unless --keep-db.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import web_baseline as wb  # noqa: E402 - the shared bench helpers

DB_NAME = "tc_bench_pts"


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


async def _timed(calls, concurrency: int) -> dict:
    """Run the coroutine factories `concurrency` at a time; ops/s and latency percentiles (ms)."""
    latencies: list[float] = []
    sem = asyncio.Semaphore(concurrency)

    async def one(factory):
        async with sem:
            start = time.perf_counter()
            try:
                await factory()
            except Exception as exc:
                if type(exc).__name__ != "InsufficientPoints":
                    raise
            latencies.append(time.perf_counter() - start)

    started = time.perf_counter()
    await asyncio.gather(*(one(f) for f in calls))
    wall = time.perf_counter() - started
    return {"ops": len(calls), "ops_per_s": round(len(calls) / wall), "p50_ms": round(_p(latencies, .5), 2),
            "p95_ms": round(_p(latencies, .95), 2), "max_ms": round(max(latencies) * 1000, 2)}


async def run(users: int, concurrency: int) -> dict:
    from app.core import db
    from app.core.audit import SYSTEM
    from app.core.pagination import PageRequest
    from app.points import api as points
    from app.points import ledger

    await db.start_pool(min_size=2, max_size=max(4, concurrency))
    try:
        ids = [r["id"] for r in await db.fetch("SELECT id FROM app_user ORDER BY id LIMIT $1", users)]
        hot = ids[0]
        results = {"users": len(ids)}
        results["earn_spread"] = await _timed(
            [lambda i=i: points.earn(ids[i % len(ids)], 10, key=f"b:e:{i}", reason="bench") for i in range(4000)],
            concurrency)
        before = await points.balance(hot)
        results["spend_one_account"] = await _timed(
            [lambda i=i: points.spend(hot, 1, key=f"b:s:{i}", reason="bench") for i in range(2000)], concurrency)
        results["spend_one_account"]["balance_drop"] = before - await points.balance(hot)
        results["award_daily_cap"] = await _timed(
            [lambda i=i: points.award("vote", ids[i % len(ids)], key=f"b:v:{i}") for i in range(4000)], concurrency)
        results["idempotent_replay"] = await _timed(
            [lambda i=i: points.earn(ids[i % len(ids)], 10, key=f"b:e:{i}", reason="bench") for i in range(4000)],
            concurrency)
        results["ledger_consistent_all_users"] = await points.ledger_consistent() == []
        # a big ledger for the admin list: set-based rows for the spread of users
        # (set-based rows bypass the accounts on purpose: consistency was checked just before)
        await db.execute("INSERT INTO pts_ledger (user_id, delta, balance_after, kind, key, reason)"
                         " SELECT u.id, 1, 1, 'earn', 'bulk:' || g, 'bulk' FROM generate_series(1, 200000) g"
                         " JOIN LATERAL (SELECT id FROM app_user ORDER BY id OFFSET (g % $1) LIMIT 1) u ON true",
                         len(ids))
        await db.execute("ANALYZE pts_ledger")
        timings = {}
        for name, filters in [("ledger_page_all", ledger.LedgerFilters()),
                              ("ledger_page_kind_spend", ledger.LedgerFilters(kind="spend")),
                              ("ledger_page_user_search", ledger.LedgerFilters(q="u1_1"))]:
            runs = []
            for _ in range(5):
                start = time.perf_counter()
                await ledger.list_entries(SYSTEM, filters, PageRequest())
                runs.append(time.perf_counter() - start)
            timings[name] = round(statistics.median(runs) * 1000, 1)
        results["ledger_list_ms_at_200k_rows"] = timings
        results["ledger_rows"] = await db.fetchval("SELECT count(*) FROM pts_ledger")
        return results
    finally:
        await db.close_pool()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    pg_url = wb.server_url()
    db_url = wb.with_db(pg_url, DB_NAME)
    wb.DB_NAME = DB_NAME
    try:
        wb.prepare_database(pg_url, args.users)
        os.environ["DATABASE_URL"] = db_url
        results = asyncio.run(run(args.users, args.concurrency))
        print(json.dumps(results, indent=2))
        (BENCH / "results").mkdir(exist_ok=True)
        (BENCH / "results" / "points_bench.json").write_text(json.dumps(results, indent=2))
    finally:
        if not args.keep_db:
            wb.drop_database(pg_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
