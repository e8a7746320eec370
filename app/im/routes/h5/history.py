"""History search and the group minutes export on the phone (IM-10): `/h5/im/search` over all of the user's
conversations, `/h5/im/c/{id}/search` within one (someone else's: 404), and `/h5/im/c/{id}/export` for a group's
owner and admins (and `im.history.export` holders). The rules are in app/im/history.py and app/im/minutes.py."""
from __future__ import annotations

from litestar import Request, Response, get

from app.core.exports import attachment
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.pdf import pdf_response
from app.core.web import actor, int_param, render
from app.im import conversations, history, minutes
from app.im.routes.h5 import H5, member_or_404


async def _search(request: Request, conversation: int | None, me: dict | None) -> Response:
    q = str(request.query_params.get("q") or "")
    before = int_param(request.query_params.get("before"), 1, 2**62)
    error, hits, more = None, [], None
    try:
        hits, more = await history.search(actor(request), q, conversation=conversation, before=before)
    except Invalid as exc:
        error = exc.message
    title = (me["title"] if me and me["kind"] != "direct" else _("Chat")) if me else _("Search messages")
    return await render(request, "im/h5/search.html", q=q[:history.MAX_QUERY * 2], hits=hits, more=more,
                        before=before, conversation=conversation, me=me, title=title, error=error,
                        max_query=history.MAX_QUERY, share_title=_("Search messages"), status=422 if error else 200)


@get("/h5/im/search", guards=H5)
async def search(request: Request) -> Response:
    return await _search(request, None, None)


@get("/h5/im/c/{conversation:int}/search", guards=H5)
async def search_in(request: Request, conversation: int) -> Response:
    with member_or_404():
        me = await conversations.require_member(actor(request), conversation)
    return await _search(request, conversation, me)


@get("/h5/im/c/{conversation:int}/export", guards=H5)
async def export(request: Request, conversation: int) -> Response:
    """Without a period: the form; with one: the PDF or Word file."""
    with member_or_404():
        group = await minutes.group_for_export(actor(request), conversation)
    params = request.query_params
    data = {k: str(params.get(k) or "") for k in ("from", "to", "fmt")}
    error = None
    if data["from"] or data["to"]:
        try:
            with member_or_404():
                name, content, media = await minutes.export(actor(request), conversation, data["from"], data["to"],
                                                            data["fmt"] or "pdf", viewer=request.user)
        except Invalid as exc:
            error = exc.message
        else:
            return pdf_response(name, content, inline=False) if data["fmt"] != "docx" else attachment(
                name, content, media)
    return await render(request, "im/h5/search_export.html", group=group, conversation=conversation, data=data,
                        error=error, share_title=group["title"], status=422 if error else 200)


ROUTES = [search, search_in, export]
