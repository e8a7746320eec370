"""Admin review of experts' approval-gated profile changes (EXP-03): before/after, approve or reject."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict
from app.core.i18n import gettext as _
from app.core.permissions import requires
from app.core.web import actor, form_data, redirect, render
from app.experts import experts, profile_changes

BASE = "/admin/experts/changes"
GUARD = [requires("exp.expert.edit")]


@get(BASE, guards=GUARD)
async def change_list(request: Request) -> Response:
    return await render(request, "experts/admin/changes.html", rows=await profile_changes.pending(), single=None,
                        labels=experts.FIELD_LABELS)


@get(f"{BASE}/{{request_id:int}}", guards=GUARD)
async def change_detail(request: Request, request_id: int) -> Response:
    try:
        row = await profile_changes.get(request_id)
    except profile_changes.NotFound:
        raise NotFoundException() from None
    return await render(request, "experts/admin/changes.html", rows=[row], single=row, labels=experts.FIELD_LABELS)


@post(f"{BASE}/{{request_id:int}}/decide", guards=GUARD)
async def change_decide(request: Request, request_id: int) -> Response:
    data = await form_data(request)
    try:
        await profile_changes.decide(actor(request), request_id, data.get("decision") == "approve",
                                     str(data.get("note") or ""))
    except profile_changes.NotFound:
        raise NotFoundException() from None
    except Conflict as exc:
        return redirect(request, BASE, str(exc), "error")
    return redirect(request, BASE, _("Decision saved."))


ROUTES = [change_list, change_detail, change_decide]
