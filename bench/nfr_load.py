"""NFR-04 load model: 10,000 logged-in sessions, an open-loop arrival rate over a page mix, beside the
bare handler and the empty handler behind the product's full middleware (closed loop).

    .venv/bin/python bench/nfr_load.py [--people 1000000] [--sessions 10000] [--rates 100,200,400,800]
                                       [--duration 20] [--workers 2] [--reuse-db] [--keep-db]

It prints figures; it is not a test. Steps:
1. database `tc_bench_nfr` on the embedded PostgreSQL (or $DATABASE_URL's server): migrations, demo seed,
   `--people` generated alumni (records demo generator) and `--sessions` generated users; with
   --reuse-db an existing one with enough alumni is kept (generation takes minutes at a million);
2. 10,000 sessions created up front, one per user (20 % of them holding the HQ admin role, who click
   admin pages; the others are alumni on H5 pages); their signed cookies are written to a file;
3. the product (`python -m app serve`, `--workers` granian workers + the job worker for warm-ups) and
   bench/bare_app.py on free 127.0.0.1 ports;
4. closed loop with wrk at 100 connections: bare handler `GET /`, the product's `GET /healthz` with a
   session cookie (session check, CSRF, security headers, locale — no handler work), the records list;
5. open loop: requests *scheduled* at a fixed rate (each session a user with think time: 1,000 users
   clicking every 5 s is 200 req/s), latency measured from the scheduled send time, so a slow server is
   not hidden by a generator that waits for it (no coordinated omission); up to --max-conns
   connections kept alive; the mix below; p50/p95/p99 per rate, and the highest rate with p95 < 300 ms;
6. servers stopped; the database dropped unless --keep-db / --reuse-db. Talks to 127.0.0.1 only.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import records_bench as rb  # noqa: E402
import web_baseline as wb  # noqa: E402

DB_NAME = "tc_bench_nfr"
RESULTS = BENCH / "results"
ADMIN_SHARE = 0.2
CSRF = [""]  # "; tc_csrf=…": browsers keep the CSRF cookie, so the load does too (else every answer sets one)
# (key, weight, who, path template) — what 1,000 users of an alumni office and its alumni click
MIX = [
    ("records_list", 20, "admin", "/admin/records?college={college}&entry_year={year}"),
    ("combined_query", 10, "admin", "{query}"),
    ("person_detail", 15, "admin", "/admin/records/{person}"),
    ("sms_records", 5, "admin", "/admin/sms/records"),
    ("h5_home", 30, "alumni", "/h5"),
    ("mall_product", 20, "alumni", "/h5/mall/products/{product}"),
]


def log(message: str) -> None:
    print(f"[nfr] {message}", file=sys.stderr, flush=True)


# --- child: sessions made up front (runs with DATABASE_URL = the bench database) ------------------

async def _child_sessions(count: int) -> dict:
    from app.core import db, sessions

    await db.start_pool(min_size=1, max_size=4)
    try:
        from app.support.seed import USERS

        demo = [u[0] for u in USERS]  # the demo accounts keep their own roles
        users = await db.fetch("SELECT id FROM app_user WHERE NOT is_superuser AND username <> ALL($2::text[]) "
                               "ORDER BY id LIMIT $1", count, demo)
        if len(users) < count:
            raise SystemExit(f"only {len(users)} plain users; seed more with --users")
        admins = [u["id"] for u in users[: int(count * ADMIN_SHARE)]]
        role = await db.fetchval("SELECT id FROM role WHERE code = 'hq_admin'")
        await db.execute('DELETE FROM user_role WHERE "user" = ANY($1)', [u["id"] for u in users])  # rerun-safe
        await db.execute('INSERT INTO user_role ("user", role) SELECT unnest($1::bigint[]), $2 ON CONFLICT DO NOTHING',
                         admins, role)
        await db.execute("UPDATE app_user SET is_active = TRUE WHERE id = ANY($1)", [u["id"] for u in users])
        await db.execute("DELETE FROM web_session")
        started = time.monotonic()
        cookies = {"admin": [], "alumni": []}
        admin_set = set(admins)
        for u in users:
            cookie = await sessions.create(u["id"], "127.0.0.1", "nfr-load")
            cookies["admin" if u["id"] in admin_set else "alumni"].append(cookie)
        return {"cookies": cookies, "seconds": time.monotonic() - started}
    finally:
        await db.close_pool()


def make_sessions(db_url: str, count: int) -> dict:
    import subprocess

    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child-sessions", str(count)], cwd=ROOT,
                          env=wb.app_env(db_url), capture_output=True, text=True, timeout=3600)
    line = next((ln for ln in reversed(done.stdout.splitlines()) if ln.startswith("CHILD_RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise wb.BenchError(f"sessions failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(line.split(" ", 1)[1])


# --- the open-loop generator ----------------------------------------------------------------------

class Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    async def get(self, host: str, path: str, cookie: str) -> int:
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nCookie: tc_session={cookie}{CSRF[0]}\r\n"
                          "Accept-Language: zh-CN\r\nUser-Agent: nfr-load\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length, chunked = 0, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        elif length:
            await self.reader.readexactly(length)
        return status


class OpenLoop:
    """Sends request i at start + i / rate whatever happened to the earlier ones; a request that finds no
    idle connection opens one (up to max_conns) or waits for one — and that wait counts as latency."""

    def __init__(self, host: str, port: int, max_conns: int):
        self.host, self.port, self.max_conns = host, port, max_conns
        self.idle: list[Conn] = []
        self.open = 0
        self.freed = asyncio.Condition()

    async def _acquire(self) -> Conn:
        async with self.freed:
            while not self.idle and self.open >= self.max_conns:
                await self.freed.wait()
            if self.idle:
                return self.idle.pop()
            self.open += 1
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port, limit=2 ** 20)
        except OSError:
            async with self.freed:
                self.open -= 1
                self.freed.notify()
            raise
        return Conn(reader, writer)

    async def _release(self, conn: Conn | None) -> None:
        async with self.freed:
            if conn is None:
                self.open -= 1
            else:
                self.idle.append(conn)
            self.freed.notify()

    async def one(self, scheduled: float, path: str, cookie: str, out: list) -> None:
        conn = None
        try:
            conn = await self._acquire()
            status = await asyncio.wait_for(conn.get(self.host, path, cookie), 30)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            if conn is not None:
                conn.writer.close()
            conn, status = None, 0
        out.append((time.monotonic() - scheduled, status))
        await self._release(conn)

    async def run(self, rate: float, seconds: float, pick) -> list[tuple[float, int]]:
        out: list[tuple[float, int]] = []
        tasks = []
        start = time.monotonic() + 0.05
        total = int(rate * seconds)
        for i in range(total):
            when = start + i / rate
            delay = when - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            path, cookie = pick()
            tasks.append(asyncio.ensure_future(self.one(when, path, cookie, out)))
        await asyncio.gather(*tasks)
        return out

    async def close(self) -> None:
        for conn in self.idle:
            conn.writer.close()
        self.idle.clear()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def open_loop(base_port: int, rates: list[int], seconds: int, max_conns: int, paths: dict, cookies: dict,
                    warmup: int) -> list[dict]:
    rng = random.Random(4)
    weights = [w for _, w, _, _ in MIX]

    def pick():
        key, _w, who, _t = rng.choices(MIX, weights)[0]
        return paths[key], rng.choice(cookies[who])

    loop = OpenLoop("127.0.0.1", base_port, max_conns)
    if warmup:
        await loop.run(50, warmup, pick)
    results = []
    for rate in rates:
        log(f"open loop at {rate} req/s for {seconds}s")
        samples = await loop.run(rate, seconds, pick)
        ok = [lat for lat, status in samples if status == 200]
        bad = sum(1 for _, status in samples if status != 200)
        results.append({"rate": rate, "sent": len(samples), "ok": len(ok), "non200": bad,
                        "p50_ms": percentile(ok, 0.5) * 1000, "p95_ms": percentile(ok, 0.95) * 1000,
                        "p99_ms": percentile(ok, 0.99) * 1000, "connections": loop.open})
        r = results[-1]
        log(f"  p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, non-200 {bad}")
        await asyncio.sleep(2)  # let a backlog drain before the next rate
        if r["p95_ms"] > 10_000:
            log("  p95 over 10 s: higher rates skipped")
            break
    await loop.close()
    return results


# --- main -----------------------------------------------------------------------------------------

def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="NFR-04 load model. Prints figures.")
    p.add_argument("--people", type=int, default=1_000_000)
    p.add_argument("--sessions", type=int, default=10_000)
    p.add_argument("--rates", default="100,200,400,800")
    p.add_argument("--duration", type=int, default=20, help="seconds per open-loop rate")
    p.add_argument("--closed-duration", type=int, default=10, help="seconds per closed-loop wrk run")
    p.add_argument("--max-conns", type=int, default=1000)
    p.add_argument("--workers", type=int, default=2, help="granian workers of the product and the bare app")
    p.add_argument("--reuse-db", action="store_true", help=f"keep and reuse {DB_NAME} when it has the alumni")
    p.add_argument("--keep-db", action="store_true")
    p.add_argument("--prepare-only", action="store_true", help="build the database (kept) and stop")
    p.add_argument("--json", type=Path, default=RESULTS / "nfr_load.json")
    p.add_argument("--child-sessions", type=int, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def _interrupt(*_):
    raise KeyboardInterrupt


def prepare(pg_url: str, db_url: str, args) -> dict:
    have = 0
    if args.reuse_db:
        try:
            have = asyncio.run(wb._query(db_url, "SELECT count(*) AS n FROM rec_person"))[0]["n"]
        except Exception:
            have = 0
    if have >= args.people:
        log(f"reusing {DB_NAME} with {have:,} alumni")
        wb.run_app_command(db_url, "migrate")
        return {"people": have, "generated": False}
    asyncio.run(wb._admin(pg_url, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)', f'CREATE DATABASE "{DB_NAME}"'))
    wb.run_app_command(db_url, "migrate")
    wb.run_app_command(db_url, "seed", "--users", str(args.sessions + 100))
    log(f"generating {args.people:,} alumni")
    gen = rb.run_child(db_url, "generate", args.people)
    log(f"generated in {gen['seconds']:.0f}s; VACUUM ANALYZE")
    asyncio.run(wb._query(db_url, "VACUUM (ANALYZE)"))
    return {"people": gen["people"], "generated": True, "seconds": gen["seconds"]}


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.child_sessions is not None:
        print("CHILD_RESULT " + json.dumps(asyncio.run(_child_sessions(args.child_sessions))), flush=True)
        return 0
    os.chdir(ROOT)
    signal.signal(signal.SIGTERM, _interrupt)
    wb.DB_NAME = DB_NAME
    wrk = wb.ensure_wrk()
    pg_url = wb.server_url()
    db_url = wb.with_db(pg_url, DB_NAME)
    servers: list = []
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        data = prepare(pg_url, db_url, args)
        if args.prepare_only:
            args.keep_db = True
            return 0
        made = make_sessions(db_url, args.sessions)
        cookies = made["cookies"]
        log(f"{sum(map(len, cookies.values())):,} sessions in {made['seconds']:.1f}s")
        ids = asyncio.run(wb._query(db_url, "SELECT (SELECT id FROM org_node WHERE code = 'CS') AS cs,"
                                            " (SELECT (min(id) + max(id)) / 2 FROM rec_person) AS mid,"
                                            " (SELECT min(id) FROM mall_product WHERE status = 'on_shelf')"
                                            " AS product"))[0]
        person = asyncio.run(wb._query(db_url, f"SELECT id FROM rec_person WHERE id >= {ids['mid']} AND status = "
                                               "'active' AND secrecy = 0 ORDER BY id LIMIT 1"))[0]["id"]
        values = {"college": ids["cs"], "year": 2010, "person": person, "product": ids["product"],
                  "query": rb.query_path(ids["cs"], 2010)}
        paths = {key: template.format(**values) for key, _w, _who, template in MIX}

        product = wb.product_server(db_url, args.workers, wb.free_port())
        product.cmd = [*product.cmd, "--with-worker"]  # the worker warms the records tree at start-up
        bare = wb.bare_server(args.workers, wb.free_port())
        product.log_path, bare.log_path = RESULTS / "nfr_product.log", RESULTS / "nfr_bare.log"
        servers = [product, bare]
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready(120)
        import httpx

        csrf = httpx.get(product.base + "/login").cookies.get("tc_csrf")
        CSRF[0] = f"; tc_csrf={csrf}" if csrf else ""
        admin_cookie = "tc_session=" + cookies["admin"][0] + CSRF[0]
        alumni_cookie = "tc_session=" + cookies["alumni"][0] + CSRF[0]
        for key, _w, who, _t in MIX:
            status = wb.check_page(product.base, paths[key], admin_cookie if who == "admin" else alumni_cookie)
            log(f"{key}: {paths[key]} → {status} bytes")
        time.sleep(5)  # the start-up warm-ups
        closed = []
        for label, server, path, cookie in [
            ("bare Litestar handler GET /", bare, "/", None),
            ("empty handler behind full middleware GET /healthz (session)", product, "/healthz", admin_cookie),
            ("records list (a)", product, paths["records_list"], admin_cookie),
        ]:
            wb.run_wrk(wrk, server.base + path, cookie, 2, 100, 2, 10)
            r = wb.run_wrk(wrk, server.base + path, cookie, args.closed_duration, 100, 2, 10)
            closed.append({"label": label, "rps": r["rps"], "p50_ms": r["p50_us"] / 1000,
                           "p95_ms": r["p95_us"] / 1000, "p99_ms": r["p99_us"] / 1000, "non200": r["non200"]})
            log(f"{label}: {r['rps']:.0f} req/s")
        bare.stop()
        servers.remove(bare)
        rates = [int(r) for r in args.rates.split(",") if r.strip()]
        opened = asyncio.run(open_loop(product.port, rates, args.duration, args.max_conns, paths, cookies, 5))
        report(started_at, args, data, closed, opened, paths)
        RESULTS.mkdir(exist_ok=True)
        args.json.write_text(json.dumps({"started_at": started_at, "data": data, "closed": closed,
                                         "open": opened, "paths": paths}, indent=2, default=str))
        return 0
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        for server in servers:
            server.stop()
        if not (args.keep_db or args.reuse_db):
            asyncio.run(wb._admin(pg_url, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))


def report(started_at: str, args, data: dict, closed: list[dict], opened: list[dict], paths: dict) -> None:
    print()
    print(f"Tongchuang NFR-04 load — {started_at}; nproc={os.cpu_count()}; {args.workers} granian workers; "
          f"{data['people']:,} alumni; {args.sessions:,} sessions; generator, servers and PostgreSQL share the machine")
    print("\nclosed loop (wrk, 100 connections)")
    print(f"{'target':<62} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'non-200':>8}")
    for r in closed:
        print(f"{r['label']:<62} {r['rps']:>9.1f} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['p99_ms']:>8.1f} "
              f"{r['non200']:>8d}")
    if closed[0]["rps"]:
        print(f"empty handler behind the middleware / bare: {closed[1]['rps'] / closed[0]['rps']:.1%} (target ≥ 50 %)")
    print(f"\nopen loop over the mix ({', '.join(f'{k} {w}%' for k, w, _, _ in MIX)}), {args.duration} s per rate, "
          f"≤ {args.max_conns} connections")
    print(f"{'rate req/s':>10} {'sent':>7} {'non-200':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'conns':>6}")
    for r in opened:
        print(f"{r['rate']:>10} {r['sent']:>7} {r['non200']:>8} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} "
              f"{r['p99_ms']:>8.1f} {r['connections']:>6}")
    under = [r["rate"] for r in opened if r["p95_ms"] < 300 and r["non200"] == 0]
    print(f"highest rate with p95 < 300 ms: {max(under) if under else 'none of those measured'} req/s")
    for key, path in paths.items():
        print(f"  {key}: {path}")


if __name__ == "__main__":
    sys.exit(main())
