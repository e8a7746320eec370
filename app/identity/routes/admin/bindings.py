"""Login bindings for admins (SUP-05, SUP-08): search by user, list (paged, within the admin's data scope by
the user's org), and remove a binding with a reason (audited)."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, form_data, redirect, render
from app.identity import bindings, providers

GUARD = [requires("idn.binding.admin")]
BASE = "/admin/identity/bindings"


@get(BASE, guards=GUARD)
async def binding_list(request: Request) -> Response:
    filters = bindings.BindingFilters.from_query(request.query_params)
    page = await bindings.list_admin(actor(request), filters,
                                     PageRequest.from_query(request.query_params, "-created"))
    return await render(request, "identity/admin/bindings.html", page=page, filters=filters, block="results",
                        provider_options=[(str(p.id), p.name) for p in await providers.list_all()])


async def _binding(request: Request, binding_id: int) -> dict:
    try:
        return await bindings.get_admin(actor(request), binding_id)  # outside the data scope: 403
    except bindings.NotFound:
        raise NotFoundException() from None


@get(f"{BASE}/{{binding_id:int}}/unbind", guards=GUARD)
async def unbind_confirm(request: Request, binding_id: int) -> Response:
    row = await _binding(request, binding_id)
    return await render(request, "identity/admin/unbind.html", binding=row, reason="", error="")


@post(f"{BASE}/{{binding_id:int}}/unbind", guards=GUARD)
async def unbind(request: Request, binding_id: int) -> Response:
    row = await _binding(request, binding_id)
    data = await form_data(request)
    try:
        await bindings.unbind_admin(actor(request), binding_id, str(data.get("reason") or "")[:200])
    except Invalid as exc:
        return await render(request, "identity/admin/unbind.html", binding=row, reason=data.get("reason", ""),
                            error=exc.message, status=422)
    except bindings.NotFound:
        raise NotFoundException() from None
    return redirect(request, BASE, _("The binding of %(user)s to %(provider)s was removed.",
                                     user=row["user_name"] or row["username"], provider=row["provider_name"]))


ROUTES = [binding_list, unbind_confirm, unbind]
