"""Tenant admin pages (SMS-09): accounts (tenants per org node and their sub-accounts), members
(operators / account admins), API keys (the raw key shown once; revoke with confirmation), and links to
the core audit log filtered to SMS entities."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core import sqlfilter
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, redirect, render
from app.sms import accounts, apikeys
from app.sms.routes.admin import account_or_404
from app.support import org_tree

GUARD = [requires("sms.account.admin")]
KEYS = [requires("sms.apikey.edit")]
BASE = "/admin/sms/accounts"
AUDIT_ENTITIES = ("sms_account", "sms_batch", "sms_template", "sms_api_key", "sms_channel", "sms_contact")


@get(BASE, guards=GUARD)
async def account_list(request: Request) -> Response:
    page = await accounts.list_accounts(actor(request), sqlfilter.text(request.query_params, "q"),
                                        PageRequest.from_query(request.query_params))
    return await render(request, "sms/admin/accounts.html", page=page, statuses=accounts.STATUSES,
                        audit_entities=AUDIT_ENTITIES, block="results")


async def _form(request: Request, data: dict, account: dict | None = None, errors: dict | None = None,
                status: int = 200) -> Response:
    return await render(request, "sms/admin/account_form.html", data=data, account=account, errors=errors or {},
                        status=status, statuses=accounts.STATUSES, parents=await accounts.choices(actor(request)),
                        orgs=await org_tree.flat(request.scope["user"].scope))


@get(f"{BASE}/new", guards=GUARD)
async def account_new(request: Request) -> Response:
    return await _form(request, {"parent": request.query_params.get("parent", ""), "max_tps": 200,
                                 "low_balance_alert": 0, "status": "active"})


@post(BASE, guards=GUARD)
async def account_create(request: Request) -> Response:
    data = await form_data(request)
    try:
        account_id = await accounts.create(actor(request), data)
    except Invalid as exc:
        return await _form(request, data, errors={exc.field or "__all__": exc.message}, status=422)
    return redirect(request, f"{BASE}/{account_id}", _("Account created."))


async def _detail(request: Request, account: dict, errors: dict | None = None, data: dict | None = None,
                  status: int = 200) -> Response:
    return await render(request, "sms/admin/account_detail.html", account=account, errors=errors or {}, data=data or {},
                        status=status, members=await accounts.members(actor(request), account["id"]),
                        roles=accounts.ROLES, statuses=accounts.STATUSES)


@get(f"{BASE}/{{account_id:int}}", guards=GUARD)
async def account_detail(request: Request, account_id: int) -> Response:
    return await _detail(request, await account_or_404(request, account_id))


@get(f"{BASE}/{{account_id:int}}/edit", guards=GUARD)
async def account_edit(request: Request, account_id: int) -> Response:
    account = await account_or_404(request, account_id)
    return await _form(request, dict(account), account)


@post(f"{BASE}/{{account_id:int}}", guards=GUARD)
async def account_update(request: Request, account_id: int) -> Response:
    account = await account_or_404(request, account_id)
    data = await form_data(request)
    try:
        await accounts.update(actor(request), account_id, data)
    except Invalid as exc:
        return await _form(request, data, account, {exc.field or "__all__": exc.message}, 422)
    return redirect(request, f"{BASE}/{account_id}", _("Account saved."))


@post(f"{BASE}/{{account_id:int}}/members", guards=GUARD)
async def member_add(request: Request, account_id: int) -> Response:
    account = await account_or_404(request, account_id)
    data = await form_data(request)
    try:
        await accounts.add_member(actor(request), account_id, str(data.get("username") or ""),
                                  str(data.get("role") or ""))
    except Invalid as exc:
        return await _detail(request, account, {exc.field or "__all__": exc.message}, data, 422)
    return redirect(request, f"{BASE}/{account_id}", _("Member saved."))


@post(f"{BASE}/{{account_id:int}}/members/{{member_id:int}}/delete", guards=GUARD)
async def member_remove(request: Request, account_id: int, member_id: int) -> Response:
    await account_or_404(request, account_id)
    try:
        await accounts.remove_member(actor(request), account_id, member_id)
    except accounts.NotFound:
        raise NotFoundException() from None
    return redirect(request, f"{BASE}/{account_id}", _("Member removed."))


# --- API keys ------------------------------------------------------------------------------------------

async def _keys_page(request: Request, data: dict | None = None, errors: dict | None = None, raw_key: str = "",
                     status: int = 200) -> Response:
    who = actor(request)
    return await render(request, "sms/admin/api_keys.html", keys=await accounts.api_keys(who),
                        account_choices=await accounts.choices(who), scopes=apikeys.SCOPES,
                        data=data or {"scopes": list(apikeys.SCOPES), "rate_per_sec": 50}, errors=errors or {},
                        raw_key=raw_key, status=status)


@get("/admin/sms/api-keys", guards=KEYS)
async def key_list(request: Request) -> Response:
    return await _keys_page(request)


@post("/admin/sms/api-keys", guards=KEYS)
async def key_create(request: Request) -> Response:
    """The raw key is rendered in this response only (never stored, never redirected through a URL)."""
    data = await form_data(request)
    who = actor(request)
    scopes = data.get("scopes") or []
    scopes = scopes if isinstance(scopes, list) else [scopes]
    try:
        account = await accounts.resolve(who, data.get("account"))
        if account is None or str(account["id"]) != str(data.get("account")):
            raise Invalid("account", _("Choose an SMS account."))
        rate = str(data.get("rate_per_sec") or "").strip()
        if not rate.isdigit():
            raise Invalid("rate_per_sec", _("Enter a whole number."))
        _row, raw = await apikeys.create_key(account["id"], str(data.get("name") or ""), scopes, int(rate),
                                             user_id=who.id if data.get("personal") else None, actor=who)
    except Invalid as exc:
        return await _keys_page(request, data, {exc.field or "__all__": exc.message}, status=422)
    return await _keys_page(request, raw_key=raw)


async def _key(request: Request, key_id: int) -> dict:
    keys = await accounts.api_keys(actor(request), key_id)
    if not keys:
        raise NotFoundException()
    return keys[0]


@get("/admin/sms/api-keys/{key_id:int}/revoke", guards=KEYS)
async def key_revoke_confirm(request: Request, key_id: int) -> Response:
    key = await _key(request, key_id)
    return await confirm_page(request, _("Revoke API key"), _("Revoke the key “%(name)s” (%(prefix)s…)? Systems using"
                              " it are refused from now on.", name=key["name"], prefix=key["prefix"]),
                              f"/admin/sms/api-keys/{key_id}/revoke", "/admin/sms/api-keys")


@post("/admin/sms/api-keys/{key_id:int}/revoke", guards=KEYS)
async def key_revoke(request: Request, key_id: int) -> Response:
    await _key(request, key_id)
    done = await apikeys.revoke_key(key_id, actor=actor(request))
    return redirect(request, "/admin/sms/api-keys", _("Key revoked.") if done else _("The key was already revoked."))


ROUTES = [account_list, account_new, account_create, account_detail, account_edit, account_update, member_add,
          member_remove, key_list, key_create, key_revoke_confirm, key_revoke]
