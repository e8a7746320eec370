"""Python cost of one page, in-process: the real app behind an ASGI transport (no HTTP server, no load
generator), CPU time of this process per request (PostgreSQL's work is in its own processes, so it is
not counted), wall time beside it, SQL statements per request, and optionally a cProfile of the run.

    .venv/bin/python bench/page_cost.py [--db tc_bench_nfr] [--n 300] [--profile 25] [PATH ...]

Default paths: the records list (college + year), the records list unfiltered, a person's detail.
Needs a database with data (bench/nfr_load.py --prepare-only builds one with a million alumni).
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


async def main(args) -> None:
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    import web_baseline as wb

    os.environ["DATABASE_URL"] = wb.with_db(wb.server_url(), args.db)
    import httpx

    from app.core import db, sessions
    from app.main import create_app

    app = create_app(manage_pool=False)
    await db.start_pool(min_size=2, max_size=10)
    statements = [0]
    con_execute = None
    try:
        admin = await db.fetchval("SELECT id FROM app_user WHERE username = 'hq'")
        cookie = await sessions.create(admin, "127.0.0.1", "page-cost")
        college = await db.fetchval("SELECT id FROM org_node WHERE code = 'CS'")
        mid = await db.fetchval("SELECT id FROM rec_person WHERE status = 'active' AND secrecy = 0 AND id >= "
                                "(SELECT (min(id) + max(id)) / 2 FROM rec_person) ORDER BY id LIMIT 1")
        paths = args.paths or [f"/admin/records?college={college}&entry_year=2010", "/admin/records",
                               f"/admin/records/{mid}"]
        import asyncpg

        con_execute = asyncpg.connection.Connection._execute

        async def counting(self, *a, **k):
            statements[0] += 1
            return await con_execute(self, *a, **k)

        asyncpg.connection.Connection._execute = counting  # counts statements only; they still run
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1",
                                     cookies={"tc_session": cookie}) as client:
            for path in paths:
                for _ in range(20):  # warm: caches, compiled templates, PostgreSQL buffers
                    response = await client.get(path)
                    assert response.status_code == 200, (path, response.status_code)
                statements[0] = 0
                profile = cProfile.Profile() if args.profile else None
                cpu0, wall0 = time.process_time(), time.perf_counter()
                if profile:
                    profile.enable()
                for _ in range(args.n):
                    await client.get(path)
                if profile:
                    profile.disable()
                cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
                print(f"{path}\n  {cpu / args.n * 1000:.2f} ms Python CPU, {wall / args.n * 1000:.2f} ms wall, "
                      f"{statements[0] / args.n:.1f} SQL statements, {len(response.content):,} bytes per request")
                if profile:
                    stats = pstats.Stats(profile)
                    stats.sort_stats("tottime").print_stats(args.profile)
                    stats.sort_stats("cumtime").print_stats(r"\.html|cells|tree|people", args.profile)
    finally:
        if con_execute is not None:
            import asyncpg

            asyncpg.connection.Connection._execute = con_execute
        await db.close_pool()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "bench"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="tc_bench_nfr")
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions by own time")
    parser.add_argument("paths", nargs="*")
    asyncio.run(main(parser.parse_args()))
