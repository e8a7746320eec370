"""Certificates (EXP-08): the expert downloads their own PDF, an admin any expert's; the QR's public page."""
from __future__ import annotations

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException

from app.core.i18n import gettext as _
from app.core.pdf import pdf_response
from app.core.permissions import login_required, requires
from app.core.web import redirect, render
from app.experts import certificates, experts


@get("/h5/expert/certificate.pdf", guards=[login_required])
async def own_certificate(request: Request) -> Response:
    expert = await experts.for_user(request.user.id)
    if expert is None or expert["status"] != "formal":
        return redirect(request, "/h5/expert", _("Only formal experts have a certificate."), "error")
    return pdf_response(f"{expert['number']}.pdf", await certificates.certificate_pdf(expert))


@get("/admin/experts/{expert_id:int}/certificate.pdf", guards=[requires("exp.expert.view")])
async def admin_certificate(request: Request, expert_id: int) -> Response:
    try:
        expert = await experts.get(expert_id)
    except experts.NotFound:
        raise NotFoundException() from None
    return pdf_response(f"{expert['number']}.pdf", await certificates.certificate_pdf(expert))


@get("/experts/verify")
async def verify(request: Request) -> Response:
    cert = await certificates.verify(request.query_params.get("t", ""))
    return await render(request, "experts/h5/verify.html", cert=cert, status=200 if cert else 404,
                        share_title=_("Certificate verification"))


ROUTES = [own_certificate, admin_certificate, verify]
