"""User inbox (SUP-07): list with unread/read filter and paging, open (marks read), mark read/unread."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import login_required
from app.core.web import form_data, redirect, render, safe_next
from app.support import inbox


@get("/admin/inbox", guards=[login_required])
async def inbox_list(request: Request) -> Response:
    status = request.query_params.get("status") or ""
    status = status if status in inbox.STATUSES else ""
    page = await inbox.list_messages(request.scope["user"].id, status,
                                     PageRequest.from_query(request.query_params))
    return await render(request, "support/admin/inbox.html", page=page, block="results")


@get("/admin/inbox/{message_id:int}", guards=[login_required])
async def inbox_open(request: Request, message_id: int) -> Response:
    message = await inbox.open_message(request.scope["user"].id, message_id)
    if message is None:
        raise NotFoundException()
    return await render(request, "support/admin/inbox_message.html", message=message,
                        link=inbox.safe_link(message["url"]))


async def _mark(request: Request, message_id: int, read: bool) -> Response:
    data = await form_data(request)
    if not await inbox.mark(request.scope["user"].id, message_id, read):
        raise NotFoundException()
    return redirect(request, safe_next(data.get("next"), "/admin/inbox"),
                    _("Marked as read.") if read else _("Marked as unread."))


@post("/admin/inbox/{message_id:int}/read", guards=[login_required])
async def inbox_mark_read(request: Request, message_id: int) -> Response:
    return await _mark(request, message_id, True)


@post("/admin/inbox/{message_id:int}/unread", guards=[login_required])
async def inbox_mark_unread(request: Request, message_id: int) -> Response:
    return await _mark(request, message_id, False)


@post("/admin/inbox/read-all", guards=[login_required])
async def inbox_mark_all_read(request: Request) -> Response:
    data = await form_data(request)
    count = await inbox.mark_all_read(request.scope["user"].id)
    return redirect(request, safe_next(data.get("next"), "/admin/inbox"),
                    _("%(n)s messages marked as read.", n=count))


ROUTES = [inbox_list, inbox_open, inbox_mark_read, inbox_mark_unread, inbox_mark_all_read]
