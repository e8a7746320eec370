"""The door on a phone (OPS-02): staff with `ops.checkin` (or the event's organisers) see the counts, type a
ticket's code (no camera, no JS: a hardware scanner types into the same field) and get the result in big
letters; with JS (static/js/ops-checkin.js) the phone's camera reads the QR (BarcodeDetector) and scans made
while the network is gone wait in localStorage and are sent to /sync later — answered from the log, never
counted twice."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.datastructures import ResponseHeader

from app.core.i18n import gettext as _
from app.core.permissions import PermissionDenied
from app.core.web import actor, form_data, render
from app.ops import access, checkin
from app.ops.checkin import Outcome
from app.ops.routes import service_errors
from app.ops.routes.h5 import H5, visible_event

# The site forbids the camera everywhere (Permissions-Policy); the door page needs it for the QR scanner.
CAMERA = [ResponseHeader(name="Permissions-Policy", value="camera=(self), microphone=(), geolocation=()")]
MAX_BODY_SCANS = checkin.MAX_SYNC


async def _door(request: Request, event_id: int) -> dict:
    event = await visible_event(request, event_id)
    if not await access.may_check_in(actor(request), event):
        raise PermissionDenied()
    return event


async def _page(request: Request, event: dict, outcome: Outcome | None = None, code: str = "") -> Response:
    return await render(request, "ops/h5/checkin.html", event=event, outcome=outcome, code=code,
                        counts=await checkin.door_counts(event["id"]), recent=await checkin.recent(event["id"]),
                        results=checkin.RESULTS, share_title=_("Check-in: %(title)s", title=event["title"]),
                        block="door")


@get("/h5/checkin/{event_id:int}", guards=H5, response_headers=CAMERA)
async def door(request: Request, event_id: int) -> Response:
    return await _page(request, await _door(request, event_id))


@post("/h5/checkin/{event_id:int}", guards=H5, response_headers=CAMERA)
async def door_check_in(request: Request, event_id: int) -> Response:
    event = await _door(request, event_id)
    data = await form_data(request)
    raw = str(data.get("code") or "")[:2000]
    with service_errors():
        outcome = await checkin.check_in(actor(request), event_id, raw, method="code")
    return await _page(request, event, outcome)


@post("/h5/checkin/{event_id:int}/sync", guards=H5)
async def door_sync(request: Request, event_id: int) -> Response:
    """JSON in and out for the page's script: [{code, ref, at, method?}] (or {"scans": [...]}) → one result each
    and the door's counts."""
    await _door(request, event_id)
    try:
        body = await request.json()
    except Exception:
        body = None
    scans = body.get("scans") if isinstance(body, dict) else body
    if not isinstance(scans, list) or not all(isinstance(s, dict) for s in scans):
        return Response({"error": _("Send a list of scans.")}, status_code=400)
    with service_errors():
        results = await checkin.sync(actor(request), event_id, scans[:MAX_BODY_SCANS])
    return Response({"results": results, "counts": await checkin.door_counts(event_id)})


ROUTES = [door, door_check_in, door_sync]
