"""A second checkout on the same machine gets its own embedded PostgreSQL port, and a taken port is a
clear message, not a pg_ctl traceback (app.core.pg_embedded)."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, data_dir: Path, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("TC_PG_PORT", "DATABASE_URL")}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**clean, "TC_DATA_DIR": str(data_dir), **env})


@pytest.mark.req("NFR-05")
def test_a_second_checkout_picks_a_free_port_and_keeps_it(tmp_path, database):
    with socket.socket() as held:  # whoever holds the default port (another checkout, another program)
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with contextlib.suppress(OSError):  # this checkout's own server has it: just as taken
            held.bind(("127.0.0.1", 54329))
        first = _run("from app.core import pg_embedded as p; print(p.server_port())", tmp_path)
        assert first.returncode == 0, first.stderr
        port = int(first.stdout.strip())
        assert port != 54329
        assert (tmp_path / "pg.port").read_text().strip() == str(port)
        again = _run("from app.core import pg_embedded as p; print(p.server_port())", tmp_path)
        assert int(again.stdout.strip()) == port


@pytest.mark.req("NFR-05")
def test_a_taken_port_is_reported_clearly(tmp_path):
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        taken = held.getsockname()[1]
        (tmp_path / "pg.port").write_text(f"{taken}\n")
        result = _run("from app.core import pg_embedded as p; p.start()", tmp_path)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert f"port {taken}" in last and "TC_PG_PORT" in last and "CalledProcessError" not in result.stderr


@pytest.mark.req("NFR-05")
def test_a_fresh_checkout_starts_and_tunes_its_server_while_the_default_port_is_taken(tmp_path, database):
    """The CI box case: no data folder yet and 54329 held. The data folder must be the same one from
    initdb to the tuning restart (it was probed before it existed, then found again elsewhere)."""
    import shutil
    import tempfile

    checkout = Path(tempfile.mkdtemp(prefix="tc-fresh-", dir="/tmp"))  # traversable, as a real checkout is
    checkout.chmod(0o755)
    fresh = checkout / ".data"
    code = ("from app.core import pg_embedded as p\n"
            "try:\n    print(p.start()); print(p._pg_data_dir())\nfinally:\n    p.stop()\n")
    with socket.socket() as held:
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with contextlib.suppress(OSError):
            held.bind(("127.0.0.1", 54329))
        result = _run(code, fresh)
    assert result.returncode == 0, result.stderr[-2000:]
    started_url, data_dir = result.stdout.strip().splitlines()[-2:]
    assert started_url.startswith("postgresql://") and ":54329/" not in started_url
    assert (Path(data_dir) / "PG_VERSION").exists()
    assert Path(data_dir).is_relative_to(fresh) or os.geteuid() == 0
    shutil.rmtree(data_dir, ignore_errors=True)
    shutil.rmtree(checkout, ignore_errors=True)
