"""The org admin on a phone (ORG-09) at /h5/orgs/admin/{id}: join requests to approve or refuse, album photos and
guestbook messages to approve or reject, messages to reply to — each decision behind a confirm page (no JavaScript
needed). Another org's id in the URL is 403 and audited, like on the desktop."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.content import api as content
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.web import actor, form_data, redirect, render
from app.orgs import members, orgs, phone_admin
from app.orgs.routes import content_errors
from app.orgs.routes.h5 import H5, h5_confirm

BASE = "/h5/orgs/admin"


async def _overview(request: Request, org_id: int) -> dict:
    try:
        with content_errors():
            return await phone_admin.overview(actor(request), org_id)
    except orgs.NotFound:
        raise NotFoundException() from None


@get(BASE, guards=H5)
async def admin_orgs(request: Request) -> Response:
    return await render(request, "orgs/h5/admin_orgs.html", orgs_list=await phone_admin.my_orgs(actor(request)),
                        share_title=_("Manage associations"))


@get(f"{BASE}/{{org_id:int}}", guards=H5)
async def admin_home(request: Request, org_id: int) -> Response:
    data = await _overview(request, org_id)
    return await render(request, "orgs/h5/admin.html", **data, share_title=data["org"]["name"])


async def _join_request(request: Request, org_id: int, request_id: int) -> dict:
    try:
        return await members.get_request(actor(request), org_id, request_id)
    except (members.NotFound, orgs.NotFound):
        raise NotFoundException() from None


@get(f"{BASE}/{{org_id:int}}/requests/{{request_id:int}}/{{decision:str}}", guards=H5)
async def request_confirm(request: Request, org_id: int, request_id: int, decision: str) -> Response:
    row = await _join_request(request, org_id, request_id)
    action = f"{BASE}/{org_id}/requests/{request_id}/{decision}"
    if decision == "approve":
        return await h5_confirm(request, _("Approve the request"),
                                _("Let %(name)s join the association?", name=row["name"]), action, f"{BASE}/{org_id}")
    if decision == "refuse":
        return await h5_confirm(request, _("Refuse the request"),
                                _("Refuse the request of %(name)s? They are shown the reason.", name=row["name"]),
                                action, f"{BASE}/{org_id}", reason=True)
    raise NotFoundException()


@post(f"{BASE}/{{org_id:int}}/requests/{{request_id:int}}/{{decision:str}}", guards=H5)
async def request_decide(request: Request, org_id: int, request_id: int, decision: str) -> Response:
    row = await _join_request(request, org_id, request_id)
    if decision not in ("approve", "refuse"):
        raise NotFoundException()
    reason = str((await form_data(request)).get("reason") or "")
    try:
        await members.decide(actor(request), org_id, request_id, decision == "approve", reason)
    except Invalid as exc:
        return await h5_confirm(request, _("Refuse the request"),
                                _("Refuse the request of %(name)s? They are shown the reason.", name=row["name"]),
                                f"{BASE}/{org_id}/requests/{request_id}/refuse", f"{BASE}/{org_id}", reason=True,
                                reason_value=reason, error=exc.message, status=422)
    except Conflict as exc:
        return redirect(request, f"{BASE}/{org_id}", str(exc), "error")
    return redirect(request, f"{BASE}/{org_id}", _("Request approved: a new member.") if decision == "approve" else
                    _("Request refused. The applicant is told the reason."))


async def _item(request: Request, org_id: int, item_kind: str, item_id: int) -> dict:
    try:
        with content_errors():
            return await phone_admin.pending_item(actor(request), org_id, item_kind, item_id)
    except orgs.NotFound:
        raise NotFoundException() from None


def _describe(item_kind: str, item: dict) -> str:
    if item_kind == "photo":
        return _("The photo “%(name)s” in the album %(album)s", name=item.get("caption") or item.get("original_name")
                 or item["id"], album=item.get("album_title", ""))
    if item_kind == "album":
        return _("The album %(title)s", title=item["title"])
    return _("The message of %(name)s: %(text)s", name=item.get("author_name") or "?", text=item["body"][:80])


@get(f"{BASE}/{{org_id:int}}/moderate/{{item_kind:str}}/{{item_id:int}}/{{decision:str}}", guards=H5)
async def moderate_confirm(request: Request, org_id: int, item_kind: str, item_id: int, decision: str) -> Response:
    item = await _item(request, org_id, item_kind, item_id)
    action = f"{BASE}/{org_id}/moderate/{item_kind}/{item_id}/{decision}"
    if decision == "approve":
        return await h5_confirm(request, _("Approve and publish"), _describe(item_kind, item), action,
                                f"{BASE}/{org_id}")
    if decision == "reject":
        return await h5_confirm(request, _("Reject"), _describe(item_kind, item), action, f"{BASE}/{org_id}",
                                reason=True)
    raise NotFoundException()


@post(f"{BASE}/{{org_id:int}}/moderate/{{item_kind:str}}/{{item_id:int}}/{{decision:str}}", guards=H5)
async def moderate(request: Request, org_id: int, item_kind: str, item_id: int, decision: str) -> Response:
    item = await _item(request, org_id, item_kind, item_id)
    if decision not in ("approve", "reject"):
        raise NotFoundException()
    reason = str((await form_data(request)).get("reason") or "")
    try:
        with content_errors():
            await phone_admin.decide(actor(request), org_id, item_kind, item_id, decision == "approve", reason)
    except Invalid as exc:
        return await h5_confirm(request, _("Reject"), _describe(item_kind, item),
                                f"{BASE}/{org_id}/moderate/{item_kind}/{item_id}/reject", f"{BASE}/{org_id}",
                                reason=True, reason_value=reason, error=exc.message, status=422)
    except Conflict as exc:
        return redirect(request, f"{BASE}/{org_id}", str(exc), "error")
    return redirect(request, f"{BASE}/{org_id}", _("Approved and published.") if decision == "approve" else
                    _("Rejected. The author is told the reason."))


async def _reply_page(request: Request, org_id: int, post_id: int, error: str = "", body: str = "",
                      status: int = 200) -> Response:
    data = await _overview(request, org_id)
    with content_errors():
        message = await content.get_post(post_id, actor(request))
    if message["owner"] != ("org", org_id):
        raise NotFoundException()
    return await render(request, "orgs/h5/reply.html", org=data["org"], message=message, error=error, body=body,
                        status=status, share_title=_("Reply"))


@get(f"{BASE}/{{org_id:int}}/guestbook/{{post_id:int}}/reply", guards=H5)
async def reply_form(request: Request, org_id: int, post_id: int) -> Response:
    return await _reply_page(request, org_id, post_id)


@post(f"{BASE}/{{org_id:int}}/guestbook/{{post_id:int}}/reply", guards=H5)
async def reply(request: Request, org_id: int, post_id: int) -> Response:
    body = str((await form_data(request)).get("body") or "")
    try:
        with content_errors():
            await phone_admin.reply(actor(request), org_id, post_id, body)
    except orgs.NotFound:
        raise NotFoundException() from None
    except Invalid as exc:
        return await _reply_page(request, org_id, post_id, exc.message, body, 422)
    return redirect(request, f"{BASE}/{org_id}", _("Reply posted."))


ROUTES = [admin_orgs, admin_home, request_confirm, request_decide, moderate_confirm, moderate, reply_form, reply]
