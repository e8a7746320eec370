"""The request middleware that loads the user from the signed session cookie (app.core.sessions), and
login security (SUP-12)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from user_agents import parse as parse_ua

from app.config import get_settings
from app.core import db, events, sessions, settings_store
from app.core.i18n import current_locale, pick_locale
from app.core.security import hash_password, verify_password

SESSION_COOKIE = "tc_session"
LANG_COOKIE = "tc_lang"

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
        return max(1, int((self.until - datetime.now(UTC)).total_seconds() // 60) + 1)


async def _blocked_until(ip: str, username: str) -> datetime | None:
    return await db.fetchval("SELECT max(until) FROM login_block WHERE key = ANY($1) AND until > now()",
                             [f"ip:{ip}", f"user:{username.lower()}"])


async def _log(username: str, user_id: int | None, ip: str, ua: str, success: bool, reason: str) -> None:
    info = describe_ua(ua)
    await db.execute("INSERT INTO login_log (username, user_id, ip, ua, platform, device, browser, success, reason)"
                     " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)", username[:64], user_id, ip, ua[:1000],
                     info["platform"], info["device"], info["browser"], success, reason)


async def _block_if_over_limit(ip: str, username: str) -> datetime | None:
    """Blocks the account after `login.max_failures` failures since its last success, and the address after
    `login.ip_max_failures` failures in the window whatever succeeded in between: a guesser who also
    holds one valid account must not reset the count of the address it guesses from."""
    window = int(await settings_store.get("login.window_minutes"))
    minutes = int(await settings_store.get("login.block_minutes"))
    until = datetime.now(UTC) + timedelta(minutes=minutes)
    blocked = None
    user_count = await db.fetchval(
        "SELECT count(*) FROM login_log WHERE lower(username) = $1 AND NOT success"
        " AND at > now() - make_interval(mins => $2) AND at > COALESCE((SELECT max(at) FROM login_log"
        " WHERE lower(username) = $1 AND success), '-infinity')", username.lower(), window)
    ip_count = await db.fetchval("SELECT count(*) FROM login_log WHERE ip = $1 AND NOT success"
                                 " AND at > now() - make_interval(mins => $2)", ip, window)
    for key, count, setting in (("user:" + username.lower(), user_count, "login.max_failures"),
                                ("ip:" + ip, ip_count, "login.ip_max_failures")):
        if count >= int(await settings_store.get(setting)):
            await db.execute("INSERT INTO login_block (key, until, reason) VALUES ($1, $2, $3) ON CONFLICT (key) "
                             "DO UPDATE SET until = EXCLUDED.until, reason = EXCLUDED.reason, created_at = now()",
                             key, until, f"{count} failed logins")
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
    await record_login(username, row["id"], ip, ua)
    return row["id"]


async def record_login(username: str, user_id: int, ip: str, ua: str, reason: str = "ok") -> None:
    """A successful login (by password, or "registered": a new account logged in at once) in the login log."""
    await _log(username, user_id, ip, ua, True, reason)
    await db.execute("UPDATE app_user SET last_login_at = now() WHERE id = $1", user_id)
    await events.publish("user.logged_in", user_id=user_id)


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
    """Loads the user (or None) into scope["user"] from the session cookie and sets the request locale;
    moves the cookie's idle clock on every few minutes."""
    secure = get_settings().secure_cookies

    async def middleware(scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await app(scope, receive, send)
            return
        cookies = _cookies(scope)
        user, refreshed = None, None
        if cookie := cookies.get(SESSION_COOKIE):
            user, refreshed = await sessions.resolve(cookie)
        scope["user"] = user
        lang = pick_locale(cookies.get(LANG_COOKIE), _header(scope, b"accept-language"), user.lang if user else None)
        reset = current_locale.set(lang)
        if refreshed:
            send = _with_cookie(send, session_cookie_header(refreshed, secure))
        try:
            await app(scope, receive, send)
        finally:
            current_locale.reset(reset)

    return middleware


def session_cookie_header(value: str, secure: bool) -> str:
    attrs = f"{SESSION_COOKIE}={value}; Path=/; Max-Age={sessions.absolute_seconds()}; HttpOnly; SameSite=Lax"
    return attrs + ("; Secure" if secure else "")


def _with_cookie(send, header: str):
    """Adds the re-signed cookie to the response, unless the handler set or cleared it itself (login, logout)."""
    prefix = SESSION_COOKIE.encode() + b"="

    async def wrapped(message):
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            if not any(k == b"set-cookie" and v.startswith(prefix) for k, v in headers):
                headers.append((b"set-cookie", header.encode("latin-1")))
                message = {**message, "headers": headers}
        await send(message)

    return wrapped


# --- for logins that do not go through `authenticate` (school SSO, WeChat, SMS code) ---------------------

async def check_not_blocked(ip: str, username: str, ua: str = "") -> None:
    """Raises LoginRefused("blocked") while the address or the account is blocked (SUP-12), logging the
    refusal as `authenticate` does: an external login honours the same lockout as the password form."""
    if until := await _blocked_until(ip, username or ""):
        await _log(username or "", None, ip, ua, False, "blocked")
        raise LoginRefused("blocked", until)


async def record_failure(username: str, user_id: int | None, ip: str, ua: str, reason: str) -> datetime | None:
    """A refused login (forged ticket, bad ID token, replayed code …) in the login log; like a wrong password
    it counts towards the address's and the name's failure limits. Returns the block's end if one started."""
    await _log(username or "", user_id, ip, ua, False, reason[:40])
    return await _block_if_over_limit(ip, username or "")
