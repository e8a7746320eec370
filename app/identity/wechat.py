"""WeChat web OAuth client (SUP-08) for H5 pages opened inside WeChat: the authorize redirect
(snsapi_base, silent; snsapi_userinfo, asked for only when the openid is not bound yet), code → access
token (a used or invalid code is refused), and the user's nickname and unionid."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import httpx

from app.config import get_settings
from app.core.i18n import gettext as _
from app.identity.external import LoginFailed
from app.identity.providers import Provider

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
BASE, USERINFO = "snsapi_base", "snsapi_userinfo"


@dataclass(frozen=True)
class WechatToken:
    openid: str
    access_token: str
    scope: str
    unionid: str = ""


def redirect_uri(provider: Provider) -> str:
    return f"{get_settings().public_url()}/auth/wechat/{provider.code}/callback"


def authorize_url(provider: Provider, state: str, scope: str) -> str:
    """The parameters in WeChat's documented order; `#wechat_redirect` is required by WeChat."""
    query = urlencode({"appid": provider.client_id, "redirect_uri": redirect_uri(provider), "response_type": "code",
                       "scope": scope, "state": state})
    return f"{provider.base}/connect/oauth2/authorize?{query}#wechat_redirect"


def _unreachable(detail: str) -> LoginFailed:
    return LoginFailed("idp_unreachable", _("WeChat could not be reached. Try again in a moment."), detail[:200])


def _refusal(data: dict) -> LoginFailed:
    code = data.get("errcode")
    detail = f"errcode {code}: {data.get('errmsg', '')}"[:200]
    if code == 40163:
        return LoginFailed("wechat_code_used", _("This WeChat login was already used. Start the login again."),
                           detail)
    if code == 40029:
        return LoginFailed("wechat_code_invalid", _("WeChat did not accept this login code. Start the login again."),
                           detail)
    if code in (40125, 40013, 40001):
        return LoginFailed("wechat_config", _("WeChat refused this site's app credentials. Please tell the alumni "
                                              "office."), detail)
    if code == 48001:
        return LoginFailed("wechat_scope", _("WeChat did not share your profile. Start the login again."), detail)
    return LoginFailed("wechat_error", _("WeChat refused the login (error %(code)s).", code=code), detail)


async def _call(url: str, params: dict) -> dict:
    """WeChat answers errors with HTTP 200 and {"errcode": …, "errmsg": …}."""
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as http:
            response = await http.get(url, params=params)
        response.raise_for_status()
        data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise _unreachable(f"{type(exc).__name__}: {exc}") from None
    if not isinstance(data, dict):
        raise _unreachable("not a JSON object")
    if data.get("errcode"):
        raise _refusal(data)
    return data


async def exchange(provider: Provider, code: str) -> WechatToken:
    if not code or len(code) > 256:
        raise LoginFailed("wechat_code_invalid", _("WeChat did not accept this login code. Start the login again."),
                          "no code")
    data = await _call(f"{provider.api}/sns/oauth2/access_token",
                       {"appid": provider.client_id, "secret": provider.client_secret, "code": code,
                        "grant_type": "authorization_code"})
    if not data.get("openid") or not data.get("access_token"):
        raise _unreachable("no openid in the token answer")
    return WechatToken(str(data["openid"]), str(data["access_token"]), str(data.get("scope") or ""),
                       str(data.get("unionid") or ""))


async def userinfo(provider: Provider, token: WechatToken) -> dict:
    """nickname, headimgurl, unionid (when the account is tied to an open platform)…"""
    return await _call(f"{provider.api}/sns/userinfo",
                       {"access_token": token.access_token, "openid": token.openid, "lang": "zh_CN"})
