"""The expert's fees and bank details on the phone (EXP-09): see the fee of an invitation and confirm it with an
e-signature (drawn on the canvas with JS, the typed full name without), the signed confirmation as PDF, and the
bank details form (the account number shown masked only)."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.pdf import pdf_response
from app.core.permissions import login_required
from app.core.web import actor, form_data, redirect, render
from app.experts import bank, fees, invitations
from app.experts.routes.h5.invitations import BASE, my_expert, own_invitation

H5 = [login_required]
BANK = "/h5/expert/bank"


async def _fee_page(request: Request, expert: dict, row: dict, errors: dict | None = None, data: dict | None = None,
                    status: int = 200) -> Response:
    fee = await fees.for_invitation(row["id"])
    if fee is None:
        return redirect(request, f"{BASE}/{row['id']}", _("No fee has been entered for this invitation yet."), "error")
    return await render(request, "experts/h5/fee.html", expert=expert, inv=row, fee=fee, errors=errors or {},
                        data=data or {}, account=await bank.get(expert["id"]), status=status,
                        share_title=_("Fee confirmation"))


@get(f"{BASE}/{{invitation_id:int}}/fee", guards=H5)
async def fee_page(request: Request, invitation_id: int) -> Response:
    expert, row = await own_invitation(request, invitation_id)
    return await _fee_page(request, expert, row)


@post(f"{BASE}/{{invitation_id:int}}/fee", guards=H5)
async def fee_confirm(request: Request, invitation_id: int) -> Response:
    expert, row = await own_invitation(request, invitation_id)
    data = await form_data(request)
    try:
        await fees.confirm(actor(request), invitation_id, data, expert_id=expert["id"])
    except Invalid as exc:
        return await _fee_page(request, expert, row, {exc.field: exc.message}, data, 422)
    except Conflict as exc:
        return await _fee_page(request, expert, row, {"__all__": str(exc)}, data, 409)
    return redirect(request, f"{BASE}/{invitation_id}/fee", _("Fee confirmed. Thank you."))


@get(f"{BASE}/{{invitation_id:int}}/fee/signature.png", guards=H5)
async def fee_signature(request: Request, invitation_id: int) -> Response:
    await own_invitation(request, invitation_id)
    png = fees.signature_png(await fees.for_invitation(invitation_id))
    if png is None:
        raise NotFoundException()
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, no-store"})


@get(f"{BASE}/{{invitation_id:int}}/fee.pdf", guards=H5)
async def fee_pdf(request: Request, invitation_id: int) -> Response:
    await own_invitation(request, invitation_id)
    try:
        return pdf_response(f"fee-{invitation_id}.pdf", await fees.confirmation_pdf(invitation_id))
    except invitations.NotFound:
        raise NotFoundException() from None


async def _bank_page(request: Request, expert: dict, errors: dict | None = None, data: dict | None = None,
                     status: int = 200) -> Response:
    return await render(request, "experts/h5/bank.html", expert=expert, account=await bank.get(expert["id"]),
                        errors=errors or {}, data=data or {}, status=status, share_title=_("My bank details"))


@get(BANK, guards=H5)
async def bank_page(request: Request) -> Response:
    expert = await my_expert(request)
    return await _bank_page(request, expert) if expert else redirect(request, "/h5/expert")


@post(BANK, guards=H5)
async def bank_save(request: Request) -> Response:
    expert = await my_expert(request)
    if expert is None:
        return redirect(request, "/h5/expert")
    data = await form_data(request)
    try:
        await bank.save(actor(request), expert["id"], data)
    except Invalid as exc:
        data.pop("account", None)  # never echo the number back into the page
        return await _bank_page(request, expert, {exc.field: exc.message}, data, 422)
    return redirect(request, BANK, _("Bank details saved."))


ROUTES = [fee_page, fee_confirm, fee_signature, fee_pdf, bank_page, bank_save]
