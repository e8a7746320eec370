"""Python cost of one page, in-process: the real app behind an ASGI transport (no HTTP server, no load
generator), CPU time of this process per request (PostgreSQL's work is in its own processes, so it is
not counted), wall time beside it (the median of several batches), SQL statements per request, and
optionally a cProfile of the run.

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
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


async def _call(app, target: str, cookie: bytes) -> tuple[int, bytes]:
    """One GET through the ASGI app, as a server would call it."""
    path, _, query = target.partition("?")
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
             "headers": [(b"host", b"127.0.0.1"), (b"accept", b"text/html"), (b"accept-language", b"zh-CN,zh;q=0.9"),
                         (b"user-agent", b"page-cost"), (b"cookie", cookie)],
             "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 80), "state": {}}
    out: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        out.append(message)

    await app(scope, receive, send)
    return out[0]["status"], b"".join(m.get("body", b"") for m in out[1:])


async def main(args) -> None:
    import web_baseline as wb

    os.environ["DATABASE_URL"] = wb.with_db(wb.server_url(), args.db)
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
        # the app is called as ASGI directly: no HTTP client in this process to count with the page
        cookie_header = f"tc_session={cookie}".encode()
        for path in paths:
            for _ in range(20):  # warm: caches, compiled templates, PostgreSQL buffers
                status, body = await _call(app, path, cookie_header)
                assert status == 200, (path, status)
            statements[0] = 0
            batches = []
            profile = cProfile.Profile() if args.profile else None
            for _ in range(args.repeat):
                cpu0, wall0 = time.process_time(), time.perf_counter()
                if profile:
                    profile.enable()
                for _ in range(args.n):
                    await _call(app, path, cookie_header)
                if profile:
                    profile.disable()
                batches.append(((time.process_time() - cpu0) / args.n, (time.perf_counter() - wall0) / args.n))
            cpu = sorted(b[0] for b in batches)
            wall = statistics.median(b[1] for b in batches)
            print(f"{path}\n  {statistics.median(cpu) * 1000:.2f} ms Python CPU (median of {args.repeat} batches of "
                  f"{args.n}; best {cpu[0] * 1000:.2f}, worst {cpu[-1] * 1000:.2f}), {wall * 1000:.2f} ms wall, "
                  f"{statements[0] / args.n / args.repeat:.1f} SQL statements, {len(body):,} bytes per request")
            if profile:
                stats = pstats.Stats(profile)
                stats.sort_stats("tottime").print_stats(args.profile)
                stats.sort_stats("cumtime").print_stats(args.profile * 2)
    finally:
        if con_execute is not None:
            import asyncpg

            asyncpg.connection.Connection._execute = con_execute
        await db.close_pool()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "bench"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="tc_bench_nfr")
    parser.add_argument("--n", type=int, default=200, help="requests per batch")
    parser.add_argument("--repeat", type=int, default=5, help="batches (the median is printed: the host is noisy)")
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions by own time")
    parser.add_argument("paths", nargs="*")
    asyncio.run(main(parser.parse_args()))
