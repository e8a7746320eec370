"""The review office's invitations and fees (EXP-04, EXP-09; menu /admin/experts/invitations): the list with
filters and paging, a new invitation (pick the expert by id / phone / number / name, project, department from the
org tree, opening time, place, files), cancel after a confirmation page, mark attended, and the fee entry."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, int_param, redirect, render
from app.experts import bank, fees, invitations
from app.experts.routes.h5.invitations import file_response
from app.support import org_tree

BASE = "/admin/experts/invitations"
MANAGE = [requires("exp.invite.manage")]


def invite_form(data: dict, errors: dict | None = None) -> Form:
    return Form([Field("expert", L("Expert (id)"), "int", required=True, min_value=1),
                 Field("project_title", L("Project"), required=True, max_length=200),
                 Field("project_ref", L("Project reference"), max_length=64,
                       help=L("Leave empty for a project entered by hand.")),
                 Field("opens_at", L("Opens at"), "datetime", required=True),
                 Field("place", L("Place"), max_length=200)], data=data, errors=errors or {})


def fee_form(data: dict, errors: dict | None = None) -> Form:
    return Form([Field("workload", L("Workload"), "textarea", required=True, max_length=1000),
                 Field("amount", L("Amount (yuan)"), required=True, max_length=12)], data=data, errors=errors or {})


async def _invitation(request: Request, invitation_id: int) -> dict:
    try:
        return await invitations.get(invitation_id, scope=actor(request).scope)
    except invitations.NotFound:
        raise NotFoundException() from None


@get(BASE, guards=MANAGE)
async def invitation_list(request: Request) -> Response:
    filters = invitations.InvitationFilters.from_query(request.query_params)
    page = await invitations.search(filters, PageRequest.from_query(request.query_params), actor(request).scope)
    return await render(request, "experts/admin/invitations.html", page=page, filters=filters,
                        statuses=invitations.STATUS_LABELS, block="results")


async def _new_page(request: Request, data: dict, errors: dict | None = None, status: int = 200) -> Response:
    query = str(request.query_params.get("q") or "").strip()
    return await render(request, "experts/admin/invitation_form.html", form=invite_form(data, errors), q=query,
                        matches=await invitations.find_expert(query),
                        departments=await org_tree.flat(actor(request).scope), data=data, errors=errors or {},
                        status=status)


@get(f"{BASE}/new", guards=MANAGE)
async def invitation_new(request: Request) -> Response:
    return await _new_page(request, {"expert": request.query_params.get("expert") or ""})


@post(BASE, guards=MANAGE)
async def invitation_create(request: Request) -> Response:
    data = await form_data(request)
    uploads = data.pop("files", None)
    uploads = [u for u in (uploads if isinstance(uploads, list) else [uploads]) if getattr(u, "filename", None)]
    form = invite_form(data)
    if not form.validate():
        return await _new_page(request, data, form.errors, 422)
    department = int_param(data.get("department"), 1)
    try:
        files = [(u.filename, await u.read()) for u in uploads]
        invitation_id = await invitations.invite(
            actor(request), form.cleaned["expert"], form.cleaned["project_ref"] or "", form.cleaned["project_title"],
            form.cleaned["opens_at"], department, form.cleaned["place"] or "", files)
    except Invalid as exc:
        return await _new_page(request, data, {**form.errors, exc.field or "__all__": exc.message}, 422)
    return redirect(request, f"{BASE}/{invitation_id}", _("Invitation sent."))


async def _detail(request: Request, row: dict, fee_data: dict | None = None, errors: dict | None = None,
                  status: int = 200) -> Response:
    fee = await fees.for_invitation(row["id"])
    data = fee_data if fee_data is not None else (
        {"workload": fee["workload"], "amount": f"{fee['amount_cents'] / 100:.2f}"} if fee else {})
    return await render(request, "experts/admin/invitation.html", inv=row, fee=fee, form=fee_form(data, errors),
                        account=await bank.get(row["expert"]), errors=errors or {}, status=status)


@get(f"{BASE}/{{invitation_id:int}}", guards=MANAGE)
async def invitation_detail(request: Request, invitation_id: int) -> Response:
    return await _detail(request, await _invitation(request, invitation_id))


@get(f"{BASE}/{{invitation_id:int}}/cancel", guards=MANAGE)
async def cancel_confirm(request: Request, invitation_id: int) -> Response:
    row = await _invitation(request, invitation_id)
    return await confirm_page(request, _("Cancel the invitation"),
                              _("%(expert)s will no longer take part in %(project)s.", expert=row["expert_name"],
                                project=row["project_title"]),
                              f"{BASE}/{invitation_id}/cancel", f"{BASE}/{invitation_id}")


@post(f"{BASE}/{{invitation_id:int}}/cancel", guards=MANAGE)
async def cancel_save(request: Request, invitation_id: int) -> Response:
    await _invitation(request, invitation_id)
    try:
        await invitations.cancel(actor(request), invitation_id)
    except Conflict as exc:
        return redirect(request, f"{BASE}/{invitation_id}", str(exc), "error")
    return redirect(request, f"{BASE}/{invitation_id}", _("Invitation cancelled."))


@post(f"{BASE}/{{invitation_id:int}}/attended", guards=MANAGE)
async def attended_save(request: Request, invitation_id: int) -> Response:
    await _invitation(request, invitation_id)
    try:
        await invitations.mark_attended(actor(request), invitation_id)
    except Conflict as exc:
        return redirect(request, f"{BASE}/{invitation_id}", str(exc), "error")
    return redirect(request, f"{BASE}/{invitation_id}", _("Marked as attended."))


@post(f"{BASE}/{{invitation_id:int}}/fee", guards=MANAGE)
async def fee_save(request: Request, invitation_id: int) -> Response:
    row = await _invitation(request, invitation_id)
    data = await form_data(request)
    form = fee_form(data)
    if not form.validate():
        return await _detail(request, row, data, form.errors, 422)
    try:
        await fees.set_fee(actor(request), invitation_id, form.cleaned["workload"], form.cleaned["amount"])
    except Invalid as exc:
        return await _detail(request, row, data, {exc.field or "__all__": exc.message}, 422)
    except Conflict as exc:
        return await _detail(request, row, data, {"__all__": str(exc)}, 409)
    return redirect(request, f"{BASE}/{invitation_id}", _("Fee saved: the expert is asked to confirm it."))


@get(f"{BASE}/{{invitation_id:int}}/files/{{index:int}}", guards=MANAGE)
async def invitation_file(request: Request, invitation_id: int, index: int) -> Response:
    row = await _invitation(request, invitation_id)
    try:
        item, data, content_type, inline = invitations.file_of(row, index)
    except invitations.NotFound:
        raise NotFoundException() from None
    return file_response(item, data, content_type, inline, request.query_params.get("download") == "1")


@get(f"{BASE}/{{invitation_id:int}}/signature.png", guards=MANAGE)
async def fee_signature(request: Request, invitation_id: int) -> Response:
    await _invitation(request, invitation_id)
    png = fees.signature_png(await fees.for_invitation(invitation_id))
    if png is None:
        raise NotFoundException()
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, no-store"})


@get(f"{BASE}/{{invitation_id:int}}/fee.pdf", guards=MANAGE)
async def fee_pdf(request: Request, invitation_id: int) -> Response:
    from app.core.pdf import pdf_response

    await _invitation(request, invitation_id)
    try:
        return pdf_response(f"fee-{invitation_id}.pdf", await fees.confirmation_pdf(invitation_id))
    except invitations.NotFound:
        raise NotFoundException() from None


ROUTES = [invitation_list, invitation_new, invitation_create, invitation_detail, cancel_confirm, cancel_save,
          attended_save, fee_save, invitation_file, fee_signature, fee_pdf]
