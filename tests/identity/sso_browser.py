"""Plays the browser between the app (the `client` fixture: httpx on the ASGI app) and the built-in school IdP /
WeChat simulator (the `idp` fixture: its own process, real HTTP). The app itself calls the IdP with httpx
(ticket validation, code exchange, JWKS); the test only carries the redirects as a browser would."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from app.identity import oidc, providers


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def local(url: str) -> str:
    """The app-relative part of one of our absolute URLs (public_url differs from the test client's base)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def with_params(url: str, **params: str) -> str:
    base, hash_, fragment = url.partition("#")
    return base + ("&" if "?" in base else "?") + urlencode(params) + hash_ + fragment


def hidden_fields(html: str) -> dict[str, str]:
    return {unescape(n): unescape(v) for n, v in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', html)}


def idp_browser(idp: str) -> httpx.AsyncClient:
    """A fresh phone/desktop browser at the IdP (no IdP session, no WeChat account chosen)."""
    return httpx.AsyncClient(base_url=idp, follow_redirects=False, headers={"accept-language": "en"}, timeout=10)


async def ensure_providers(**changes) -> None:
    """The built-in providers, with some columns changed for a test: {"cas": {"mapping": "email"}}."""
    from app.core import db

    await providers.ensure_builtin()
    oidc.forget_cache()
    for code, values in changes.items():
        for column, value in values.items():
            assert column in providers.COLUMNS
            await db.execute(f"UPDATE idn_provider SET {column} = $2 WHERE code = $1", code, value)


async def start(client, path: str) -> str:
    """GET our start URL; returns where it sends the browser (the IdP)."""
    response = await client.get(path)
    assert response.status_code == 303, response.text[:500]
    return response.headers["location"]


async def cas_authenticate(browser: httpx.AsyncClient, login_url: str, username: str,
                           password: str = "idp-pass") -> str:
    """The CAS login form at the IdP → the callback URL (service + ticket) it redirects to."""
    form = await browser.get(login_url)
    assert form.status_code == 200 and 'name="password"' in form.text, form.text[:300]
    answer = await browser.post("/cas/login", data={**hidden_fields(form.text), "username": username,
                                                    "password": password})
    assert answer.status_code == 302, answer.text[:300]
    return answer.headers["location"]


async def oidc_authenticate(browser: httpx.AsyncClient, authorize_url: str, username: str,
                            password: str = "idp-pass") -> str:
    form = await browser.get(authorize_url)
    assert form.status_code == 200 and 'name="password"' in form.text, form.text[:300]
    login_form = form.text.split("</form>")[0]  # not the Cancel form after it
    answer = await browser.post("/oidc/authorize", data={**hidden_fields(login_form), "username": username,
                                                         "password": password})
    assert answer.status_code == 302, answer.text[:300]
    return answer.headers["location"]


async def wechat_authorize(browser: httpx.AsyncClient, authorize_url: str, account: str) -> str:
    """WeChat's authorize page as the phone's account `account`: snsapi_base answers at once, snsapi_userinfo
    after the consent page (Allow)."""
    page = await browser.get(with_params(authorize_url, sim_account=account))
    if page.status_code == 200:  # the consent page of snsapi_userinfo
        assert "decision" in page.text, page.text[:300]
        page = await browser.post("/connect/oauth2/consent", data={**hidden_fields(page.text), "decision": "allow"})
    assert page.status_code == 302, page.text[:300]
    return page.headers["location"]


async def sso_login(client, idp: str, code: str, username: str, *, next_url: str = "", kind: str = "cas"):
    """A whole CAS or OIDC login as a browser does it; returns our callback's response."""
    path = f"/auth/sso/{code}/start" + (f"?{urlencode({'next': next_url})}" if next_url else "")
    target = await start(client, path)
    async with idp_browser(idp) as browser:
        if kind == "cas":
            back = await cas_authenticate(browser, target, username)
        else:
            back = await oidc_authenticate(browser, target, username)
    return await client.get(local(back))


async def wechat_login(client, idp: str, account: str, code: str = "wechat", path: str = ""):
    """A WeChat login from the start URL, following our own second (snsapi_userinfo) redirect if we ask for
    one; returns (our last response, the callback URLs the phone was sent to)."""
    target = await start(client, path or f"/auth/wechat/{code}/start")
    callbacks = []
    async with idp_browser(idp) as browser:
        for _ in range(2):
            back = await wechat_authorize(browser, target, account)
            callbacks.append(back)
            response = await client.get(local(back))
            location = response.headers.get("location", "")
            if response.status_code != 303 or not location.startswith(idp):
                return response, callbacks
            target = location
    raise AssertionError("more than two WeChat redirects")
