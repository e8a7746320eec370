"""Unsubscribing from mass messages (OPS-01) on a phone: the signed link at the end of every campaign email and
SMS opens a page saying what will stop (this channel, or every channel) with a confirm button (a POST). Anonymous:
the expiring signed token is the proof; later campaigns skip the user or address."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core.i18n import gettext as _
from app.core.security import TokenExpired, TokenInvalid
from app.core.web import actor, form_data, render
from app.ops import campaigns

BASE = "/h5/unsubscribe"


async def _refused(request: Request, exc: Exception) -> Response:
    message = (_("This unsubscribe link has expired. Use the link in a newer message.")
               if isinstance(exc, TokenExpired) else _("This unsubscribe link is not valid."))
    return await render(request, "ops/h5/unsubscribe.html", target=None, error=message, token="",
                        channels=campaigns.CHANNELS, share_title=_("Unsubscribe"),
                        status=410 if isinstance(exc, TokenExpired) else 404)


@get(f"{BASE}/{{token:str}}")
async def unsubscribe_page(request: Request, token: str) -> Response:
    try:
        target = await campaigns.unsubscription_target(token)
    except (TokenInvalid, TokenExpired) as exc:
        return await _refused(request, exc)
    return await render(request, "ops/h5/unsubscribe.html", target=target, error="", token=token,
                        channels=campaigns.CHANNELS, share_title=_("Unsubscribe"))


@post(f"{BASE}/{{token:str}}")
async def unsubscribe_confirm(request: Request, token: str) -> Response:
    data = await form_data(request)
    try:
        target = await campaigns.unsubscribe(actor(request), token, everything=data.get("scope") == "all")
    except (TokenInvalid, TokenExpired) as exc:
        return await _refused(request, exc)
    return await render(request, "ops/h5/unsubscribe_done.html", target=target, everything=data.get("scope") == "all",
                        channels=campaigns.CHANNELS, share_title=_("Unsubscribe"))


ROUTES = [unsubscribe_page, unsubscribe_confirm]
