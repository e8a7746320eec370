"""Where a webhook may point (SMS-01): only http(s) addresses whose host resolves to public internet
addresses — no loopback, private, link-local, shared, reserved or multicast address, checked for every
address the name resolves to, when the webhook is saved and again before every push (a DNS answer can
change: the push then connects to the address just checked, not to a second lookup).
Hosts listed in the setting `sms.webhook_allowed_hosts` skip the check (local setups, tests)."""
from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from app.core import settings_store
from app.core.forms import Invalid
from app.core.i18n import gettext as _

SETTING = "sms.webhook_allowed_hosts"
settings_store.DEFAULTS.setdefault(SETTING, "")


@dataclass(frozen=True)
class Target:
    url: str  # what to connect to: the checked address in place of the name, unless the host is allowed
    host: str  # the name as written, for TLS (server name and certificate check)
    host_header: str = ""  # set when the URL was pinned to an address

    def request_options(self) -> dict:
        """httpx keyword arguments that make the pinned URL reach the named site."""
        if not self.host_header:
            return {}
        return {"headers": {"Host": self.host_header}, "extensions": {"sni_hostname": self.host}}


def _hosts(value: str) -> set[str]:
    return {h.strip("[]").rstrip(".").lower() for h in re.split(r"[\s,;]+", value or "") if h}


async def allowed_hosts() -> set[str]:
    return _hosts(str(await settings_store.get(SETTING) or ""))


async def resolve(host: str, port: int) -> list[str]:
    """Every address the name resolves to (tests replace this: the sandbox has no DNS)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:  # ::ffff:127.0.0.1 is loopback too
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def check(url: str) -> Target:
    """The connection target of `url`, or Invalid("url", why) when webhooks may not go there."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Invalid("url", _("Enter an http(s) address.")) from None
    if parts.scheme not in ("http", "https"):
        raise Invalid("url", _("Enter an http(s) address."))
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise Invalid("url", _("Enter an http(s) address."))
    if host in await allowed_hosts():
        return Target(url, host)
    try:
        addresses = [str(ipaddress.ip_address(host))] if _literal(host) else await resolve(host, port)
    except (OSError, UnicodeError):  # socket.gaierror is an OSError; bad IDNA labels a UnicodeError
        addresses = []
    if not addresses:
        raise Invalid("url", _("The host %(host)s cannot be resolved.", host=host))
    for address in addresses:
        if not _public(address):
            raise Invalid("url", _("Webhooks must point to the public internet: %(host)s is %(address)s.",
                                   host=host, address=address))
    pinned = f"[{addresses[0]}]" if ":" in addresses[0] else addresses[0]
    netloc = pinned + (f":{parts.port}" if parts.port else "")
    return Target(urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")), host,
                  parts.netloc.rsplit("@", 1)[-1])
