"""The liaison's phone pages (CLS-02/03/04): decide join and leave requests, approve or reject the class's
stories, posts, albums and photos, and switch moderation on or off. Only the class's liaisons and the
college's admins; anyone else (a liaison of another class included) gets 403, and the refusal is audited."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.classes import classes, roster, space
from app.classes.routes.h5 import H5, class_or_404, h5_confirm
from app.content import api as content
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.web import actor, form_data, redirect, render


@get("/h5/classes/{class_id:int}/manage", guards=H5)
async def manage(request: Request, class_id: int) -> Response:
    await class_or_404(class_id)
    page = await space.manage_page(actor(request), class_id)
    return await render(request, "classes/h5/manage.html", **page, kinds=roster.REQUEST_KINDS,
                        setting_kinds=space.MODERATED_KINDS, share_title=page["klass"]["name"])


async def _request(request_id: int) -> dict:
    try:
        return await roster.get_request(request_id)
    except classes.NotFound:
        raise NotFoundException() from None


@get("/h5/classes/requests/{request_id:int}/decide/{verdict:str}", guards=H5)
async def decide_confirm(request: Request, request_id: int, verdict: str) -> Response:
    if verdict not in ("approve", "reject"):
        raise NotFoundException()
    row = await _request(request_id)
    klass = await class_or_404(row["class_id"])
    await classes.ensure_manage(actor(request), klass, f"decide request {request_id}")
    who, what = row["user_name"] or row["username"], str(roster.REQUEST_KINDS[row["kind"]])
    title = _("Approve the request") if verdict == "approve" else _("Reject the request")
    message = _("%(who)s: %(what)s %(name)s. %(note)s", who=who, what=what, name=klass["name"], note=row["note"])
    return await h5_confirm(request, title, message, f"/h5/classes/requests/{request_id}/decide/{verdict}",
                            f"/h5/classes/{klass['id']}/manage", field="reason" if verdict == "reject" else "",
                            field_label=_("Reason"), required=verdict == "reject")


@post("/h5/classes/requests/{request_id:int}/decide/{verdict:str}", guards=H5)
async def decide(request: Request, request_id: int, verdict: str) -> Response:
    if verdict not in ("approve", "reject"):
        raise NotFoundException()
    row = await _request(request_id)
    reason = (await form_data(request)).get("reason") or ""
    back = f"/h5/classes/{row['class_id']}/manage"
    try:
        await roster.decide(actor(request), request_id, verdict == "approve", reason)
    except Invalid as exc:
        return await h5_confirm(request, _("Reject the request"), "",
                                f"/h5/classes/requests/{request_id}/decide/reject", back, field="reason",
                                field_label=_("Reason"), required=True, error=exc.message, status=422)
    except Conflict as exc:
        return redirect(request, back, str(exc), "error")
    return redirect(request, back, _("Request approved.") if verdict == "approve" else _("Request rejected."))


@get("/h5/classes/{class_id:int}/moderation/{item_kind:str}/{item_id:int}/reject", guards=H5)
async def reject_confirm(request: Request, class_id: int, item_kind: str, item_id: int) -> Response:
    await class_or_404(class_id)
    await classes.ensure_manage(actor(request), await classes.get(class_id), f"moderate {item_kind} {item_id}")
    return await h5_confirm(request, _("Reject"), _("The author is shown your reason."),
                            f"/h5/classes/{class_id}/moderation/{item_kind}/{item_id}/reject",
                            f"/h5/classes/{class_id}/manage", field="reason", field_label=_("Reason"), required=True)


async def _moderate(request: Request, class_id: int, item_kind: str, item_id: int, approve: bool) -> Response:
    await class_or_404(class_id)
    reason = "" if approve else (await form_data(request)).get("reason") or ""
    back = f"/h5/classes/{class_id}/manage"
    try:
        await space.moderate(actor(request), class_id, item_kind, item_id, approve, reason)
    except (content.NotFound, classes.NotFound):
        raise NotFoundException() from None
    except Invalid as exc:
        return await h5_confirm(request, _("Reject"), _("The author is shown your reason."),
                                f"/h5/classes/{class_id}/moderation/{item_kind}/{item_id}/reject", back,
                                field="reason", field_label=_("Reason"), required=True, error=exc.message, status=422)
    except Conflict as exc:
        return redirect(request, back, str(exc), "error")
    return redirect(request, back, _("Approved and published.") if approve else _("Rejected."))


@post("/h5/classes/{class_id:int}/moderation/{item_kind:str}/{item_id:int}/approve", guards=H5)
async def approve_item(request: Request, class_id: int, item_kind: str, item_id: int) -> Response:
    return await _moderate(request, class_id, item_kind, item_id, True)


@post("/h5/classes/{class_id:int}/moderation/{item_kind:str}/{item_id:int}/reject", guards=H5)
async def reject_item(request: Request, class_id: int, item_kind: str, item_id: int) -> Response:
    return await _moderate(request, class_id, item_kind, item_id, False)


@post("/h5/classes/{class_id:int}/moderation-settings", guards=H5)
async def settings(request: Request, class_id: int) -> Response:
    await class_or_404(class_id)
    data = await form_data(request)
    await space.save_moderation(actor(request), class_id, {k: data.get(k) == "on" for k in space.MODERATED_KINDS})
    back = str(data.get("back") or "")
    target = back if back in (f"/admin/classes/{class_id}", f"/h5/classes/{class_id}/manage") else \
        f"/h5/classes/{class_id}/manage"
    return redirect(request, target, _("Moderation settings saved."))


ROUTES = [manage, decide_confirm, decide, reject_confirm, approve_item, reject_item, settings]
