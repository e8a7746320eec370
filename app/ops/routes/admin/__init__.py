"""The desktop pages of the events, and what they share: the guard (logged in; who may run which event is the
service's check — HQ event managers, an org's admins, a class's liaisons), the event every page under
/admin/ops/events/{id} works on (404 missing, 403 not theirs) and the translation of service errors."""
from __future__ import annotations

from litestar import Request

from app.core.forms import Conflict, Invalid
from app.core.permissions import login_required
from app.core.web import actor
from app.ops import events as event_service  # not `events`: the routes file events.py would shadow it
from app.ops.routes import service_errors

BASE = "/admin/ops/events"
GUARD = [login_required]



async def managed_event(request: Request, event_id: int) -> dict:
    with service_errors():
        return await event_service.managed_event(actor(request), event_id)


def event_ctx(event: dict, tab: str) -> dict:
    return {"event": event, "tab": tab, "statuses": event_service.STATUSES}


__all__ = ["BASE", "GUARD", "Conflict", "Invalid", "event_ctx", "managed_event"]
