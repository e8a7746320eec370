"""Printables (PDF): the user account sheet (用户账户信息表), scoped, masked, watermarked (SUP-15), audited."""
from __future__ import annotations

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException

from app.core.forms import Invalid
from app.core.pdf import pdf_response
from app.core.permissions import requires
from app.core.web import actor
from app.support import printing


@get("/admin/users/{user_id:int}/sheet.pdf", guards=[requires("sup.user.view")])
async def user_sheet(request: Request, user_id: int) -> Response:
    try:
        filename, data = await printing.user_sheet_pdf(actor(request), user_id)
    except Invalid as exc:
        raise NotFoundException(exc.message) from exc
    return pdf_response(filename, data)


ROUTES: list = [user_sheet]
