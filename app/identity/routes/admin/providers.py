"""Login providers (SUP-05, SUP-08): the school CAS / OIDC servers and WeChat accounts — list, create, edit,
enable and disable. Secrets are never shown back; an empty secret field keeps the stored one."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.permissions import requires
from app.core.web import actor, form_data, redirect, render
from app.identity import providers
from app.identity.providers import Provider

GUARD = [requires("idn.provider.admin")]
BASE = "/admin/identity/providers"


def provider_form(data: dict, editing: Provider | None = None, errors: dict | None = None) -> Form:
    fields = [
        Field("code", L("Code"), required=editing is None, max_length=40,
              help=L("Lowercase letters, digits, - or _; part of the callback URL, fixed once created.")),
        Field("kind", L("Kind"), "select", required=editing is None, choices=list(providers.KINDS.items())),
        Field("name", L("Name on the login page"), required=True, max_length=100),
        Field("base_url", L("Server address"), max_length=500,
              help=L("CAS prefix, OIDC issuer or WeChat OAuth host. Empty = the built-in IdP.")),
        Field("api_url", L("WeChat API address"), max_length=500, help=L("Empty = the server address.")),
        Field("client_id", L("Client id / AppID"), max_length=200),
        Field("client_secret", L("Client secret / AppSecret"), "password", max_length=500,
              help=L("OIDC client secret / WeChat AppSecret.")),
        Field("scopes", L("Scopes"), max_length=200,
              help=L("OIDC: e.g. “openid profile email”. WeChat: snsapi_base or snsapi_userinfo.")),
        Field("cas_version", L("CAS version"), "select", choices=[("3", "CAS 3.0"), ("2", "CAS 2.0")]),
        Field("mapping", L("How a new account is found"), "select", required=True,
              choices=list(providers.MAPPINGS.items())),
        Field("number_attribute", L("Attribute with the student or staff number"), max_length=64,
              help=L("CAS attribute or OIDC claim; empty = the login name itself.")),
        Field("auto_create", L("Create an account when none is found"), "checkbox"),
        Field("enabled", L("Enabled"), "checkbox"),
        Field("sort", L("Sort order"), "int", min_value=0, max_value=9999),
    ]
    if editing is not None:
        fields = [f for f in fields if f.name not in ("code", "kind")]
    form = Form(fields, data=data, errors=errors or {})
    if editing is not None and editing.client_secret:
        form["client_secret"].help = _("Stored: %(mask)s. Leave empty to keep it.", mask=editing.secret_masked)
    return form


def _values(provider: Provider) -> dict:
    data = {c: getattr(provider, c) for c in providers.COLUMNS if c != "client_secret"}
    return {**data, "auto_create": "on" if provider.auto_create else "", "enabled": "on" if provider.enabled else "",
            "sort": str(provider.sort)}


async def _provider(provider_id: int) -> Provider:
    try:
        return await providers.get(provider_id)
    except providers.NotFound:
        raise NotFoundException() from None


async def _form_page(request: Request, form: Form, editing: Provider | None, status: int = 200) -> Response:
    return await render(request, "identity/admin/provider_form.html", form=form, provider=editing, status=status,
                        title=_("Edit login provider") if editing else _("New login provider"),
                        action=f"{BASE}/{editing.id}" if editing else BASE, cancel=BASE)


@get(BASE, guards=GUARD)
async def provider_list(request: Request) -> Response:
    return await render(request, "identity/admin/providers.html", rows=await providers.list_all(),
                        kinds=providers.KINDS, mappings=providers.MAPPINGS)


@get(f"{BASE}/new", guards=GUARD)
async def provider_new(request: Request) -> Response:
    return await _form_page(request, provider_form({"kind": "cas", "mapping": "number", "cas_version": "3",
                                                    "enabled": "on", "sort": "0"}), None)


async def _save(request: Request, editing: Provider | None) -> Response:
    form = provider_form(await form_data(request), editing)
    if form.validate():
        try:
            provider_id = await providers.save(actor(request), form.cleaned, editing.id if editing else None)
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        else:
            return redirect(request, f"{BASE}/{provider_id}", _("Login provider saved."))
    return await _form_page(request, form, editing, 422)


@post(BASE, guards=GUARD)
async def provider_create(request: Request) -> Response:
    return await _save(request, None)


@get(f"{BASE}/{{provider_id:int}}", guards=GUARD)
async def provider_edit(request: Request, provider_id: int) -> Response:
    provider = await _provider(provider_id)
    return await _form_page(request, provider_form(_values(provider), provider), provider)


@post(f"{BASE}/{{provider_id:int}}", guards=GUARD)
async def provider_update(request: Request, provider_id: int) -> Response:
    return await _save(request, await _provider(provider_id))


@post(f"{BASE}/{{provider_id:int}}/enable", guards=GUARD)
async def provider_enable(request: Request, provider_id: int) -> Response:
    await _provider(provider_id)
    await providers.set_enabled(actor(request), provider_id, True)
    return redirect(request, BASE, _("Login provider enabled."))


@post(f"{BASE}/{{provider_id:int}}/disable", guards=GUARD)
async def provider_disable(request: Request, provider_id: int) -> Response:
    await _provider(provider_id)
    await providers.set_enabled(actor(request), provider_id, False)
    return redirect(request, BASE, _("Login provider disabled."))


ROUTES = [provider_list, provider_new, provider_create, provider_edit, provider_update, provider_enable,
          provider_disable]
