"""What the login page offers besides the password form: one button per enabled CAS / OIDC provider and the
SMS-code login, and WeChat inside WeChat. An H5 page that sends a WeChat browser (MicroMessenger user agent) to
log in (/login?next=/h5/…) goes straight on to WeChat OAuth; /login opened by itself keeps the password form
(staff on their phones)."""
from __future__ import annotations

from urllib.parse import urlencode

from app.core import db
from app.core.i18n import gettext as _
from app.core.login_options import LoginOption


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def is_wechat(scope: dict) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"user-agent":
            return b"MicroMessenger" in value
    return False


async def options(scope: dict, next_url: str) -> list[LoginOption]:
    """WeChat web OAuth works only inside WeChat: its button is shown there alone."""
    kinds = ["cas", "oidc", "wechat"] if is_wechat(scope) else ["cas", "oidc"]
    rows = await db.fetch("SELECT code, kind, name FROM idn_provider WHERE enabled AND kind = ANY($1::text[])"
                          " ORDER BY sort, id", kinds)
    found = [LoginOption(r["name"], _with_next(f"/auth/{'wechat' if r['kind'] == 'wechat' else 'sso'}/{r['code']}"
                                               "/start", next_url), r["kind"]) for r in rows]
    found.append(LoginOption(_("Log in with an SMS code"), _with_next("/login/sms", next_url), "sms"))
    return found


async def wechat_provider() -> str | None:
    return await db.fetchval("SELECT code FROM idn_provider WHERE enabled AND kind = 'wechat'"
                             " ORDER BY sort, id LIMIT 1")


async def auto_redirect(scope: dict, next_url: str) -> str | None:
    if not is_wechat(scope) or not (next_url == "/h5" or next_url.startswith("/h5/")):
        return None
    code = await wechat_provider()
    return _with_next(f"/auth/wechat/{code}/start", next_url) if code else None
