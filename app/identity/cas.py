"""CAS 2.0 / 3.0 client (SUP-05): the login redirect and the service-ticket validation.

The service URL we send carries the one-time `state` (app.identity.auth_states), so a ticket is only good
for the login attempt that asked for it: the callback rebuilds the same service URL from the state it
consumed and the CAS server checks that the ticket was issued for exactly that URL."""
from __future__ import annotations

from urllib.parse import urlencode

import httpx
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from app.config import get_settings
from app.core.i18n import gettext as _
from app.identity.external import ExternalIdentity, LoginFailed
from app.identity.providers import Provider

NS = "{http://www.yale.edu/tp/cas}"
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def service_url(provider: Provider, state: str) -> str:
    return f"{get_settings().public_url()}/auth/sso/{provider.code}/callback?{urlencode({'state': state})}"


def login_url(provider: Provider, state: str) -> str:
    return f"{provider.base}/cas/login?{urlencode({'service': service_url(provider, state)})}"


def _validate_path(provider: Provider) -> str:
    return "/cas/p3/serviceValidate" if provider.cas_version == "3" else "/cas/serviceValidate"


def unreachable(detail: str) -> LoginFailed:
    return LoginFailed("idp_unreachable", _("The login server could not be reached. Try again in a moment."),
                       detail)


def _attributes(node) -> dict:
    """CAS 3.0 <cas:attributes>: one value per name, a list when a name repeats."""
    out: dict = {}
    if node is None:
        return out
    for child in node:
        name = child.tag.replace(NS, "")
        value = (child.text or "").strip()
        if name in out:
            out[name] = (out[name] if isinstance(out[name], list) else [out[name]]) + [value]
        else:
            out[name] = value
    return out


def parse_response(body: bytes | str) -> tuple[str, dict]:
    """(user, attributes) from a serviceValidate answer; LoginFailed for a refusal or unreadable XML."""
    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as exc:
        raise LoginFailed("cas_response", _("The login server sent an answer we cannot read."),
                          str(exc)[:200]) from None
    failure = root.find(f"{NS}authenticationFailure")
    if failure is not None:
        raise LoginFailed("cas_ticket", _("The login server did not confirm this login: the ticket is not valid "
                                          "or was already used."),
                          f"{failure.get('code', '')} {(failure.text or '').strip()}"[:200])
    success = root.find(f"{NS}authenticationSuccess")
    user = success.find(f"{NS}user") if success is not None else None
    if user is None or not (user.text or "").strip():
        raise LoginFailed("cas_response", _("The login server sent an answer we cannot read."), "no cas:user")
    return user.text.strip(), _attributes(success.find(f"{NS}attributes"))


async def validate(provider: Provider, ticket: str, state: str) -> ExternalIdentity:
    """Asks the CAS server whether `ticket` was issued for our service URL of this `state`."""
    if not ticket or len(ticket) > 256 or any(ch.isspace() for ch in ticket):
        raise LoginFailed("cas_ticket", _("The login server did not confirm this login: the ticket is not valid "
                                          "or was already used."), "no ticket")
    params = {"service": service_url(provider, state), "ticket": ticket}
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as http:
            response = await http.get(provider.base + _validate_path(provider), params=params)
    except httpx.HTTPError as exc:
        raise unreachable(f"{type(exc).__name__}: {exc}"[:200]) from None
    if response.status_code != 200:
        raise unreachable(f"HTTP {response.status_code}")
    user, attributes = parse_response(response.content)
    return identity(provider, user, attributes)


def identity(provider: Provider, user: str, attributes: dict) -> ExternalIdentity:
    def one(name: str) -> str:
        value = attributes.get(name) if name else None
        return str(value[0] if isinstance(value, list) and value else value or "").strip()

    return ExternalIdentity(provider.id, user, display_name=one("name") or user, email=one("email"),
                            number=one(provider.number_attribute) or user, attributes=attributes)
