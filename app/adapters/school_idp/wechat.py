"""WeChat web OAuth for official accounts (公众号网页授权) on the real paths: /connect/oauth2/authorize (the page
in the phone's WeChat), /sns/oauth2/access_token, /sns/oauth2/refresh_token, /sns/userinfo, /sns/auth.
Errors answer HTTP 200 with {"errcode", "errmsg"} as WeChat does.

"Which WeChat account is this phone?" is a simulator cookie (tc_idp_wx); scripted tests may pass
`sim_account=<nickname>` on authorize instead. openid is stable per (appid, account nickname), unionid per
nickname across appids (HMAC of the nickname: the same across restarts and machines)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import secrets
from urllib.parse import quote, unquote, urlencode

from litestar import Request, Response, get, post
from litestar.response import Redirect

from app.adapters.school_idp import pages
from app.adapters.school_idp.cas import with_params
from app.adapters.school_idp.simulator import Simulator, sim
from app.core.i18n import gettext as _

ACCOUNT_COOKIE = "tc_idp_wx"
READY_ACCOUNTS = ("微信用户小张", "微信用户小李", "微信用户小王")
SCOPES = ("snsapi_base", "snsapi_userinfo")
AUTH_PARAMS = ("appid", "redirect_uri", "response_type", "scope", "state")
_ID_KEY = b"tongchuang-wechat-simulator"
ACCESS_SECONDS = 7200
REFRESH_SECONDS = 30 * 86400
MAX_NICKNAME = 32


def _stable_id(text: str) -> str:
    digest = hmac.new(_ID_KEY, text.encode(), hashlib.sha256).digest()
    return "o" + base64.urlsafe_b64encode(digest).decode()[:27]


def openid_for(appid: str, nickname: str) -> str:
    return _stable_id(f"openid|{appid}|{nickname}")


def unionid_for(nickname: str) -> str:
    return _stable_id(f"unionid|{nickname}")


def _wx_json(data: dict) -> Response:
    return Response(content=json.dumps(data, ensure_ascii=False), media_type="application/json; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


def _wx_error(errcode: int, errmsg: str) -> Response:
    return _wx_json({"errcode": errcode, "errmsg": errmsg})


def _wx_page(title: str, body, status: int = 200) -> Response:
    return pages.page(title, body, status=status, brand=_("WeChat (development simulator)"))


def _error_page(errcode: int, message: str) -> Response:
    return _wx_page(_("Something went wrong"), pages.paragraphs(message, f"errcode: {errcode}"), status=400)


def _params(source) -> dict[str, str]:
    return {k: source.get(k, "") for k in AUTH_PARAMS}


def _check(simulator: Simulator, params: dict[str, str]) -> Response | None:
    if not params["appid"]:
        return _error_page(10012, _("The appid parameter is missing."))
    if params["appid"] not in simulator.config.wechat_apps:
        return _error_page(40013, _("Invalid appid."))
    if not params["redirect_uri"]:
        return _error_page(10011, _("The redirect_uri parameter is missing."))
    if not simulator.config.allowed_redirect(params["redirect_uri"]):
        return _error_page(10003, _("redirect_uri does not match the domain configured for this account."))
    if params["response_type"] != "code":
        return _error_page(10004, _("response_type must be code."))
    if not params["scope"]:
        return _error_page(10010, _("The scope parameter is missing."))
    if params["scope"] not in SCOPES:
        return _error_page(10005, _("This official account has no permission for this scope."))
    return None


def _account(request: Request) -> str:
    raw = request.query_params.get("sim_account") or unquote(request.cookies.get(ACCOUNT_COOKIE, ""))
    return raw.strip()[:MAX_NICKNAME]


def _remember(response: Response, nickname: str) -> Response:
    response.set_cookie(ACCOUNT_COOKIE, quote(nickname), path="/", httponly=True, samesite="lax",
                        max_age=365 * 86400)
    return response


def _authorize_url(params: dict[str, str]) -> str:
    return "/connect/oauth2/authorize?" + urlencode({k: v for k, v in params.items() if v})


def _issue_code(simulator: Simulator, params: dict[str, str], nickname: str) -> Redirect:
    code = simulator.wechat_codes.issue({"appid": params["appid"], "nickname": nickname, "scope": params["scope"]},
                                        simulator.config.wechat_code_seconds, key=secrets.token_hex(16))
    return Redirect(with_params(params["redirect_uri"], code=code, state=params["state"]), status_code=302)


def _chooser(params: dict[str, str], error: str | None = None, status: int = 200) -> Response:
    ready = pages.Markup("").join(
        pages.Markup('<li><form method="post" action="/connect/oauth2/account">{}'
                     '<button type="submit" class="wechat">{}</button></form></li>').format(
            pages.hidden({**params, "nickname": name}), name) for name in READY_ACCOUNTS)
    new = pages.Markup(
        '{error}<form method="post" action="/connect/oauth2/account">{hidden}'
        '<label for="nickname">{label}</label>'
        '<input type="text" id="nickname" name="nickname" maxlength="{max}" required>'
        '<button type="submit">{submit}</button></form>').format(
        error=pages.error_box(error), hidden=pages.hidden(params), label=_("Or a new WeChat account, by nickname"),
        max=MAX_NICKNAME, submit=_("Use this new account"))
    body = pages.paragraphs(_("This simulator plays the phone's WeChat. Pick the account that is logged in.")) \
        + pages.Markup('<ul class="plain">{}</ul>').format(ready) + new
    return _wx_page(_("Which WeChat account is this phone?"), body, status)


def _consent(params: dict[str, str], nickname: str, sim_account: str | None) -> Response:
    buttons = pages.Markup(
        '<form method="post" action="/connect/oauth2/consent">{hidden}'
        '<button type="submit" name="decision" value="allow" class="wechat">{allow}</button> '
        '<button type="submit" name="decision" value="deny" class="secondary">{deny}</button></form>'
        '<p class="hint"><a href="{switch}">{switch_label}</a></p>').format(
        hidden=pages.hidden({**params, "sim_account": sim_account}), allow=_("Allow"), deny=_("Deny"),
        switch="/connect/oauth2/account?" + urlencode({k: v for k, v in params.items() if v}),
        switch_label=_("Not %(nickname)s? Choose another account", nickname=nickname))
    body = pages.paragraphs(
        _("The web page of official account %(appid)s asks for your WeChat nickname and avatar.",
          appid=params["appid"]), _("Logged in to WeChat as: %(nickname)s", nickname=nickname)) + buttons
    return _wx_page(_("Allow access to your WeChat profile?"), body)


@get("/connect/oauth2/authorize", sync_to_thread=False)
def authorize(request: Request) -> Response:
    simulator, params = sim(request), _params(request.query_params)
    if refused := _check(simulator, params):
        return refused
    nickname = _account(request)
    if not nickname:
        return _chooser(params)
    response = _consent(params, nickname, request.query_params.get("sim_account")) \
        if params["scope"] == "snsapi_userinfo" \
        else _issue_code(simulator, params, nickname)
    return _remember(response, nickname) if request.query_params.get("sim_account") else response


@get("/connect/oauth2/account", sync_to_thread=False)
def choose_account(request: Request) -> Response:
    params = _params(request.query_params)
    return _check(sim(request), params) or _chooser(params)


@post("/connect/oauth2/account")
async def choose_account_post(request: Request) -> Response:
    form = await request.form()
    params = _params(form)
    if refused := _check(sim(request), params):
        return refused
    nickname = (form.get("nickname") or "").strip()
    if not nickname or len(nickname) > MAX_NICKNAME:
        return _chooser(params, _("Enter a nickname of at most %(max)s characters.", max=MAX_NICKNAME), 422)
    return _remember(Redirect(_authorize_url(params), status_code=303), nickname)


@post("/connect/oauth2/consent")
async def consent_post(request: Request) -> Response:
    simulator = sim(request)
    form = await request.form()
    params = _params(form)
    if refused := _check(simulator, params):
        return refused
    nickname = (form.get("sim_account") or "").strip()[:MAX_NICKNAME] or _account(request)
    if not nickname:
        return _chooser(params)
    if form.get("decision") != "allow":  # WeChat sends the user back without a code
        return Redirect(with_params(params["redirect_uri"], state=params["state"]), status_code=302)
    return _issue_code(simulator, params, nickname)


# --- the server-side API ---

def _tokens(simulator: Simulator, appid: str, nickname: str, scope: str) -> dict:
    openid = openid_for(appid, nickname)
    value = {"appid": appid, "nickname": nickname, "scope": scope, "openid": openid}
    access = simulator.wechat_tokens.issue(value, ACCESS_SECONDS, key=secrets.token_urlsafe(48))
    refresh = simulator.wechat_refresh.issue(value, REFRESH_SECONDS, key=secrets.token_urlsafe(48))
    return {"access_token": access, "expires_in": ACCESS_SECONDS, "refresh_token": refresh, "openid": openid,
            "scope": scope, "unionid": unionid_for(nickname)}


def _app_error(simulator: Simulator, appid: str, secret: str | None) -> Response | None:
    if not appid:
        return _wx_error(41002, "appid missing")
    if appid not in simulator.config.wechat_apps:
        return _wx_error(40013, "invalid appid")
    if secret is not None:
        if not secret:
            return _wx_error(41004, "appsecret missing")
        if not secrets.compare_digest(simulator.config.wechat_apps[appid].encode(), secret.encode()):
            return _wx_error(40125, "invalid appsecret")
    return None


@get("/sns/oauth2/access_token", sync_to_thread=False)
def access_token(request: Request) -> Response:
    simulator, q = sim(request), request.query_params
    appid = q.get("appid", "")
    if failed := _app_error(simulator, appid, q.get("secret", "")):
        return failed
    if q.get("grant_type") != "authorization_code":
        return _wx_error(40002, "invalid grant_type")
    if not q.get("code"):
        return _wx_error(41008, "missing code")
    status, code = simulator.wechat_codes.peek(q["code"])
    if status == "used":
        return _wx_error(40163, "code been used")
    if status != "ok" or code is None or code["appid"] != appid:
        return _wx_error(40029, "invalid code")
    simulator.wechat_codes.take(q["code"])
    return _wx_json(_tokens(simulator, appid, code["nickname"], code["scope"]))


@get("/sns/oauth2/refresh_token", sync_to_thread=False)
def refresh_token(request: Request) -> Response:
    simulator, q = sim(request), request.query_params
    appid = q.get("appid", "")
    if failed := _app_error(simulator, appid, None):
        return failed
    if q.get("grant_type") != "refresh_token":
        return _wx_error(40002, "invalid grant_type")
    status, value = simulator.wechat_refresh.peek(q.get("refresh_token", ""))
    if status != "ok" or value is None or value["appid"] != appid:
        return _wx_error(40030, "invalid refresh_token")
    data = _tokens(simulator, appid, value["nickname"], value["scope"])
    simulator.wechat_refresh.drop(data["refresh_token"])  # WeChat keeps the refresh token: the old one stays
    data["refresh_token"] = q["refresh_token"]
    return _wx_json(data)


def _token(simulator: Simulator, request: Request) -> tuple[dict | None, Response | None]:
    q = request.query_params
    status, value = simulator.wechat_tokens.peek(q.get("access_token", ""))
    if status != "ok" or value is None:
        return None, _wx_error(40001, "invalid credential, access_token is invalid or not latest")
    if q.get("openid", "") != value["openid"]:
        return None, _wx_error(40003, "invalid openid")
    return value, None


@get("/sns/userinfo", sync_to_thread=False)
def userinfo(request: Request) -> Response:
    simulator = sim(request)
    value, failed = _token(simulator, request)
    if failed or value is None:
        return failed or _wx_error(40001, "invalid credential")
    if value["scope"] != "snsapi_userinfo":
        return _wx_error(48001, "api unauthorized")
    unionid = unionid_for(value["nickname"])
    return _wx_json({"openid": value["openid"], "nickname": value["nickname"], "sex": 0, "province": "",
                     "city": "", "country": "", "privilege": [], "unionid": unionid,
                     "headimgurl": f"{simulator.config.base_url}/_sim/wechat/avatar/{unionid}.png"})


@get("/sns/auth", sync_to_thread=False)
def auth(request: Request) -> Response:
    _value, failed = _token(sim(request), request)
    return failed or _wx_error(0, "ok")


@get("/_sim/wechat/avatar/{name:str}", sync_to_thread=False)
def avatar(name: str) -> Response:
    """A 132×132 PNG in a colour of the account (headimgurl points here)."""
    from PIL import Image

    colour = tuple(hashlib.sha256(name.encode()).digest()[:3])
    out = io.BytesIO()
    Image.new("RGB", (132, 132), colour).save(out, "PNG")
    return Response(content=out.getvalue(), media_type="image/png", headers={"Cache-Control": "max-age=86400"})


ROUTES = [authorize, choose_account, choose_account_post, consent_post, access_token, refresh_token, userinfo,
          auth, avatar]
