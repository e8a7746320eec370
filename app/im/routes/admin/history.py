"""Chat history export (IM-10) and the keyword filter (IM-11) on the admin side: pick a group by name and a period,
get its minutes as PDF or Word (`im.history.export`); edit the blocked words (`im.admin`)."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core.exports import attachment
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.pdf import pdf_response
from app.core.permissions import requires
from app.core.web import actor, form_data, int_param, redirect, render
from app.im import keywords, minutes
from app.im.routes.h5 import member_or_404

GUARD = [requires(minutes.PERM)]
ADMIN = [requires("im.admin")]
BASE = "/admin/im/history"


@get(BASE, guards=GUARD)
async def page(request: Request) -> Response:
    params = request.query_params
    data = {k: str(params.get(k) or "") for k in ("q", "group", "from", "to", "fmt")}
    return await _page(request, data)


async def _page(request: Request, data: dict, error: str | None = None, status: int = 200) -> Response:
    groups = await minutes.find_groups(data.get("q", ""))
    chosen = int_param(data.get("group"), 1)
    return await render(request, "im/admin/history.html", groups=groups, data=data, chosen=chosen, error=error,
                        max_messages=minutes.MAX_MESSAGES, can_keywords=request.user.can("im.admin"),
                        status=status)


@get(f"{BASE}/export", guards=GUARD)
async def export(request: Request) -> Response:
    params = request.query_params
    data = {k: str(params.get(k) or "") for k in ("q", "group", "from", "to", "fmt")}
    group = int_param(data["group"], 1)
    if not (group or data["from"] or data["to"]):  # nothing chosen yet: the form
        return await _page(request, data)
    try:
        if not group:
            raise Invalid("group", _("Choose a group."))
        with member_or_404():
            name, content, media = await minutes.export(actor(request), group, data["from"], data["to"],
                                                        data["fmt"] or "pdf", viewer=request.user)
    except Invalid as exc:
        return await _page(request, data, exc.message, 422)
    return pdf_response(name, content, inline=False) if data["fmt"] != "docx" else attachment(name, content, media)


@get(f"{BASE}/keywords", guards=ADMIN)
async def keyword_page(request: Request) -> Response:
    return await render(request, "im/admin/history_keywords.html", text=await keywords.words_text(), error=None,
                        count=len(keywords.parse(await keywords.words_text())))


@post(f"{BASE}/keywords", guards=ADMIN)
async def keyword_save(request: Request) -> Response:
    text = str((await form_data(request)).get("words") or "")
    try:
        words = await keywords.save(actor(request), text)
    except Invalid as exc:
        return await render(request, "im/admin/history_keywords.html", text=text, error=exc.message,
                            count=len(keywords.parse(text)), status=422)
    return redirect(request, f"{BASE}/keywords", _("Blocked words saved: %(n)s.", n=len(words)))


ROUTES = [page, export, keyword_page, keyword_save]
