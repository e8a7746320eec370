"""The live stream (IM-03, IM-13): Server-Sent Events of the user's conversations for an open chat page. The
conversation on screen (`c`) gets each new message as a rendered list item (event "msg") and recalls as an
out-of-band replacement; every other conversation moves the unread badge (event "unread"). `after` (or the
browser's Last-Event-ID on a reconnect) resumes with nothing missed; a comment every 25 s keeps proxies open."""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator

from litestar import Request, get
from litestar.response import ServerSentEvent, ServerSentEventMessage
from markupsafe import Markup

from app.core.web import environment, int_param
from app.im import presence, stream
from app.im.routes.h5 import H5

_rendered: OrderedDict[tuple, str] = OrderedDict()  # one render per event per process, not one per member


def message_html(message: dict, *, oob: bool = False) -> str:
    key = (message["id"], message["created_at"], message["recalled_at"] is not None, oob)
    html = _rendered.get(key)
    if html is None:
        # Safe: an autoescaped template of our own renders it.
        html = str(Markup(environment().get_template("im/h5/_message.html").render(m=message, oob=oob)))
        _rendered[key] = html
        while len(_rendered) > 2000:
            _rendered.popitem(last=False)
    return html


@get("/h5/im/stream", guards=H5)
async def live(request: Request) -> ServerSentEvent:
    user = request.user.id
    focus = int_param(request.query_params.get("c"), 0) or 0
    cursor = request.headers.get("last-event-id") or request.query_params.get("after") or "0"

    async def updates() -> AsyncIterator[ServerSentEventMessage]:
        await presence.touch(user)
        async for item in stream.events(user, cursor):
            if item is None:
                await presence.touch(user)
                yield ServerSentEventMessage(comment="ping")
                continue
            event, message, position = item
            if message is None:
                continue
            if event["conversation"] == focus:
                html = message_html(message, oob=event["kind"] == "recall")
                yield ServerSentEventMessage(data=html, event="msg", id=position)
            elif event["kind"] == "message" and message["sender"] != user:  # the page adds one to its badge
                yield ServerSentEventMessage(data=str(event["conversation"]), event="unread", id=position)

    return ServerSentEvent(updates(), retry_duration=2000, headers={"Cache-Control": "no-store",
                                                                     "X-Accel-Buffering": "no"})


ROUTES = [live]
