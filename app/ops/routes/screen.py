"""The big screen of an event (OPS-02): the check-in count, the newest wall posts and the points tipped, for a
projector at the venue — opened by a signed link (projector PCs are not logged in), sized by the viewport so it
fits 16:9 and odd screens. With JS it updates over SSE (static/js/ops-screen.js swaps in the fragment the
stream sends); without JS a meta refresh reloads it every 15 s."""
from __future__ import annotations

from collections.abc import AsyncIterator

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.response import ServerSentEvent, ServerSentEventMessage
from markupsafe import Markup

from app.core.web import environment, render
from app.ops import events, interaction
from app.ops.access import NotFound

REFRESH_SECONDS = 15


async def _event(event_id: int, token: str) -> dict:
    if interaction.screen_event_id(token) != event_id:
        raise NotFoundException()
    try:
        return await events.get_event(event_id)
    except NotFound:
        raise NotFoundException() from None


def _body(event: dict, data: dict) -> Markup:
    # Safe to mark: an autoescaped template of our own rendered it.
    return Markup(environment().get_template("ops/screen_body.html").render(event=event, data=data))


@get("/screen/events/{event_id:int}")
async def screen(request: Request, event_id: int) -> Response:
    token = request.query_params.get("t") or ""
    event = await _event(event_id, token)
    data = await interaction.screen_data(event_id)
    return await render(request, "ops/screen.html", event=event, body=_body(event, data), token=token,
                        refresh=REFRESH_SECONDS)


@get("/screen/events/{event_id:int}/stream")
async def screen_stream(request: Request, event_id: int) -> ServerSentEvent:
    event = await _event(event_id, request.query_params.get("t") or "")

    async def updates() -> AsyncIterator[ServerSentEventMessage]:
        async for data in interaction.screen_updates(event_id):
            yield ServerSentEventMessage(data=str(_body(event, data)), event="update", id=data["version"])

    return ServerSentEvent(updates(), retry_duration=3000, headers={"Cache-Control": "no-store",
                                                                     "X-Accel-Buffering": "no"})


ROUTES = [screen, screen_stream]
