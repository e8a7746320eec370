"""App clients of the identity token API (SUP-08): create (the secret is shown once, on the answer to the
create form, never again), edit scopes and rate, revoke (every token of the client stops at once)."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, redirect, render
from app.identity import clients

GUARD = [requires("idn.client.admin")]
BASE = "/admin/identity/clients"


def _scope_choices() -> list[tuple[str, str]]:
    return [(code, f"{code}: {label}") for code, label in clients.SCOPES.items()]


def client_form(data: dict, errors: dict | None = None) -> Form:
    return Form([Field("name", L("App name"), required=True, max_length=100),
                 Field("scopes", L("Scopes"), "multiselect", required=True, choices=_scope_choices),
                 Field("rate_per_minute", L("Requests per minute"), "int", min_value=1, max_value=10000,
                       help=L("Calls above this rate are answered 429."))], data=data, errors=errors or {})


async def _client(row_id: int) -> dict:
    try:
        return await clients.get(row_id)
    except clients.NotFound:
        raise NotFoundException() from None


@get(BASE, guards=GUARD)
async def client_list(request: Request) -> Response:
    page = await clients.list_clients(PageRequest.from_query(request.query_params))
    return await render(request, "identity/admin/clients.html", page=page, scopes=clients.SCOPES)


@get(f"{BASE}/new", guards=GUARD)
async def client_new(request: Request) -> Response:
    return await render(request, "identity/admin/client_form.html", form=client_form({"rate_per_minute": "60"}),
                        title=_("New app client"), action=BASE, client=None)


@post(BASE, guards=GUARD)
async def client_create(request: Request) -> Response:
    form = client_form(await form_data(request))
    if form.validate():
        try:
            row_id, client_id, secret = await clients.create(actor(request), name=form.cleaned["name"],
                                                             scopes=form.cleaned["scopes"],
                                                             rate_per_minute=form.cleaned["rate_per_minute"])
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        else:
            # The one time the secret exists in clear: shown on this answer, not cached, not redirected to.
            return await render(request, "identity/admin/client_secret.html", client=await _client(row_id),
                                client_id=client_id, secret=secret, headers={"Cache-Control": "no-store"})
    return await render(request, "identity/admin/client_form.html", form=form, title=_("New app client"),
                        action=BASE, client=None, status=422)


@get(f"{BASE}/{{row_id:int}}", guards=GUARD)
async def client_edit(request: Request, row_id: int) -> Response:
    row = await _client(row_id)
    form = client_form({"name": row["name"], "scopes": row["scopes"], "rate_per_minute": str(row["rate_per_minute"])})
    return await render(request, "identity/admin/client_form.html", form=form, title=_("Edit app client"),
                        action=f"{BASE}/{row_id}", client=row)


@post(f"{BASE}/{{row_id:int}}", guards=GUARD)
async def client_update(request: Request, row_id: int) -> Response:
    row = await _client(row_id)
    form = client_form(await form_data(request))
    if form.validate():
        try:
            await clients.update(actor(request), row_id, name=form.cleaned["name"], scopes=form.cleaned["scopes"],
                                 rate_per_minute=form.cleaned["rate_per_minute"])
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        except Conflict as exc:
            form.add_error("", str(exc))
        else:
            return redirect(request, BASE, _("App client saved."))
    return await render(request, "identity/admin/client_form.html", form=form, title=_("Edit app client"),
                        action=f"{BASE}/{row_id}", client=row, status=422)


@get(f"{BASE}/{{row_id:int}}/revoke", guards=GUARD)
async def client_revoke_confirm(request: Request, row_id: int) -> Response:
    row = await _client(row_id)
    return await confirm_page(request, _("Revoke app client"),
                              _("Revoke “%(name)s”? Its secret and every token it holds stop working at once.",
                                name=row["name"]), f"{BASE}/{row_id}/revoke", BASE)


@post(f"{BASE}/{{row_id:int}}/revoke", guards=GUARD)
async def client_revoke(request: Request, row_id: int) -> Response:
    await _client(row_id)
    await clients.revoke(actor(request), row_id)
    return redirect(request, BASE, _("App client revoked."))


ROUTES = [client_list, client_new, client_create, client_edit, client_update, client_revoke_confirm, client_revoke]
