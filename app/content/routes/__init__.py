"""The content platform's pages and file routes, and what they share: turning the services' NotFound /
NotAllowed into 404 / 403, and the moderation queue's routes (the desktop and the phone queue are the same
four routes under another path and templates)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.content import moderation, owners
from app.content.owners import NotAllowed, NotFound
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import PermissionDenied, login_required
from app.core.web import actor, form_data, redirect, render, safe_next


@contextmanager
def http_errors() -> Iterator[None]:
    """`with http_errors(): await service(...)` — a missing item is 404, an owner's refusal 403."""
    try:
        yield
    except NotFound:
        raise NotFoundException() from None
    except NotAllowed:
        raise PermissionDenied() from None


async def moderator(request: Request) -> Actor:
    """The acting user, if any owner's hooks (or content.moderate) let them moderate something; else 403."""
    who = actor(request)
    if not await owners.moderates_any(who):
        raise PermissionDenied()
    return who


def moderation_routes(base: str, queue_template: str, reject_template: str, **page: str) -> list:
    """Queue, approve, reject confirmation and reject under `base`. Approve is one button; reject goes through
    a confirmation page asking the reason, which the author is shown. No JavaScript needed. `page`: extra
    template values (block= for the desktop list's htmx fragment, share_title= on the phone)."""
    guard = [login_required]
    block = page.pop("block", None)

    @get(base, guards=guard)
    async def queue(request: Request) -> Response:
        who = await moderator(request)
        kind = request.query_params.get("kind") or ""
        kind = kind if kind in moderation.TABLES else ""
        found = await moderation.queue(who, kind=kind or None, req=PageRequest.from_query(request.query_params))
        return await render(request, queue_template, page=found, kind=kind, counts=await moderation.counts(who),
                            labels=moderation.ITEM_LABELS, block=block, **page)

    @post(f"{base}/{{item_kind:str}}/{{item_id:int}}/approve", guards=guard)
    async def approve(request: Request, item_kind: str, item_id: int) -> Response:
        data = await form_data(request)
        back = safe_next(data.get("next"), base)
        try:
            with http_errors():
                await moderation.approve(actor(request), item_kind, item_id)
        except Conflict as exc:
            return redirect(request, back, str(exc), "error")
        return redirect(request, back, _("Approved and published."))

    async def confirm(request: Request, item: dict, back: str, reason: str = "", error: str = "",
                      status: int = 200) -> Response:
        return await render(request, reject_template, item=item, back=back, reason=reason, error=error,
                            status=status, **page)

    @get(f"{base}/{{item_kind:str}}/{{item_id:int}}/reject", guards=guard)
    async def reject_confirm(request: Request, item_kind: str, item_id: int) -> Response:
        who = await moderator(request)
        with http_errors():
            item = await moderation.item_for_decision(who, item_kind, item_id)
        return await confirm(request, item, safe_next(request.query_params.get("next"), base))

    @post(f"{base}/{{item_kind:str}}/{{item_id:int}}/reject", guards=guard)
    async def reject(request: Request, item_kind: str, item_id: int) -> Response:
        who = await moderator(request)
        data = await form_data(request)
        back = safe_next(data.get("next"), base)
        reason = data.get("reason") if isinstance(data.get("reason"), str) else ""
        try:
            with http_errors():
                await moderation.reject(who, item_kind, item_id, reason)
        except Invalid as exc:
            with http_errors():
                item = await moderation.item_for_decision(who, item_kind, item_id)
            return await confirm(request, item, back, reason, exc.message, 422)
        except Conflict as exc:
            return redirect(request, back, str(exc), "error")
        return redirect(request, back, _("Rejected. The author is told the reason."))

    return [queue, approve, reject_confirm, reject]
