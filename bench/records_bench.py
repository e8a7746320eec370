"""Alumni records benchmark (REC): generation speed of N demo alumni, then list / combined query / detail
pages under wrk at 100 and 500 connections beside the bare Litestar handler, and the time to import
100,000 rows through the import wizard path.

    .venv/bin/python bench/records_bench.py [--people 1000000] [--duration 10] [--connections 100,500]

It prints figures; it is not a test. Steps:
1. the embedded PostgreSQL (started if needed, left running) or $DATABASE_URL's server; a fresh database
   `tc_bench_rec` (dropped first), migrations, demo seed;
2. `--people` alumni with app/records/demo.generate, timed (rows/s);
3. the product and bench/bare_app.py (granian, same workers) on free 127.0.0.1 ports; admin login;
4. per target and connection count: a short warm-up, then wrk (bench/wrk_report.lua) → req/s, p50/p95/p99;
   (b) runs only if /admin/records/query exists, (c) picks a record in the middle of the id range;
5. an import of `--import-rows` rows through app/records/import_spec.py if it exists (else "skipped");
6. both servers stopped and tc_bench_rec dropped (unless --keep-db). Everything talks to 127.0.0.1 only.
Reuses the helpers of bench/web_baseline.py (database, servers, login, wrk).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import web_baseline as wb  # noqa: E402 - the shared bench helpers

DB_NAME = "tc_bench_rec"
RESULTS = BENCH / "results"
CHILD_TIMEOUT = 3 * 3600


def log(message: str) -> None:
    print(f"[rec-bench] {message}", file=sys.stderr, flush=True)


# --- child processes (run with DATABASE_URL = the bench database) ---------------------------------

async def _child_generate(count: int) -> dict:
    from app.core import db
    from app.records import demo

    await db.start_pool(min_size=1, max_size=4)
    try:
        last = [time.monotonic()]

        async def progress(done: int, total: int) -> None:
            if time.monotonic() - last[0] > 10:
                log(f"  generated {done:,} / {total:,}")
                last[0] = time.monotonic()

        started = time.monotonic()
        done = await demo.generate(count, seed=2026, progress=progress)
        seconds = time.monotonic() - started
        educations = await db.fetchval("SELECT count(*) FROM rec_education")
        return {"people": done, "seconds": seconds, "rows_per_s": done / seconds if seconds else 0.0,
                "education_rows": educations}
    finally:
        await db.close_pool()


def _import_csv(spec, rows: int) -> bytes:
    """A CSV in the template's layout: every column's example value, unique names/phones/ids per row."""
    import csv
    import io
    import random
    from datetime import date, timedelta

    from app.support.seed import demo_name

    rng = random.Random(7)
    headers = [str(c.label) for c in spec.columns]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for i in range(rows):
        line = []
        for c in spec.columns:
            key = c.key
            if key == "name":
                line.append(demo_name(rng))
            elif key == "phone":
                line.append(f"166{i:08d}")
            elif key == "email":
                line.append(f"imp{i}@bench.example.cn")
            elif key == "birthday":  # name + birthday is a duplicate rule: vary it like real data
                line.append((date(1960, 1, 1) + timedelta(days=rng.randint(0, 16000))).isoformat())
            elif key in ("id_number", "student_no"):
                line.append("" if not c.required else f"B{i:09d}")
            else:
                line.append(c.example or "")
        writer.writerow(line)
    return out.getvalue().encode("utf-8")


async def _child_import(rows: int) -> dict:
    import importlib

    from app.core import db, i18n, imports
    from app.core import import_files as files
    from app.core.audit import SYSTEM

    i18n.current_locale.set("zh_CN")
    module = importlib.import_module("app.records.import_spec")
    spec = next((s for s in imports.SPECS.values() if s.module == module.__name__), None)
    if spec is None:
        return {"skipped": "app/records/import_spec.py registers no import spec"}
    await db.start_pool(min_size=1, max_size=4)
    try:
        await imports.ready(spec)
        data = _import_csv(spec, rows)
        started = time.monotonic()
        sheet = await asyncio.to_thread(files.read_file, "csv", data)
        parsed = time.monotonic()
        batch = await imports.import_now(spec, "bench.csv", sheet, SYSTEM)
        seconds = time.monotonic() - started
        return {"rows": rows, "seconds": seconds, "parse_s": parsed - started, "rows_per_s": rows / seconds,
                "batch": {k: batch.get(k) for k in ("status", "ok_count", "error_count", "row_count", "imported_count")
                          if k in batch}}
    finally:
        await db.close_pool()


def run_child(db_url: str, mode: str, n: int) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), f"--child-{mode}", str(n)]
    done = subprocess.run(cmd, cwd=ROOT, env=wb.app_env(db_url), capture_output=True, text=True,
                          timeout=CHILD_TIMEOUT)
    sys.stderr.write(done.stderr[-3000:] if done.returncode else "")
    line = next((ln for ln in reversed(done.stdout.splitlines()) if ln.startswith("CHILD_RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise wb.BenchError(f"{mode} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return json.loads(line.split(" ", 1)[1])


# --- targets -------------------------------------------------------------------------------------

def query_path(college: int, year: int) -> str | None:
    """A 3-condition AND/OR query URL in the combined query's own query-string encoding."""
    try:
        from app.records import query
    except ImportError:
        return None
    tree = {"op": "and", "items": [
        {"field": "college", "cmp": "eq", "value": str(college), "value2": ""},
        {"op": "or", "items": [
            {"field": "entry_year", "cmp": "between", "value": str(year - 2), "value2": str(year + 2)},
            {"field": "industry", "cmp": "eq", "value": "I", "value2": ""}]}]}
    return "/admin/records/query?" + urlencode(query.encode(tree))


SINGLE: dict[str, float] = {}  # path -> ms of one unloaded request


def page_status(base: str, path: str, cookie: str) -> int:
    """Status of one request (0 when it does not answer within 60 s); its time goes into SINGLE."""
    import httpx

    started = time.monotonic()
    try:
        status = httpx.get(base + path, headers={"Cookie": cookie}, timeout=60).status_code
    except httpx.HTTPError:
        status = 0
    SINGLE[path] = (time.monotonic() - started) * 1000
    return status


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Alumni records benchmark: generation, list/query/detail under wrk, "
                                            "import of 100,000 rows. Prints figures.")
    p.add_argument("--people", type=int, default=1_000_000, help="generated alumni (default 1,000,000)")
    p.add_argument("--duration", type=int, default=10, help="seconds of load per target and level (default 10)")
    p.add_argument("--warmup", type=int, default=2, help="seconds of warm-up before each run (default 2)")
    p.add_argument("--connections", default="100,500", help="wrk connection counts (default 100,500)")
    p.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    p.add_argument("--workers", type=int, default=1, help="granian workers per server (default 1)")
    p.add_argument("--timeout", type=int, default=10, help="wrk request timeout in seconds (default 10)")
    p.add_argument("--import-rows", type=int, default=100_000, help="rows for the import timing (default 100,000)")
    p.add_argument("--with-h5", action="store_true", help="also measure the phone list/detail pages")
    p.add_argument("--no-import", dest="do_import", action="store_false", help="skip the import timing")
    p.add_argument("--keep-db", action="store_true", help=f"keep the {DB_NAME} database at the end")
    p.add_argument("--json", type=Path, default=RESULTS / "records_bench.json", help="where to write the results")
    p.add_argument("--child-generate", type=int, help=argparse.SUPPRESS)
    p.add_argument("--child-import", type=int, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def _interrupt(*_):
    raise KeyboardInterrupt


def print_report(meta: dict, gen: dict, results: list[dict], notes: list[str], imported: dict | str) -> None:
    print()
    print(f"Tongchuang records benchmark — {meta['started_at']}; nproc={os.cpu_count()}, "
          f"{meta['workers']} granian worker(s) per server; wrk {meta['threads']} threads, {meta['duration_s']} s "
          f"per run after {meta['warmup_s']} s warm-up; wrk, servers and PostgreSQL share the machine")
    print(f"data: {gen['people']:,} generated alumni ({gen['education_rows']:,} education rows) + demo seed in "
          f"{DB_NAME}; generation {gen['seconds']:.1f} s = {gen['rows_per_s']:,.0f} persons/s")
    print()
    header = (f"{'target':<58} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'vs bare':>8} "
              f"{'non-200':>7} {'timeouts':>8}")
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r['label']:<58} {r['connections']:>5} {r['rps']:>9.1f} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} "
              f"{r['p99_ms']:>8.1f} {r['ratio_to_bare']:>8.3f} {r['non200']:>7d} {r['errors_timeout']:>8d}")
    for note in notes:
        print(f"note: {note}")
    for path, ms in meta.get("single_ms", {}).items():
        print(f"one unloaded request: {ms:8.1f} ms  GET {path}")
    print()
    if isinstance(imported, str):
        print(f"import of rows through the import wizard path: {imported}")
    else:
        print(f"import of {imported['rows']:,} rows through the import wizard path: {imported['seconds']:.1f} s "
              f"({imported['rows_per_s']:,.0f} rows/s; parsing {imported['parse_s']:.1f} s) → {imported['batch']}")


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.child_generate is not None:
        print("CHILD_RESULT " + json.dumps(asyncio.run(_child_generate(args.child_generate))), flush=True)
        return 0
    if args.child_import is not None:
        print("CHILD_RESULT " + json.dumps(asyncio.run(_child_import(args.child_import)), default=str), flush=True)
        return 0
    os.chdir(ROOT)
    signal.signal(signal.SIGTERM, _interrupt)
    wb.DB_NAME = DB_NAME  # the shared helpers (backend_pids …) look at this name
    levels = [int(c) for c in args.connections.split(",") if c.strip()]
    wrk = wb.ensure_wrk()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    pg_url = wb.server_url()
    db_url = wb.with_db(pg_url, DB_NAME)
    servers: list = []
    exit_code = 0
    try:
        log(f"fresh database {DB_NAME}")
        asyncio.run(wb._admin(pg_url, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)',
                              f'CREATE DATABASE "{DB_NAME}"'))
        wb.run_app_command(db_url, "migrate")
        wb.run_app_command(db_url, "seed")
        log(f"generating {args.people:,} alumni")
        gen = run_child(db_url, "generate", args.people)
        log(f"generated {gen['people']:,} in {gen['seconds']:.1f}s ({gen['rows_per_s']:,.0f}/s); VACUUM ANALYZE")
        asyncio.run(wb._query(db_url, "VACUUM (ANALYZE)"))
        ids = asyncio.run(wb._query(db_url, "SELECT (SELECT id FROM org_node WHERE code = 'CS') AS cs,"
                                            " (SELECT (min(id) + max(id)) / 2 FROM rec_person) AS mid"))[0]
        college, year = ids["cs"], 2010
        person = asyncio.run(wb._query(db_url, f"SELECT id FROM rec_person WHERE id >= {ids['mid']} AND status ="
                                               f" 'active' ORDER BY id LIMIT 1"))[0]["id"]

        product = wb.product_server(db_url, args.workers, wb.free_port())
        bare = wb.bare_server(args.workers, wb.free_port())
        product.log_path, bare.log_path = RESULTS / "records_product.log", RESULTS / "records_bare.log"
        servers = [product, bare]
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready(120)
        cookie = wb.login(product.base)
        notes: list[str] = []
        targets = [("bare", "bare Litestar handler  GET /", bare, "/", None)]
        candidates = [("list", f"(a) GET /admin/records?college={college}&entry_year={year}",
                       f"/admin/records?college={college}&entry_year={year}")]
        qpath = query_path(college, year)
        q_status = page_status(product.base, "/admin/records/query", cookie)
        if qpath and q_status == 200:
            candidates.append(("query", "(b) combined query: college AND (year between OR industry)", qpath))
        else:
            notes.append(f"(b) skipped: /admin/records/query answered {q_status} in this build")
        candidates.append(("detail", f"(c) GET /admin/records/{person}", f"/admin/records/{person}"))
        # the phone pages run the same service calls (list_people / get_person): measured when the admin
        # page is missing from this build, and beside it otherwise
        fallbacks = {"list": ("h5_list", f"(a') GET /h5/records?college={college}&entry_year={year}",
                              f"/h5/records?college={college}&entry_year={year}"),
                     "detail": ("h5_detail", f"(c') GET /h5/records/{person}", f"/h5/records/{person}")}
        for key, label, path in candidates:
            status = page_status(product.base, path, cookie)
            if status == 200:
                targets.append((key, label, product, path, cookie))
            else:
                notes.append(f"{label.split()[0]} skipped: {path} answered {status} in this build")
            if key in fallbacks and (status != 200 or args.with_h5):
                f_key, f_label, f_path = fallbacks[key]
                if page_status(product.base, f_path, cookie) == 200:
                    targets.append((f_key, f_label, product, f_path, cookie))
        results = []
        for level in levels:
            bare_rps = None
            for key, label, server, path, target_cookie in targets:
                try:
                    size = wb.check_page(server.base, path, target_cookie)
                    log(f"{label} @ {level} connections: warm-up {args.warmup}s, then {args.duration}s")
                    if args.warmup > 0:
                        wb.run_wrk(wrk, server.base + path, target_cookie, args.warmup, level, args.threads,
                                   args.timeout)
                    r = wb.run_wrk(wrk, server.base + path, target_cookie, args.duration, level, args.threads,
                                   args.timeout)
                except Exception as exc:
                    notes.append(f"{label.split()[0]} @ {level}: no figures ({type(exc).__name__}: {str(exc)[:120]})")
                    time.sleep(args.timeout)  # let the server drain the backlog of timed-out requests
                    continue
                bare_rps = r["rps"] if key == "bare" else bare_rps
                results.append({"key": key, "label": label, "path": path, "connections": level, "page_bytes": size,
                                **r, "p50_ms": r["p50_us"] / 1000, "p95_ms": r["p95_us"] / 1000,
                                "p99_ms": r["p99_us"] / 1000,
                                "ratio_to_bare": r["rps"] / bare_rps if bare_rps else 0.0})
                log(f"  {r['rps']:.1f} req/s, p50 {r['p50_us'] / 1000:.1f} ms, p99 {r['p99_us'] / 1000:.1f} ms, "
                    f"non-200 {r['non200']}")
        for server in servers:
            server.stop()
        imported: dict | str = "skipped (--no-import)"
        if args.do_import:
            if (ROOT / "app" / "records" / "import_spec.py").exists():
                log(f"importing {args.import_rows:,} rows through the import wizard path")
                try:
                    imported = run_child(db_url, "import", args.import_rows)
                    if "skipped" in imported:
                        imported = f"skipped ({imported['skipped']})"
                except wb.BenchError as exc:
                    imported = f"failed: {str(exc)[:500]}"
            else:
                imported = "skipped (app/records/import_spec.py does not exist in this build)"
        meta = {"started_at": started_at, "people": args.people, "duration_s": args.duration,
                "warmup_s": args.warmup, "threads": args.threads, "workers": args.workers, "levels": levels,
                "single_ms": dict(SINGLE)}
        print_report(meta, gen, results, notes, imported)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({**meta, "generation": gen, "results": results, "notes": notes,
                                         "import": imported}, ensure_ascii=False, indent=2, default=str) + "\n")
        print(f"\nresults: {args.json}")
    except wb.BenchError as exc:
        print(f"\nbench failed: {exc}", file=sys.stderr)
        exit_code = 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        exit_code = 130
    finally:
        for server in servers:
            server.stop()
        if not args.keep_db:
            try:
                asyncio.run(wb._admin(pg_url, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
                log(f"dropped {DB_NAME}")
            except Exception as exc:
                log(f"could not drop {DB_NAME}: {exc}")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
