"""Backup and restore (NFR-07): pg_dump custom format, pg_restore --clean into the same database."""
from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path

from app.config import DATA_DIR
from app.core.pg_embedded import client_binary


def backup(url: str, target: Path | None = None) -> Path:
    target = target or DATA_DIR / "backups" / f"tongchuang-{datetime.now():%Y%m%d-%H%M%S}.dump"
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([client_binary("pg_dump"), "--format=custom", "--no-owner", f"--file={target}", url], check=True)
    return target


def restore(url: str, source: Path) -> None:
    if not source.exists():
        raise FileNotFoundError(source)
    subprocess.run([client_binary("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                    f"--dbname={url}", str(source)], check=True)
