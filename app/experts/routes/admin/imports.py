"""The experts import's own start page (EXP-11): the template, the upload and the option "create accounts and
mail them"; the rest (mapping, report with every refused row and its reason, commit, rollback) is the core
wizard at /admin/imports/batch/<id>."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.permissions import requires
from app.core.web import actor, form_data, redirect, render
from app.experts import bulk
from app.experts.import_spec import EXPERT_IMPORT

GUARD = [requires("exp.expert.export")]
BASE = "/admin/experts/import"


async def _page(request: Request, error: str = "", create_accounts: bool = False, status: int = 200) -> Response:
    return await render(request, "experts/admin/import.html", spec=EXPERT_IMPORT, error=error,
                        create_accounts=create_accounts, status=status)


@get(BASE, guards=GUARD)
async def import_page(request: Request) -> Response:
    return await _page(request)


@post(BASE, guards=GUARD)
async def import_upload(request: Request) -> Response:
    data = await form_data(request)
    upload, create_accounts = data.get("file"), data.get("create_accounts") == "on"
    if not getattr(upload, "filename", None):
        return await _page(request, _("Choose a file to upload."), create_accounts, 422)
    try:
        batch_id = await bulk.upload(actor(request), upload.filename, await upload.read(), create_accounts)
    except Invalid as exc:
        return await _page(request, exc.message, create_accounts, 422)
    return redirect(request, f"/admin/imports/batch/{batch_id}/mapping")


ROUTES = [import_page, import_upload]
