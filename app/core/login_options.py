"""Other ways to log in than the password form (SSO, WeChat, SMS code), offered by the modules that
provide them. Core knows only this registry; the login page (app.support) asks it what to show, and
whether this request should go straight to one of them (a WeChat browser → WeChat OAuth)."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class LoginOption:
    label: str  # already translated
    url: str  # where the link goes; carries `next`
    kind: str  # cas / oidc / wechat / sms: the icon and the order on the page


Lister = Callable[[dict, str], Awaitable[list[LoginOption]]]  # (ASGI scope, next_url) -> options
Redirector = Callable[[dict, str], Awaitable[str | None]]  # (ASGI scope, next_url) -> url to go to, or None

_listers: list[Lister] = []
_redirectors: list[Redirector] = []


def register(lister: Lister | None = None, redirector: Redirector | None = None) -> None:
    if lister and lister not in _listers:
        _listers.append(lister)
    if redirector and redirector not in _redirectors:
        _redirectors.append(redirector)


async def options(scope: dict, next_url: str) -> list[LoginOption]:
    found: list[LoginOption] = []
    for lister in _listers:
        found.extend(await lister(scope, next_url))
    return found


async def auto_redirect(scope: dict, next_url: str) -> str | None:
    """The first module that wants this request (and no explicit ?password=1) decides."""
    for redirector in _redirectors:
        if url := await redirector(scope, next_url):
            return url
    return None
