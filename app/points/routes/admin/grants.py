"""Manual grant/deduct (MALL-04): form → confirmation page (users, balance before → after) → apply.
Bad input or a deduct that would overdraw comes back to the form (422) with the message and every
value kept."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.permissions import requires
from app.core.web import actor, form_data, redirect, render
from app.points import api, grants

GUARD = [requires("pts.grant")]
BASE = "/admin/points/grant"


async def _form_page(request: Request, form, status: int = 200) -> Response:
    return await render(request, "points/admin/grant.html", form=form, status=status)


@get(BASE, guards=GUARD)
async def grant_new(request: Request) -> Response:
    users = request.query_params.get("users") or ""
    return await _form_page(request, grants.grant_form({"mode": "grant", "users": users}))


async def _plan(request: Request):
    """The submitted form and its plan (users, balances after); plan None when the form has errors."""
    form = grants.grant_form(await form_data(request))
    if not form.validate():
        return form, None
    try:
        return form, await grants.plan(actor(request), form.cleaned, str(form.data.get("token") or ""))
    except Invalid as exc:
        form.add_error(exc.field, exc.message)
        return form, None


@post(f"{BASE}/preview", guards=GUARD)
async def grant_preview(request: Request) -> Response:
    form, plan = await _plan(request)
    if plan is None:
        return await _form_page(request, form, status=422)
    return await render(request, "points/admin/grant_confirm.html", form=form, plan=plan, modes=grants.MODES)


@post(f"{BASE}/edit", guards=GUARD)
async def grant_edit(request: Request) -> Response:
    """"Back and change" from the confirmation: the form again with everything that was typed."""
    return await _form_page(request, grants.grant_form(await form_data(request)))


@post(f"{BASE}/apply", guards=GUARD)
async def grant_apply(request: Request) -> Response:
    form, plan = await _plan(request)
    if plan is None:
        return await _form_page(request, form, status=422)
    try:
        count = await grants.apply(actor(request), plan)
    except (Invalid, api.InsufficientPoints) as exc:
        form.add_error(getattr(exc, "field", "amount"), getattr(exc, "message", str(exc)))
        return await _form_page(request, form, status=422)
    if plan.mode == "grant":
        message = _("%(amount)s points granted to %(n)s user(s).", amount=plan.amount, n=count)
    else:
        message = _("%(amount)s points deducted from %(n)s user(s).", amount=plan.amount, n=count)
    if count == 1:
        target = f"/admin/points/ledger/users/{plan.users[0]['id']}"
    else:
        target = "/admin/points/ledger?kind=" + plan.mode
    return redirect(request, target, message)


ROUTES = [grant_new, grant_preview, grant_edit, grant_apply]
