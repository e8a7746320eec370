"""The moderation queue on the desktop (CLS-04, ORG-06): every pending article, post, album, photo and comment
of the owners the user moderates (the owners' hooks; content.moderate: all of them). Approve is one button;
reject goes through a confirmation page asking the reason, which the author is shown. No JavaScript needed."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.content import moderation
from app.content.routes import http_errors, moderator
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import login_required
from app.core.web import actor, form_data, redirect, render, safe_next

BASE = "/admin/content/moderation"
GUARD = [login_required]


@get(BASE, guards=GUARD)
async def queue(request: Request) -> Response:
    who = await moderator(request)
    kind = request.query_params.get("kind") or ""
    kind = kind if kind in moderation.TABLES else ""
    page = await moderation.queue(who, kind=kind or None, req=PageRequest.from_query(request.query_params))
    return await render(request, "content/admin/moderation.html", page=page, kind=kind,
                        counts=await moderation.counts(who), labels=moderation.ITEM_LABELS, block="results")


@post(f"{BASE}/{{item_kind:str}}/{{item_id:int}}/approve", guards=GUARD)
async def approve(request: Request, item_kind: str, item_id: int) -> Response:
    data = await form_data(request)
    back = safe_next(data.get("next"), BASE)
    try:
        with http_errors():
            await moderation.approve(actor(request), item_kind, item_id)
    except Conflict as exc:
        return redirect(request, back, str(exc), "error")
    return redirect(request, back, _("Approved and published."))


async def _confirm(request: Request, item: dict, back: str, reason: str = "", error: str = "",
                   status: int = 200) -> Response:
    return await render(request, "content/admin/reject.html", item=item, back=back, reason=reason, error=error,
                        status=status)


@get(f"{BASE}/{{item_kind:str}}/{{item_id:int}}/reject", guards=GUARD)
async def reject_confirm(request: Request, item_kind: str, item_id: int) -> Response:
    who = await moderator(request)
    with http_errors():
        item = await moderation.item_for_decision(who, item_kind, item_id)
    return await _confirm(request, item, safe_next(request.query_params.get("next"), BASE))


@post(f"{BASE}/{{item_kind:str}}/{{item_id:int}}/reject", guards=GUARD)
async def reject(request: Request, item_kind: str, item_id: int) -> Response:
    who = await moderator(request)
    data = await form_data(request)
    back = safe_next(data.get("next"), BASE)
    reason = data.get("reason") if isinstance(data.get("reason"), str) else ""
    try:
        with http_errors():
            await moderation.reject(who, item_kind, item_id, reason)
    except Invalid as exc:
        with http_errors():
            item = await moderation.item_for_decision(who, item_kind, item_id)
        return await _confirm(request, item, back, reason, exc.message, 422)
    except Conflict as exc:
        return redirect(request, back, str(exc), "error")
    return redirect(request, back, _("Rejected. The author is told the reason."))


ROUTES = [queue, approve, reject_confirm, reject]
