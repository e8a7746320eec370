"""What the simulator knows from the environment: its base URL (the OIDC issuer), the registered OIDC clients,
WeChat apps and real-name apps, lifetimes and limits. Read once at start."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

from app.config import DATA_DIR, get_settings

DEFAULT_CLIENTS = {"tongchuang": "tongchuang-dev-secret"}
DEFAULT_WECHAT_APPS = {"wxdev00000000001": "wechat-dev-secret"}
DEFAULT_REALNAME_APPS = {"tc-dev": "realname-dev-secret"}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def _json_env(name: str, default: dict[str, str]) -> dict[str, str]:
    """The defaults plus a JSON object {id: secret} from env `name` (a broken value fails the start loudly)."""
    raw = os.environ.get(name, "").strip()
    extra = json.loads(raw) if raw else {}
    if not isinstance(extra, dict):
        raise ValueError(f"{name} must be a JSON object {{id: secret}}")
    return {**default, **{str(k): str(v) for k, v in extra.items()}}


def _int_env(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def default_port() -> int:
    """--port, else TC_IDP_PORT, else the port of TC_IDP_URL (settings.idp_url)."""
    if port := os.environ.get("TC_IDP_PORT"):
        return int(port)
    return urlsplit(get_settings().idp_url).port or 8766


@dataclass(frozen=True)
class IdpConfig:
    base_url: str
    clients: dict[str, str] = field(default_factory=lambda: _json_env("TC_IDP_CLIENTS", DEFAULT_CLIENTS))
    wechat_apps: dict[str, str] = field(default_factory=lambda: _json_env("TC_IDP_WECHAT_APPS",
                                                                         DEFAULT_WECHAT_APPS))
    realname_apps: dict[str, str] = field(default_factory=lambda: _json_env("TC_IDP_REALNAME_APPS",
                                                                           DEFAULT_REALNAME_APPS))
    # extra hosts (comma-separated) that CAS services and OIDC/WeChat redirect URIs may point at
    extra_hosts: frozenset[str] = field(default_factory=lambda: frozenset(
        h.strip().lower() for h in os.environ.get("TC_IDP_ALLOWED_HOSTS", "").split(",") if h.strip()))
    ticket_seconds: int = field(default_factory=lambda: _int_env("TC_IDP_TICKET_SECONDS", 300))
    oidc_code_seconds: int = field(default_factory=lambda: _int_env("TC_IDP_OIDC_CODE_SECONDS", 60))
    wechat_code_seconds: int = field(default_factory=lambda: _int_env("TC_IDP_WECHAT_CODE_SECONDS", 300))
    access_token_seconds: int = 3600
    id_token_seconds: int = 600
    realname_daily: int = field(default_factory=lambda: _int_env("TC_IDP_REALNAME_DAILY", 200))
    realname_latency_ms: int = field(default_factory=lambda: _int_env("TC_IDP_REALNAME_LATENCY_MS", 400))
    directory_file: str = field(default_factory=lambda: os.environ.get("TC_IDP_DIRECTORY", ""))
    key_dir: str = field(default_factory=lambda: str(DATA_DIR / "idp"))

    def allowed_redirect(self, url: str) -> bool:
        """Dev IdP rule for CAS services and OIDC / WeChat redirect URIs: http(s) on a loopback host (any port
        and path), or a host named in TC_IDP_ALLOWED_HOSTS."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return False
        host = (parts.hostname or "").lower()
        return parts.scheme in {"http", "https"} and bool(host) and (host in LOOPBACK_HOSTS
                                                                     or host in self.extra_hosts)


@lru_cache
def get_config() -> IdpConfig:
    """The base URL is TC_IDP_URL (the CLI rewrites it when --port names another port)."""
    return IdpConfig(base_url=get_settings().idp_url.rstrip("/"))
