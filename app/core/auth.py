"""Sessions in PostgreSQL, the request middleware that loads the user, and login security (SUP-12)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from user_agents import parse as parse_ua

from app.config import get_settings
from app.core import db, events, settings_store
from app.core.i18n import current_locale, pick_locale
from app.core.permissions import CurrentUser, Scope
from app.core.security import hash_password, new_token, token_hash, verify_password

SESSION_COOKIE = "tc_session"
LANG_COOKIE = "tc_lang"

_USER_SQL = """
SELECT s.id AS sid, u.id, u.username, u.name, u.org, u.kind, u.is_superuser, u.lang,
       o.name AS org_name, o.path AS org_path,
       COALESCE((SELECT array_agg(DISTINCT p) FROM user_role ur JOIN role r ON r.id = ur.role,
                 unnest(r.permissions) p WHERE ur."user" = u.id), '{}') AS perms,
       COALESCE((SELECT json_agg(json_build_object('scope', r.data_scope, 'org', r.scope_org, 'path', so.path,
                 'name', r.name))
                 FROM user_role ur JOIN role r ON r.id = ur.role LEFT JOIN org_node so ON so.id = r.scope_org
                 WHERE ur."user" = u.id), '[]') AS roles
FROM web_session s JOIN app_user u ON u.id = s."user"
LEFT JOIN org_node o ON o.id = u.org
WHERE s.token_hash = $1 AND s.expires_at > now() AND u.is_active
"""


async def load_user(token: str) -> CurrentUser | None:
    row = await db.fetchrow(_USER_SQL, token_hash(token))
    if row is None:
        return None
    roles = json.loads(row["roles"]) if isinstance(row["roles"], str) else row["roles"]
    scope = Scope.from_roles(roles, row["id"], row["org"], row["org_path"], row["is_superuser"])
    return CurrentUser(id=row["id"], username=row["username"], name=row["name"], org_id=row["org"],
                       org_name=row["org_name"] or "", org_path=row["org_path"], kind=row["kind"],
                       is_superuser=row["is_superuser"], perms=frozenset(row["perms"]), scope=scope,
                       lang=row["lang"] or "", session_id=row["sid"], role_names=[r["name"] for r in roles])


async def create_session(user_id: int, ip: str, ua: str) -> str:
    token = new_token()
    expires = datetime.now(timezone.utc) + timedelta(days=get_settings().session_days)
    await db.execute('INSERT INTO web_session (token_hash, "user", ip, ua, expires_at, data) '
                     "VALUES ($1, $2, $3, $4, $5, '{}'::jsonb)", token_hash(token), user_id, ip, ua[:500], expires)
    return token


async def end_session(token: str) -> None:
    await db.execute("DELETE FROM web_session WHERE token_hash = $1", token_hash(token))


async def end_all_sessions(user_id: int, keep_session_id: int | None = None) -> None:
    await db.execute('DELETE FROM web_session WHERE "user" = $1 AND id IS DISTINCT FROM $2', user_id, keep_session_id)


def client_ip(scope) -> str:
    """Client address; X-Forwarded-For is trusted only when TRUST_PROXY is set (behind nginx)."""
    import os

    if os.environ.get("TRUST_PROXY"):
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-for":
                return value.decode().split(",")[0].strip()
    client = scope.get("client")
    return client[0] if client else ""


def describe_ua(ua: str) -> dict:
    parsed = parse_ua(ua or "")
    device = "mobile" if parsed.is_mobile else "tablet" if parsed.is_tablet else "bot" if parsed.is_bot else "pc"
    browser = parsed.browser.family
    if "MicroMessenger" in (ua or ""):
        browser = "WeChat"
    return {"platform": parsed.os.family[:40], "device": device, "browser": browser[:60]}


class LoginRefused(Exception):
    def __init__(self, reason: str, until: datetime | None = None):
        super().__init__(reason)
        self.reason = reason
        self.until = until

    @property
    def minutes_left(self) -> int:
        if self.until is None:
            return 0
        return max(1, int((self.until - datetime.now(timezone.utc)).total_seconds() // 60) + 1)


async def _blocked_until(ip: str, username: str) -> datetime | None:
    return await db.fetchval("SELECT max(until) FROM login_block WHERE key = ANY($1) AND until > now()",
                             [f"ip:{ip}", f"user:{username.lower()}"])


async def _log(username: str, user_id: int | None, ip: str, ua: str, success: bool, reason: str) -> None:
    info = describe_ua(ua)
    await db.execute("INSERT INTO login_log (username, user_id, ip, ua, platform, device, browser, success, reason)"
                     " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)", username[:64], user_id, ip, ua[:1000],
                     info["platform"], info["device"], info["browser"], success, reason)


async def _block_if_over_limit(ip: str, username: str) -> datetime | None:
    limit = int(await settings_store.get("login.max_failures"))
    window = int(await settings_store.get("login.window_minutes"))
    minutes = int(await settings_store.get("login.block_minutes"))
    until = datetime.now(timezone.utc) + timedelta(minutes=minutes)
    blocked = None
    for key, column, value in (("ip", "ip", ip), ("user", "lower(username)", username.lower())):
        # failures since the last success for this key, inside the window
        count = await db.fetchval(
            f"SELECT count(*) FROM login_log WHERE {column} = $1 AND NOT success AND at > now() - make_interval(mins => $2)"
            f" AND at > COALESCE((SELECT max(at) FROM login_log WHERE {column} = $1 AND success), '-infinity')",
            value, window)
        if count >= limit:
            await db.execute("INSERT INTO login_block (key, until, reason) VALUES ($1, $2, $3) ON CONFLICT (key) "
                             "DO UPDATE SET until = EXCLUDED.until, reason = EXCLUDED.reason, created_at = now()",
                             f"{key}:{value}", until, f"{count} failed logins")
            blocked = until
    return blocked


async def authenticate(username: str, password: str, ip: str, ua: str) -> int:
    """Returns the user id, or raises LoginRefused(reason) — 'blocked', 'invalid', 'disabled'."""
    username = (username or "").strip()
    if until := await _blocked_until(ip, username):
        await _log(username, None, ip, ua, False, "blocked")
        raise LoginRefused("blocked", until)
    row = await db.fetchrow("SELECT id, password_hash, is_active FROM app_user WHERE lower(username) = lower($1)"
                            " OR lower(email) = lower($1) LIMIT 1", username)
    if row is None or not verify_password(row["password_hash"], password or ""):
        if row is None:
            hash_password("timing-equaliser")  # same cost whether or not the account exists
        await _log(username, row["id"] if row else None, ip, ua, False, "invalid")
        if until := await _block_if_over_limit(ip, username):
            raise LoginRefused("blocked", until)
        raise LoginRefused("invalid")
    if not row["is_active"]:
        await _log(username, row["id"], ip, ua, False, "disabled")
        raise LoginRefused("disabled")
    await _log(username, row["id"], ip, ua, True, "ok")
    await db.execute("UPDATE app_user SET last_login_at = now() WHERE id = $1", row["id"])
    await events.publish("user.logged_in", user_id=row["id"])
    return row["id"]


def _cookies(scope) -> dict[str, str]:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            out = {}
            for part in value.decode("latin-1").split(";"):
                if "=" in part:
                    k, v = part.strip().split("=", 1)
                    out[k] = v
            return out
    return {}


def _header(scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return value.decode("latin-1")
    return None


def session_middleware(app):
    """Loads the user (or None) into scope["user"] and sets the request locale."""

    async def middleware(scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await app(scope, receive, send)
            return
        cookies = _cookies(scope)
        user = None
        if token := cookies.get(SESSION_COOKIE):
            user = await load_user(token)
        scope["user"] = user
        lang = pick_locale(cookies.get(LANG_COOKIE), _header(scope, b"accept-language"), user.lang if user else None)
        reset = current_locale.set(lang)
        try:
            await app(scope, receive, send)
        finally:
            current_locale.reset(reset)

    return middleware
