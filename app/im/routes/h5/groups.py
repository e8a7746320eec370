"""A group's page on the phone (IM-02): members and roles, rename, add people, appoint admins, remove, mute,
leave (behind a confirm step). Every action is checked in conversations.py, not here."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.web import actor, form_data, h5_confirm_page, int_param, redirect, render
from app.im import conversations
from app.im.routes.h5 import H5, find_users, member_or_404


async def _page(request: Request, conversation: int, error: str | None = None, status: int = 200) -> Response:
    with member_or_404():
        me = await conversations.require_member(actor(request), conversation)
    return await render(request, "im/h5/group.html", me=me, conversation=conversation, error=error, status=status,
                        members=await conversations.members(conversation, 1000), share_title=me["title"] or _("Chat"))


@get("/h5/im/c/{conversation:int}/info", guards=H5)
async def info(request: Request, conversation: int) -> Response:
    return await _page(request, conversation)


async def _act(request: Request, conversation: int, action, message: str) -> Response:
    try:
        with member_or_404():
            await action()
    except (Invalid, Conflict) as exc:
        return await _page(request, conversation, exc.message if isinstance(exc, Invalid) else str(exc), 422)
    return redirect(request, f"/h5/im/c/{conversation}/info", message)


@post("/h5/im/c/{conversation:int}/rename", guards=H5)
async def rename(request: Request, conversation: int) -> Response:
    title = str((await form_data(request)).get("title") or "")
    return await _act(request, conversation, lambda: conversations.rename(actor(request), conversation, title),
                      _("Saved."))


@post("/h5/im/c/{conversation:int}/add", guards=H5)
async def add(request: Request, conversation: int) -> Response:
    users = await find_users(str((await form_data(request)).get("members") or ""))
    return await _act(request, conversation, lambda: conversations.add_members(actor(request), conversation, users),
                      _("Members added."))


@post("/h5/im/c/{conversation:int}/role", guards=H5)
async def role(request: Request, conversation: int) -> Response:
    data = await form_data(request)
    user, value = int_param(data.get("user"), 1) or 0, str(data.get("role") or "")
    return await _act(request, conversation, lambda: conversations.set_role(actor(request), conversation, user, value),
                      _("Saved."))


@post("/h5/im/c/{conversation:int}/remove", guards=H5)
async def remove(request: Request, conversation: int) -> Response:
    user = int_param((await form_data(request)).get("user"), 1) or 0
    return await _act(request, conversation,
                      lambda: conversations.remove_member(actor(request), conversation, user), _("Removed."))


@post("/h5/im/c/{conversation:int}/mute", guards=H5)
async def mute(request: Request, conversation: int) -> Response:
    muted = (await form_data(request)).get("muted") == "1"
    return await _act(request, conversation, lambda: conversations.set_muted(actor(request), conversation, muted),
                      _("Muted.") if muted else _("Notifications on."))


@get("/h5/im/c/{conversation:int}/leave", guards=H5)
async def leave_confirm(request: Request, conversation: int) -> Response:
    with member_or_404():
        me = await conversations.require_member(actor(request), conversation)
    return await h5_confirm_page(request, _("Leave the group?"),
                                 _("You will no longer receive the messages of “%(title)s”.", title=me["title"]),
                                 f"/h5/im/c/{conversation}/leave", f"/h5/im/c/{conversation}/info")


@post("/h5/im/c/{conversation:int}/leave", guards=H5)
async def leave(request: Request, conversation: int) -> Response:
    try:
        with member_or_404():
            await conversations.remove_member(actor(request), conversation, request.user.id)
    except (Invalid, Conflict) as exc:
        return await _page(request, conversation, exc.message if isinstance(exc, Invalid) else str(exc), 422)
    return redirect(request, "/h5/im", _("You left the group."))


ROUTES = [info, rename, add, role, remove, mute, leave_confirm, leave]
