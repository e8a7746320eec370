"""Web baseline: load-test the login page and the admin user list (≥ 10 000 users) against a bare Litestar
handler in the same run, and print requests/s, p50/p95/p99 latency and the ratio to the bare handler.

    .venv/bin/python bench/web_baseline.py [--duration 10] [--connections 50] [--threads 2] [--workers 1]

It prints figures; it is not a pass/fail test (and pytest does not collect it). Steps:

1. the embedded PostgreSQL (started if needed, left running) or the server of $DATABASE_URL; a fresh
   database `tc_bench` (dropped first), migrations, demo data and `--users` generated users;
2. the product (`python -m app serve`) and `bench/bare_app.py`, both granian/ASGI with the same number of
   workers, on free loopback ports;
3. login as admin over HTTP for a `tc_session` cookie;
4. for each target a short warm-up, then `wrk` with `bench/wrk_report.lua` (which also counts every
   non-200 response: a redirect to /login is a failure, not a fast page);
5. a table on stdout and the same in bench/results/web_baseline.json;
6. (unless --no-trace-sql) the SQL statements one request of each product page runs, read from the
   PostgreSQL log with `log_min_duration_statement = 0` set on tc_bench only;
7. both servers stopped, tc_bench dropped (unless --keep-db); PostgreSQL keeps running.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlparse

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
LUA = BENCH / "wrk_report.lua"
DB_NAME = "tc_bench"
ADMIN_USER, ADMIN_PASSWORD = "admin", os.environ.get("DEMO_ADMIN_PASSWORD", "Tongchuang2026")
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "Demo2026pass")  # every seeded demo user's (app/support/seed.py)
HOST = "127.0.0.1"

# (key, label, server, path, session: False = none, True = admin, "name" = that demo user)
TARGETS = [
    ("bare", "bare Litestar handler  GET /", "bare", "/", False),
    ("login", "product  GET /login", "product", "/login", False),
    ("users", "product  GET /admin/users", "product", "/admin/users", True),
    ("users_search", "product  GET /admin/users?q=王&sort=-name&page=3", "product",
     "/admin/users?q=" + quote("王") + "&sort=-name&page=3", True),
]


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


class BenchError(RuntimeError):
    pass


# --- database -----------------------------------------------------------------------------------

def server_url() -> str:
    """A URL to the PostgreSQL server to use: $DATABASE_URL's server, else the embedded one (started)."""
    if url := os.environ.get("DATABASE_URL"):
        return url
    sys.path.insert(0, str(ROOT))
    from app.core import pg_embedded

    return pg_embedded.start()


def with_db(url: str, name: str) -> str:
    """The same server URL with another database name (query string kept)."""
    head, sep, query = url.partition("?")
    head = re.sub(r"^(\w+://[^/]*)(/[^/]*)?$", lambda m: f"{m.group(1)}/{name}", head)
    return head + sep + query


async def _admin(url: str, *statements: str):
    import asyncpg

    con = await asyncpg.connect(with_db(url, "postgres"))
    try:
        out = None
        for sql in statements:
            out = await con.fetch(sql)
        return out
    finally:
        await con.close()


async def _query(url: str, sql: str):
    import asyncpg

    con = await asyncpg.connect(url)
    try:
        return await con.fetch(sql)
    finally:
        await con.close()


def app_env(db_url: str, **extra: str) -> dict:
    env = {**os.environ, "DATABASE_URL": db_url, "PICCOLO_CONF": "piccolo_conf", "HOST": HOST}
    env.update(extra)
    return env


def run_app_command(db_url: str, *args: str) -> str:
    cmd = [sys.executable, "-m", "app", *args]
    log("$ " + " ".join(cmd[1:]))
    done = subprocess.run(cmd, cwd=ROOT, env=app_env(db_url), capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise BenchError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done.stdout.strip()


def prepare_database(pg_url: str, users: int) -> tuple[str, int]:
    db_url = with_db(pg_url, DB_NAME)
    log(f"fresh database {DB_NAME}")
    asyncio.run(_admin(pg_url, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)', f'CREATE DATABASE "{DB_NAME}"'))
    run_app_command(db_url, "migrate")
    started = time.monotonic()
    out = run_app_command(db_url, "seed", "--users", str(users))
    log(f"seeded in {time.monotonic() - started:.1f}s: {out.splitlines()[-1] if out else ''}")
    asyncio.run(_query(db_url, "VACUUM (ANALYZE)"))  # steady state: visibility map set, statistics fresh
    count = asyncio.run(_query(db_url, "SELECT count(*) AS n FROM app_user"))[0]["n"]
    return db_url, count


def drop_database(pg_url: str) -> None:
    try:
        asyncio.run(_admin(pg_url, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        log(f"dropped {DB_NAME}")
    except Exception as exc:
        log(f"could not drop {DB_NAME}: {exc}")


# --- servers ------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, name: str, cmd: list[str], env: dict, port: int, ready_path: str):
        self.name, self.cmd, self.env, self.port, self.ready_path = name, cmd, env, port, ready_path
        self.proc: subprocess.Popen | None = None
        self.log_path = RESULTS / f"{name}.log"

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        RESULTS.mkdir(parents=True, exist_ok=True)
        # the server's output file stays open while it runs; stop() closes it
        self._log = open(self.log_path, "w")  # noqa: SIM115
        # own process group: granian's worker processes are stopped with it if SIGTERM is not enough
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        log(f"{self.name}: pid {self.proc.pid}, {self.base}")

    def wait_ready(self, timeout: float = 60) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"{self.name} exited with {self.proc.returncode}; see {self.log_path}")
            try:
                if httpx.get(self.base + self.ready_path, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise BenchError(f"{self.name} did not answer {self.ready_path} within {timeout:.0f}s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                log(f"{self.name} did not stop on SIGTERM; killing its process group")
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        # granian workers are in the same (own) process group: make sure none outlives the master
        try:
            os.killpg(self.proc.pid, 0)
        except ProcessLookupError:
            pass
        else:
            time.sleep(0.5)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self._log.close()
        log(f"{self.name}: stopped")
        self.proc = None


def product_server(db_url: str, workers: int, port: int) -> Server:
    env = app_env(db_url, PORT=str(port), WEB_WORKERS=str(workers))
    return Server("product", [sys.executable, "-m", "app", "serve"], env, port, "/readyz")


def bare_server(workers: int, port: int) -> Server:
    return Server("bare", [sys.executable, str(BENCH / "bare_app.py"), "--host", HOST, "--port", str(port),
                           "--workers", str(workers)], dict(os.environ), port, "/")


def login(base: str, username: str = ADMIN_USER, password: str = ADMIN_PASSWORD) -> str:
    """Log in like a browser; returns the Cookie header value for that user's session (admin by default)."""
    import httpx

    with httpx.Client(base_url=base, timeout=30) as client:
        page = client.get("/login")
        match = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        if page.status_code != 200 or not match:
            raise BenchError(f"GET /login: {page.status_code}, no CSRF field")
        response = client.post("/login", data={"username": username, "password": password,
                                               "_csrf_token": match.group(1), "next": "/admin"})
        token = response.cookies.get("tc_session")
        if response.status_code != 303 or not token:
            raise BenchError(f"POST /login: {response.status_code}, no session cookie (wrong password?)")
    return f"tc_session={token}"


def session_cookies(base: str) -> dict:
    """The Cookie header for each session the targets name (True: admin, a string: that demo user)."""
    cookies: dict = {}
    for *_rest, who in TARGETS:
        if who and who not in cookies:
            cookies[who] = login(base) if who is True else login(base, who, DEMO_PASSWORD)
    return cookies


def check_page(base: str, path: str, cookie: str | None) -> int:
    """One request before the load: must be a 200 page (not a redirect to /login); returns its size."""
    import httpx

    response = httpx.get(base + path, headers={"Cookie": cookie} if cookie else {}, timeout=30)
    if response.status_code != 200:
        raise BenchError(f"GET {path}: {response.status_code} {response.headers.get('location', '')} — "
                         "expected 200 (is the session valid?)")
    if cookie and 'name="password"' in response.text:
        raise BenchError(f"GET {path}: got the login form instead of the page")
    return len(response.content)


# --- wrk ----------------------------------------------------------------------------------------

def ensure_wrk() -> str:
    if found := shutil.which("wrk"):
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing wrk (apt-get install -y wrk)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run(["apt-get", "install", "-y", "wrk"], env=env).returncode != 0:
            subprocess.run(["apt-get", "update"], env=env)
            subprocess.run(["apt-get", "install", "-y", "wrk"], env=env)
        if found := shutil.which("wrk"):
            return found
    raise BenchError("wrk is not installed: run `sudo apt-get install -y wrk` (Debian/Ubuntu) and try again")


def run_wrk(wrk: str, url: str, cookie: str | None, seconds: int, connections: int, threads: int,
            timeout_s: int) -> dict:
    cmd = [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", f"{timeout_s}s",
           "-s", str(LUA), url]
    env = {**os.environ, "BENCH_COOKIE": cookie or ""}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=seconds + timeout_s + 60)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRK_RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return json.loads(line.split(" ", 1)[1])


# --- CPU accounting (Linux /proc): where the machine's CPU went during a run ---------------------

CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # fields from `state` on (comm may contain spaces)


def cpu_of(pids) -> dict[int, float]:
    """CPU seconds (user + system) of each live pid."""
    out = {}
    for pid in pids:
        fields = _stat(pid)
        if fields:
            out[pid] = (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime
    return out


def group_pids(pgid: int) -> list[int]:
    """The processes of a process group (the granian master and its workers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) and int(fields[2]) == pgid:
            pids.append(int(entry.name))
    return pids


def backend_pids(pg_url: str) -> list[int]:
    """PostgreSQL backends connected to the bench database (only meaningful for a local server)."""
    if urlparse(pg_url).hostname not in ("127.0.0.1", "localhost", "::1"):
        return []
    rows = asyncio.run(_admin(pg_url, f"SELECT pid FROM pg_stat_activity WHERE datname = '{DB_NAME}'"))
    return [r["pid"] for r in rows]


class CpuMeter:
    """CPU seconds used between start() and stop() by the server under test, its database backends and wrk."""

    def __init__(self, server: Server, pg_url: str):
        self.server, self.pg_url = server, pg_url

    def start(self) -> None:
        self.app0 = cpu_of(group_pids(self.server.proc.pid))
        self.pg0 = cpu_of(backend_pids(self.pg_url))
        self.children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.wall0 = time.monotonic()

    def stop(self) -> dict:
        app1 = cpu_of(group_pids(self.server.proc.pid))
        pg1 = cpu_of(backend_pids(self.pg_url)) if self.server.name == "product" else {}
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.monotonic() - self.wall0
        app = sum(v - self.app0.get(pid, 0.0) for pid, v in app1.items())
        pg = sum(v - self.pg0.get(pid, 0.0) for pid, v in pg1.items())
        wrk = (children.ru_utime + children.ru_stime) - (self.children0.ru_utime + self.children0.ru_stime)
        return {"wall_s": round(wall, 3), "cpu_app_s": round(app, 3), "cpu_pg_s": round(pg, 3),
                "cpu_wrk_s": round(wrk, 3)}


# --- SQL trace ----------------------------------------------------------------------------------

def pg_log_path() -> Path | None:
    if os.environ.get("DATABASE_URL"):
        return None  # not our server: we do not know where its log is
    from app.core import pg_embedded

    path = pg_embedded._pg_data_dir() / "server.log"
    return path if path.exists() else None


_STMT = re.compile(r"duration: ([\d.]+) ms\s+(?:(parse|bind|execute) [^:]*|statement): (.*)", re.S)


def trace_sql(pg_url: str, db_url: str, workers: int, cookie_targets: list[tuple[str, str, object]],
              cookies: dict) -> dict:
    """Statements one request of each product page runs (steady state: the in-process caches are warm)."""
    import httpx

    path = pg_log_path()
    if path is None:
        log("SQL trace skipped: the PostgreSQL log is not readable from here")
        return {}
    asyncio.run(_admin(pg_url, f'ALTER DATABASE "{DB_NAME}" SET log_min_duration_statement = 0'))
    server = product_server(db_url, workers, free_port())
    traces: dict = {}
    try:
        server.start()
        server.wait_ready()
        for key, req_path, who in cookie_targets:
            headers = {"Cookie": cookies[who]} if who else {}
            for _ in range(3):  # warm the caches (settings 5 s, menu 10 s) and asyncpg's statement cache
                httpx.get(server.base + req_path, headers=headers, timeout=30)
            time.sleep(0.3)
            offset = path.stat().st_size
            status = httpx.get(server.base + req_path, headers=headers, timeout=30).status_code
            time.sleep(0.5)  # let the server flush its log
            with open(path, encoding="utf-8", errors="replace") as fh:
                fh.seek(offset)
                text = fh.read()
            statements, bind_ms = [], 0.0
            for entry in re.split(r"\n(?=\d{4}-\d\d-\d\d[ T])", text):  # log_line_prefix starts with %m
                m = _STMT.search(entry)
                if not m or m.group(2) == "parse":  # parse happens once per pooled connection, not per request
                    continue
                if m.group(2) == "bind":  # bind (incl. planning) precedes the execute of the same statement
                    bind_ms += float(m.group(1))
                    continue
                statements.append({"ms": round(float(m.group(1)) + bind_ms, 3), "execute_ms": float(m.group(1)),
                                   "bind_ms": round(bind_ms, 3), "sql": " ".join(m.group(3).split())})
                bind_ms = 0.0
            traces[key] = {"status": status, "statements": statements,
                           "total_ms": round(sum(s["ms"] for s in statements), 3)}
    finally:
        server.stop()
        asyncio.run(_admin(pg_url, f'ALTER DATABASE "{DB_NAME}" RESET log_min_duration_statement'))
    return traces


# --- report -------------------------------------------------------------------------------------

def machine_info(pg_url: str, db_url: str) -> dict:
    cpu = ""
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                   if ln.startswith("model name"))
    wrk_version = subprocess.run([shutil.which("wrk") or "wrk", "-v"], capture_output=True, text=True).stdout.split(
        "[")[0].strip()
    from importlib.metadata import version

    pg_version = asyncio.run(_query(db_url, "SHOW server_version"))[0][0]
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(), "platform": platform.platform(),
            "granian": version("granian"), "litestar": version("litestar"),
            "postgresql": pg_version, "wrk": wrk_version}


def print_table(results: list[dict], meta: dict) -> None:
    m = meta["machine"]
    print()
    print(f"Tongchuang web baseline — {meta['started_at']}")
    print(f"machine: nproc={m['nproc']} ({m['cpu']}), Python {m['python']}, granian {m['granian']}, "
          f"Litestar {m['litestar']}, PostgreSQL {m['postgresql']}, {m['wrk']}; load average before "
          f"{meta['loadavg_before'][0]:.2f}, after {meta['loadavg_after'][0]:.2f}")
    print(f"data: {meta['users']} users in {DB_NAME}; load: wrk {meta['threads']} threads, {meta['connections']} "
          f"connections, {meta['duration_s']} s per target after a {meta['warmup_s']} s warm-up; "
          f"{meta['workers']} granian worker(s) per server; wrk, servers and PostgreSQL share the machine")
    print()
    header = (f"{'target':<50} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'vs bare':>8} {'non-200':>7}"
              f" {'KiB':>5} {'CPU ms/req: app':>15} {'pg':>5} {'wrk':>5}")
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r['label']:<50} {r['rps']:>8.1f} {r['p50_ms']:>8.2f} {r['p95_ms']:>8.2f} {r['p99_ms']:>8.2f} "
              f"{r['ratio_to_bare']:>8.3f} {r['non200']:>7d} {r['page_bytes'] / 1024:>5.1f} "
              f"{r['cpu_app_ms_per_req']:>15.2f} {r['cpu_pg_ms_per_req']:>5.2f} {r['cpu_wrk_ms_per_req']:>5.2f}")
    print()
    print("vs bare = requests/s of the target ÷ requests/s of the bare handler (1.000 = as fast as bare).")
    print("CPU ms/req = CPU time used during the run ÷ requests: app = the granian process group (Python), "
          "pg = PostgreSQL backends of the bench database, wrk = the load generator.")


RESET_PREFIX = "SELECT pg_advisory_unlock_all()"


def print_traces(traces: dict) -> None:
    for key, trace in traces.items():
        label = next(t[1] for t in TARGETS if t[0] == key)
        resets = sum(s["sql"].startswith(RESET_PREFIX) for s in trace["statements"])
        print(f"\nSQL for one request of {' '.join(label.split())} (status {trace['status']}): "
              f"{len(trace['statements']) - resets} queries + {resets} pool-release resets, "
              f"{trace['total_ms']:.2f} ms in PostgreSQL (bind + execute, as logged)")
        for s in trace["statements"]:
            sql = s["sql"] if len(s["sql"]) <= 200 else s["sql"][:197] + "..."
            print(f"  {s['ms']:>8.3f} ms  {sql}")


# --- main ---------------------------------------------------------------------------------------

def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Load-test the login page and the admin user list against a bare "
                                            "Litestar handler; prints requests/s and p50/p95/p99.")
    p.add_argument("--duration", type=int, default=10, help="seconds of load per target (default 10)")
    p.add_argument("--connections", type=int, default=50, help="concurrent connections (default 50)")
    p.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    p.add_argument("--workers", type=int, default=1, help="granian workers for each server (default 1)")
    p.add_argument("--warmup", type=int, default=2, help="seconds of warm-up before each target (default 2)")
    p.add_argument("--timeout", type=int, default=10, help="wrk request timeout in seconds (default 10)")
    p.add_argument("--users", type=int, default=10_000, help="generated users on top of the demo data (default 10000)")
    p.add_argument("--keep-db", action="store_true", help=f"keep the {DB_NAME} database at the end")
    p.add_argument("--no-trace-sql", dest="trace_sql", action="store_false",
                   help="skip listing the SQL statements of one request per product page")
    p.add_argument("--json", type=Path, default=RESULTS / "web_baseline.json", help="where to write the results")
    args = p.parse_args(argv)
    if args.threads > args.connections:
        p.error("--threads must not exceed --connections")
    return args


def _interrupt(*_):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    args = parse_args(argv)
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    signal.signal(signal.SIGTERM, _interrupt)  # `kill PID` cleans up like Ctrl-C
    wrk = ensure_wrk()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    load_before = list(os.getloadavg())
    if load_before[0] > 0.5 * (os.cpu_count() or 1):
        log(f"warning: the machine is busy before the run (load average {load_before[0]:.2f} on {os.cpu_count()} "
            "CPUs): the figures will be lower and noisier than on an idle machine")
    pg_url = server_url()
    servers: list[Server] = []
    db_ready = False
    exit_code = 0
    try:
        db_ready = True  # from here on, the finally clause drops tc_bench (IF EXISTS) unless --keep-db
        db_url, users = prepare_database(pg_url, args.users)
        product = product_server(db_url, args.workers, free_port())
        bare = bare_server(args.workers, free_port())
        servers = [product, bare]
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready()
        cookies = session_cookies(product.base)
        by_name = {"product": product, "bare": bare}
        results = []
        for key, label, server_name, path, who in TARGETS:
            base = by_name[server_name].base
            target_cookie = cookies[who] if who else None
            size = check_page(base, path, target_cookie)
            log(f"{label.strip()}: warm-up {args.warmup}s, then {args.duration}s")
            if args.warmup > 0:
                run_wrk(wrk, base + path, target_cookie, args.warmup, args.connections, args.threads, args.timeout)
            meter = CpuMeter(by_name[server_name], pg_url)
            meter.start()
            r = run_wrk(wrk, base + path, target_cookie, args.duration, args.connections, args.threads, args.timeout)
            cpu = meter.stop()
            n = max(1, r["requests"])
            results.append({"key": key, "label": label, "path": path, "page_bytes": size, **r,
                            "p50_ms": r["p50_us"] / 1000, "p95_ms": r["p95_us"] / 1000, "p99_ms": r["p99_us"] / 1000,
                            **cpu, "cpu_app_ms_per_req": cpu["cpu_app_s"] * 1000 / n,
                            "cpu_pg_ms_per_req": cpu["cpu_pg_s"] * 1000 / n,
                            "cpu_wrk_ms_per_req": cpu["cpu_wrk_s"] * 1000 / n})
            errors = sum(r[k] for k in ("errors_connect", "errors_read", "errors_write", "errors_timeout"))
            log(f"  {r['rps']:.1f} req/s, p50 {r['p50_us'] / 1000:.2f} ms, p99 {r['p99_us'] / 1000:.2f} ms, "
                f"non-200 {r['non200']}, socket errors {errors}")
        bare_rps = results[0]["rps"]
        for r in results:
            r["ratio_to_bare"] = r["rps"] / bare_rps if bare_rps else 0.0
        for server in servers:
            server.stop()
        meta = {"started_at": started_at, "loadavg_before": load_before, "loadavg_after": list(os.getloadavg()),
                "users": users, "duration_s": args.duration, "warmup_s": args.warmup,
                "connections": args.connections, "threads": args.threads, "workers": args.workers,
                "machine": machine_info(pg_url, db_url)}
        print_table(results, meta)
        failures = [r for r in results if r["non200"] or r["errors_status"]]
        for r in failures:
            print(f"\n!!! {r['label'].strip()}: {r['non200']} of {r['requests']} responses were not 200 "
                  f"(e.g. {r['example_bad_status']}; {r['redirects']} redirects) — its figures are NOT valid")
        socket_errors = [r for r in results if r["errors_connect"] or r["errors_read"] or r["errors_write"]
                         or r["errors_timeout"]]
        for r in socket_errors:
            print(f"\n!!! {r['label'].strip()}: socket errors connect={r['errors_connect']} read={r['errors_read']} "
                  f"write={r['errors_write']} timeout={r['errors_timeout']}")
        traces = {}
        if args.trace_sql:
            try:
                traces = trace_sql(pg_url, db_url, args.workers,
                                   [(k, p, c) for k, _, s, p, c in TARGETS if s == "product"], cookies)
            except Exception as exc:
                log(f"SQL trace failed: {exc}")
            print_traces(traces)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({**meta, "results": results, "sql_per_request": traces}, ensure_ascii=False,
                                        indent=2) + "\n")
        print(f"\nresults: {args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json}")
        if any(r["key"].startswith("users") for r in failures):
            print("\nFAILED: the admin user list answered with non-200 responses (see above)", file=sys.stderr)
            exit_code = 1
    except BenchError as exc:
        print(f"\nbench failed: {exc}", file=sys.stderr)
        exit_code = 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        exit_code = 130
    finally:
        for server in servers:
            server.stop()
        if db_ready and not args.keep_db:
            drop_database(pg_url)
        elif db_ready:
            log(f"kept database {DB_NAME}: {with_db(pg_url, DB_NAME)}")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
