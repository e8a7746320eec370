"""The official account's desk (IM-06): broadcast to every user, and the feedback chats answered as the account."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, form_data, redirect, render
from app.im import messages, official

GUARD = [requires("im.official")]
BASE = "/admin/im/official"


async def _desk(request: Request, error: str | None = None, text: str = "", status: int = 200) -> Response:
    channel = await official.channel_id()
    return await render(request, "im/admin/official.html", page=await official.feedback_list(
        PageRequest.from_query(request.query_params)), sent=await messages.history(channel, limit=10),
        error=error, text=text, status=status)


@get(BASE, guards=GUARD)
async def desk(request: Request) -> Response:
    return await _desk(request)


@post(f"{BASE}/broadcast", guards=GUARD)
async def broadcast(request: Request) -> Response:
    text = str((await form_data(request)).get("body") or "")
    try:
        await official.broadcast(actor(request), text)
    except Invalid as exc:
        return await _desk(request, exc.message, text, 422)
    return redirect(request, BASE, _("Sent to every user."))


async def _feedback(request: Request, conversation: int, error: str | None = None, text: str = "",
                    status: int = 200) -> Response:
    if not await official.is_feedback_chat(conversation):
        raise NotFoundException()
    history = await messages.history(conversation)
    if history:
        await messages.mark_read(await official.as_account(), conversation, history[-1]["id"])
    return await render(request, "im/admin/feedback.html", conversation=conversation, history=history,
                        account=await official.account_id(), error=error, text=text, status=status)


@get(f"{BASE}/feedback/{{conversation:int}}", guards=GUARD)
async def feedback(request: Request, conversation: int) -> Response:
    return await _feedback(request, conversation)


@post(f"{BASE}/feedback/{{conversation:int}}", guards=GUARD)
async def reply(request: Request, conversation: int) -> Response:
    if not await official.is_feedback_chat(conversation):
        raise NotFoundException()
    text = str((await form_data(request)).get("body") or "")
    try:
        await official.reply(actor(request), conversation, text)
    except Invalid as exc:
        return await _feedback(request, conversation, exc.message, text, 422)
    return redirect(request, f"{BASE}/feedback/{conversation}", _("Reply sent."))


ROUTES = [desk, broadcast, feedback, reply]
