"""The alumni's phone pages of the events (WeChat H5): the event list and page, signup with the event's form, my
e-tickets, and the door staff's check-in page; what they share: the guard, the translation of service errors,
the phone confirm step and the share card."""
from __future__ import annotations

from litestar import Request, Response
from litestar.exceptions import NotFoundException

from app.core import web
from app.core.permissions import login_required
from app.core.web import actor
from app.ops import access
from app.ops import events as event_service  # not `events`: the routes file events.py would shadow it
from app.ops.routes import service_errors

H5 = [login_required]



def share(event: dict) -> dict:
    """The WeChat share card of an event: its title, its summary (or when and where)."""
    when = f"{event['starts_at'].astimezone():%Y-%m-%d %H:%M}"
    description = event["summary"] or " · ".join(x for x in (when, event["place"]) if x)
    return {"share_title": event["title"], "share_description": description}


async def visible_event(request: Request, event_id: int) -> dict:
    """An event as alumni see it: published or closed ones; drafts and pending ones only for their organisers."""
    with service_errors():
        event = await event_service.get_event(event_id)
    if event["status"] not in ("published", "closed") and not await access.may_manage(actor(request), event):
        raise NotFoundException()
    return event


async def h5_confirm(request: Request, title: str, message: str, action: str, cancel: str) -> Response:
    """The phone confirm step (web.h5_confirm_page), for plain requests; htmx asks with hx-confirm instead."""
    return await web.h5_confirm_page(request, title, message, action, cancel)
