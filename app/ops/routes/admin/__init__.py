"""The desktop pages of the events, and what they share: the guard (logged in; who may run which event is the
service's check — HQ event managers, an org's admins, a class's liaisons), the event every page under
/admin/ops/events/{id} works on (404 missing, 403 not theirs) and the translation of service errors."""
from __future__ import annotations

import contextlib

from litestar import Request
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict, Invalid
from app.core.permissions import PermissionDenied, login_required
from app.core.web import actor
from app.ops import access
from app.ops import events as event_service  # not `events`: the routes file events.py would shadow it

BASE = "/admin/ops/events"
GUARD = [login_required]


@contextlib.contextmanager
def service_errors():
    """access.NotFound → 404, access.NotAllowed → 403; Invalid and Conflict pass to the caller."""
    try:
        yield
    except access.NotFound:
        raise NotFoundException() from None
    except access.NotAllowed:
        raise PermissionDenied() from None


async def managed_event(request: Request, event_id: int) -> dict:
    with service_errors():
        return await event_service.managed_event(actor(request), event_id)


def event_ctx(event: dict, tab: str) -> dict:
    return {"event": event, "tab": tab, "statuses": event_service.STATUSES}


__all__ = ["BASE", "GUARD", "Conflict", "Invalid", "event_ctx", "managed_event", "service_errors"]
