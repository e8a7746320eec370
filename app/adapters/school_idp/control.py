"""Simulator-only controls under /_sim (no real provider has them; tests and developers use them), and a home
page listing the endpoints and the demo accounts.

- POST /_sim/directory   JSON entry {username, password, name, email, number, kind, college} (or a list): add
                         or replace people who can log in at the IdP
- GET/POST /_sim/faults  {"oidc": "wrong_nonce" | "wrong_issuer" | "wrong_audience" | "bad_signature" |
                         "expired" | ""}: the NEXT token response carries that defect ("" clears)
- GET /_sim/realname/calls  {"calls": n, "today": {app: n}, "daily_limit": n}
- POST /_sim/realname    {"daily_limit": n, "reset": true}: change the daily limit / forget today's counts
- POST /_sim/expire      every outstanding CAS ticket, OIDC code/token and WeChat code/token expires now
- GET /_sim/wechat/accounts  the ready WeChat accounts with their openids for each app"""
from __future__ import annotations

import json

from litestar import Request, Response, get, post

from app.adapters.school_idp import pages
from app.adapters.school_idp.simulator import OIDC_FAULTS, sim
from app.adapters.school_idp.state import person_from
from app.adapters.school_idp.wechat import READY_ACCOUNTS, openid_for, unionid_for
from app.core.i18n import gettext as _


def _json(data: dict, status: int = 200) -> Response:
    return Response(content=json.dumps(data, ensure_ascii=False), status_code=status,
                    media_type="application/json; charset=utf-8", headers={"Cache-Control": "no-store"})


async def _body(request: Request):
    try:
        return json.loads(await request.body() or b"null")
    except (ValueError, UnicodeDecodeError):
        return None


@post("/_sim/directory")
async def add_people(request: Request) -> Response:
    data = await _body(request)
    entries = data if isinstance(data, list) else [data]
    try:
        people = [person_from(entry) for entry in entries]
    except ValueError as exc:
        return _json({"error": str(exc)}, 400)
    for person in people:
        sim(request).directory.add(person)
    return _json({"added": [p.username for p in people]}, 201)


@get("/_sim/faults", sync_to_thread=False)
def faults(request: Request) -> Response:
    return _json({**sim(request).faults, "choices": list(OIDC_FAULTS)})


@post("/_sim/faults")
async def set_faults(request: Request) -> Response:
    data = await _body(request)
    if not isinstance(data, dict) or not isinstance(data.get("oidc"), str) \
            or data["oidc"] not in ("", *OIDC_FAULTS):
        return _json({"error": f"expected {{\"oidc\": one of {['', *OIDC_FAULTS]}}}"}, 400)
    sim(request).faults["oidc"] = data["oidc"]
    return _json(sim(request).faults)


@get("/_sim/realname/calls", sync_to_thread=False)
def realname_calls(request: Request) -> Response:
    counters = sim(request).realname
    return _json({"calls": counters.calls, "today": dict(counters.day()), "daily_limit": counters.daily_limit})


@post("/_sim/realname")
async def realname_settings(request: Request) -> Response:
    data = await _body(request)
    counters = sim(request).realname
    if not isinstance(data, dict):
        return _json({"error": "expected a JSON object"}, 400)
    if "daily_limit" in data:
        if not isinstance(data["daily_limit"], int) or data["daily_limit"] < 0:
            return _json({"error": "daily_limit must be a whole number >= 0"}, 400)
        counters.daily_limit = data["daily_limit"]
    if data.get("reset"):
        counters.day().clear()
        counters.calls = 0
        counters.answers.clear()
    return _json({"calls": counters.calls, "today": dict(counters.day()), "daily_limit": counters.daily_limit})


@post("/_sim/expire")
async def expire(request: Request) -> Response:
    return _json({"expired": sum(store.expire_all() for store in sim(request).stores())})


@get("/_sim/wechat/accounts", sync_to_thread=False)
def wechat_accounts(request: Request) -> Response:
    apps = list(sim(request).config.wechat_apps)
    return _json({"accounts": [{"nickname": n, "unionid": unionid_for(n),
                                "openids": {a: openid_for(a, n) for a in apps}} for n in READY_ACCOUNTS]})


@get("/", sync_to_thread=False)
def home(request: Request) -> Response:
    simulator = sim(request)
    base = simulator.config.base_url
    links = pages.link_list([
        ("/.well-known/openid-configuration", _("OpenID Connect discovery")),
        ("/cas/login", _("CAS login")),
        ("/_sim/faults", _("OIDC fault switches (simulator only)")),
        ("/_sim/realname/calls", _("Real-name calls (simulator only)")),
    ])
    rows = pages.Markup("").join(
        pages.Markup("<li><code>{}</code> {} · {} · {}</li>").format(p.username, p.name, p.kind, p.number)
        for p in simulator.directory.people.values())
    body = pages.paragraphs(_("Base URL and OIDC issuer: %(base)s", base=base)) + links + pages.Markup(
        "<h2>{}</h2><ul class=\"plain\">{}</ul>").format(_("Demo accounts (password idp-pass)"), rows)
    return pages.page(_("School identity provider (development simulator)"), body)


ROUTES = [add_people, faults, set_faults, realname_calls, realname_settings, expire, wechat_accounts, home]
