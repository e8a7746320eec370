"""Site settings (SUP-11) kept in site_setting, cached briefly in-process."""
from __future__ import annotations

import json
import time
from typing import Any

from app.core import db

DEFAULTS: dict[str, Any] = {
    "site.name": "同窗校友平台",
    "site.copyright": "",
    "site.contact": "",
    "site.icp": "",
    "site.logo_url": "",
    "upload.max_mb": 20,
    "upload.types": "jpg,jpeg,png,gif,pdf,xlsx,csv,docx",
    "jobs.retention_days.scheduled": 7,
    "jobs.retention_days.other": 90,
    "login.max_failures": 5,
    "login.ip_max_failures": 20,  # one campus NAT address carries many users: higher than per account
    "login.window_minutes": 15,
    "login.block_minutes": 15,
    "login.idle_minutes": 7 * 24 * 60,  # a session unused this long ends (app.core.sessions)
    "smtp.host": "",
    "smtp.port": 0,
    "smtp.user": "",
    "smtp.password": "",
    "wechat.appid": "",
    "wechat.secret": "",
    "sms.api_key": "",
}
SECRET_KEYS = {"smtp.password", "wechat.secret", "sms.api_key"}
_cache: dict[str, Any] = {}
_loaded_at = 0.0
TTL_SECONDS = 5.0


async def all_settings() -> dict[str, Any]:
    global _cache, _loaded_at
    if time.monotonic() - _loaded_at > TTL_SECONDS:
        rows = await db.fetch("SELECT key, value FROM site_setting")
        _cache = {**DEFAULTS, **{r["key"]: json.loads(r["value"]) for r in rows}}
        _loaded_at = time.monotonic()
    return _cache


async def get(key: str, default: Any = None) -> Any:
    return (await all_settings()).get(key, DEFAULTS.get(key, default))


async def put(key: str, value: Any, actor_id: int | None = None) -> None:
    global _loaded_at
    await db.execute(
        "INSERT INTO site_setting (key, value, created_by, updated_by) VALUES ($1, $2::jsonb, $3, $3) "
        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now(), updated_by = $3",
        key, json.dumps(value), actor_id)
    _loaded_at = 0.0


def invalidate() -> None:
    global _loaded_at
    _loaded_at = 0.0
