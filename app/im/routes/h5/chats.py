"""Chats on the phone (IM-01, IM-03, IM-04, IM-05): the chat list with unread counts, a conversation page that is
a plain form plus a refresh link without JS (the same history either way), sending, recall, read pointers.
With JS the page listens on /h5/im/stream (htmx SSE extension) and posts with htmx."""
from __future__ import annotations

import secrets

from litestar import Request, Response, get, post
from litestar.datastructures import CacheControlHeader

from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.web import actor, form_data, int_param, redirect, render
from app.im import conversations, governance, messages, official, source_groups, stream
from app.im.routes.h5 import H5, find_user, find_users, member_or_404


@get("/h5/im", guards=H5)
async def chat_list(request: Request) -> Response:
    await official.ensure_member(request.user.id)
    await source_groups.ensure_for_user(request.user.id)
    return await _list_page(request)


async def _list_page(request: Request, error: str | None = None, data: dict | None = None,
                     status: int = 200) -> Response:
    page = await conversations.chat_list(request.user.id, PageRequest.from_query(request.query_params))
    return await render(request, "im/h5/list.html", page=page, share_title=_("Messages"), error=error,
                        data=data or {}, official_user=await official.account_id(), status=status)


@post("/h5/im/direct", guards=H5)
async def start_direct(request: Request) -> Response:
    data = await form_data(request)
    other = await find_user(str(data.get("user") or ""))
    try:
        if other is None:
            raise Invalid("user", _("No user with this account name or mobile number."))
        conversation = await conversations.direct(actor(request), other)
    except Invalid as exc:
        return await _list_page(request, exc.message, data, 422)
    return redirect(request, f"/h5/im/c/{conversation}")


@post("/h5/im/groups", guards=H5)
async def start_group(request: Request) -> Response:
    data = await form_data(request)
    ids = await find_users(str(data.get("members") or ""))
    try:
        conversation = await conversations.create_group(actor(request), str(data.get("title") or ""), ids)
    except (Invalid, Conflict) as exc:
        return await _list_page(request, exc.message if isinstance(exc, Invalid) else str(exc), data, 422)
    return redirect(request, f"/h5/im/c/{conversation}", _("Group created."))


async def chat_page(request: Request, conversation: int, *, text: str = "", error: str | None = None,
                     status: int = 200) -> Response:
    with member_or_404():
        me = await conversations.require_member(actor(request), conversation)
    before = int_param(request.query_params.get("before"), 0)
    history = await messages.history(conversation, before=before)
    newest = history[-1]["id"] if history and not before else 0
    if newest:
        await messages.mark_read(actor(request), conversation, newest)
    own = [m["id"] for m in history if m["sender"] == request.user.id]
    members = await conversations.members(conversation, 50)
    title = me["title"] if me["kind"] == "group" else next(
        (m["name"] for m in members if m["id"] != request.user.id), _("Chat"))
    return await render(request, "im/h5/chat.html", me=me, conversation=conversation, history=history,
                        receipts=await messages.receipts(conversation, request.user.id, own),
                        others=max(0, len(members) - 1), title=title, before=before, text=text, error=error,
                        client_ref=secrets.token_urlsafe(12), after=await stream.page_cursor(request.user.id),
                        unread=await conversations.unread_total(request.user.id), share_title=title,
                        status=status, max_bytes=messages.MAX_BYTES,
                        official_user=await official.account_id())


@get("/h5/im/c/{conversation:int}", guards=H5)
async def chat(request: Request, conversation: int) -> Response:
    return await chat_page(request, conversation)


@post("/h5/im/c/{conversation:int}", guards=H5)
async def send(request: Request, conversation: int) -> Response:
    data = await form_data(request)
    text = str(data.get("body") or "")
    try:
        with member_or_404():
            await messages.send(actor(request), conversation, text, client_ref=str(data.get("client_ref") or ""),
                                kind="signoff" if data.get("signoff") == "1" else "text")
    except Invalid as exc:
        if request.headers.get("hx-request"):
            return await render(request, "im/h5/_send.html", conversation=conversation, text=text,
                                error=exc.message, client_ref=secrets.token_urlsafe(12),
                                max_bytes=messages.MAX_BYTES, status=422)
        return await chat_page(request, conversation, text=text, error=exc.message, status=422)
    if request.headers.get("hx-request"):  # the message itself comes back over the stream
        return await render(request, "im/h5/_send.html", conversation=conversation, text="", error=None,
                            client_ref=secrets.token_urlsafe(12), max_bytes=messages.MAX_BYTES)
    return redirect(request, f"/h5/im/c/{conversation}#im-send")


@post("/h5/im/c/{conversation:int}/read", guards=H5)
async def read(request: Request, conversation: int) -> Response:
    data = await form_data(request)
    with member_or_404():
        await conversations.require_member(actor(request), conversation)
    await messages.mark_read(actor(request), conversation, int_param(data.get("upto"), 0, 2**62) or 0)
    return Response(b"", status_code=204)


@post("/h5/im/m/{message_id:int}/recall", guards=H5)
async def recall(request: Request, message_id: int) -> Response:
    conversation = int_param((await form_data(request)).get("conversation"), 1) or 0
    try:
        with member_or_404():
            await messages.recall(actor(request), message_id)
    except Conflict as exc:
        if request.headers.get("hx-request"):
            return Response({"error": str(exc)}, status_code=409)
        return redirect(request, f"/h5/im/c/{conversation}", str(exc), "error")
    if request.headers.get("hx-request"):
        return Response(b"", status_code=204)
    return redirect(request, f"/h5/im/c/{conversation}", _("Message recalled."))


@post("/h5/im/official/feedback", guards=H5)
async def official_feedback(request: Request) -> Response:
    """"Send feedback" on the official channel: the user's own 1:1 chat with the account."""
    return redirect(request, f"/h5/im/c/{await official.feedback_chat(actor(request))}")


@get("/h5/im/watermark.svg", guards=H5, cache_control=CacheControlHeader(private=True, max_age=3600))
async def watermark(request: Request) -> Response:
    """The chat pages' background (IM-11): the viewer's own name and account, faint and repeated."""
    user = request.user
    return Response(governance.watermark_svg(getattr(user, "name", "") or "", user.username),
                    media_type="image/svg+xml")


ROUTES = [watermark, official_feedback, chat_list, start_direct, start_group, chat, send, read, recall]
