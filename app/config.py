"""Settings from the environment: one typed object, read once."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("TC_DATA_DIR", ROOT / ".data"))


def _secret_key() -> str:
    """SECRET_KEY from env; in dev a random one kept in the git-ignored data folder."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    database_url: str | None = field(default_factory=lambda: os.environ.get("DATABASE_URL"))
    secret_key: str = field(default_factory=_secret_key)
    host: str = field(default_factory=lambda: os.environ.get("HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(os.environ.get("PORT", "8000")))
    base_url: str = field(default_factory=lambda: os.environ.get("BASE_URL", ""))
    dev: bool = field(default_factory=lambda: _bool("TC_DEV", True))
    secure_cookies: bool = field(default_factory=lambda: _bool("TC_SECURE_COOKIES", False))
    smtp_host: str = field(default_factory=lambda: os.environ.get("SMTP_HOST", "127.0.0.1"))
    smtp_port: int = field(default_factory=lambda: int(os.environ.get("SMTP_PORT", "1025")))
    mail_from: str = field(default_factory=lambda: os.environ.get("MAIL_FROM", "noreply@tongchuang.local"))
    embedded_pg_port: int = field(default_factory=lambda: int(os.environ.get("TC_PG_PORT", "54329")))
    upload_dir: Path = field(default_factory=lambda: Path(os.environ.get("TC_UPLOAD_DIR", DATA_DIR / "uploads")))
    # The built-in school IdP and WeChat/real-name simulators (`python -m app idp`, app/adapters/school_idp):
    # providers whose base URL is empty talk to it.
    idp_url: str = field(default_factory=lambda: os.environ.get("TC_IDP_URL", "http://127.0.0.1:8766"))
    session_days: int = 14
    workers: int = field(default_factory=lambda: int(os.environ.get("WEB_WORKERS", "1")))
    # Requests one worker serves at once: open SSE streams count (granian's default, backlog / workers, would
    # queue the 1,025th chat page of a worker behind the others); the accept queue of the listening socket.
    max_concurrency: int = field(default_factory=lambda: int(os.environ.get("WEB_MAX_CONCURRENCY", "10000")))
    backlog: int = field(default_factory=lambda: int(os.environ.get("WEB_BACKLOG", "2048")))

    def public_url(self) -> str:
        return self.base_url or f"http://{self.host}:{self.port}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
