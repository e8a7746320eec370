"""An org's members on the desktop (ORG-04, ORG-10): the address book (search, role, status, paging; masked for
the viewer), add an account, edit an entry, member ↔ liaison, removal with a confirm step and a reason, export
(orgs.member.export) and import (the core import engine); the join requests with approve / refuse; and, for HQ,
the org's admins: their function permissions and data scope, appoint and revoke."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.exports import choose_columns, export_response, watermark_text
from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import PageRequest
from app.core.permissions import PermissionDenied
from app.core.web import actor, confirm_page, form_data, int_param, redirect, render
from app.orgs import admins, members, orgs
from app.orgs.routes.admin import BASE, GUARD, hq_org, managed_org, org_ctx

CONTACT_FIELDS = [Field("phone", L("Phone"), "phone", max_length=32),
                  Field("email", L("Email"), "email", max_length=254), Field("company", L("Company"), max_length=200),
                  Field("job_title", L("Job title"), max_length=100),
                  Field("city", L("City"), max_length=100), Field("note", L("Note"), max_length=300)]
ADD_FIELDS = [Field("login", L("Username, mobile number or email"), required=True, max_length=254)]
EXPORT_COLUMNS = [("name", L("Name")), ("username", L("Username")), ("role_label", L("Role")),
                  ("status_label", L("Status")), ("phone", L("Phone")), ("email", L("Email")),
                  ("company", L("Company")), ("job_title", L("Job title")), ("city", L("City")),
                  ("joined_at", L("Joined")), ("note", L("Note"))]


async def _members_page(request: Request, org: dict, add_form: Form | None = None, status: int = 200) -> Response:
    filters = members.MemberFilters.from_query(request.query_params)
    page = await members.list_members(actor(request), org["id"], filters,
                                      PageRequest.from_query(request.query_params))
    return await render(request, "orgs/admin/members.html", page=page, filters=filters, roles=members.ROLES,
                        member_statuses=members.STATUSES, add_form=add_form or Form(ADD_FIELDS), status=status,
                        block="results", **org_ctx(org, request, "members"))


@get(f"{BASE}/{{org_id:int}}/members", guards=GUARD)
async def member_list(request: Request, org_id: int) -> Response:
    return await _members_page(request, await managed_org(request, org_id))


@post(f"{BASE}/{{org_id:int}}/members", guards=GUARD)
async def member_add(request: Request, org_id: int) -> Response:
    org = await managed_org(request, org_id)
    form = Form(ADD_FIELDS, data=await form_data(request))
    if form.validate():
        try:
            await members.add_by_admin(actor(request), org_id, form.cleaned["login"])
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        else:
            return redirect(request, f"{BASE}/{org_id}/members", _("Member added."))
    return await _members_page(request, org, form, 422)


@get(f"{BASE}/{{org_id:int}}/members/export", guards=GUARD)
async def member_export(request: Request, org_id: int) -> Response:
    who = actor(request)
    org = await managed_org(request, org_id)
    if not who.can(orgs.EXPORT):
        raise PermissionDenied()
    rows = await members.export_rows(who, org_id, members.MemberFilters.from_query(request.query_params))
    for r in rows:
        r["role_label"], r["status_label"] = str(members.ROLES[r["role"]]), str(members.STATUSES[r["status"]])
    columns = [(k, str(label)) for k, label in choose_columns(EXPORT_COLUMNS, request.query_params.getall("cols", []))]
    return export_response(_("%(org)s address book", org=org["name"]), columns, rows,
                           request.query_params.get("format", "xlsx"), viewer=who, mask=members.MASKED,
                           watermark=watermark_text(request.scope.get("user")))


async def _member(request: Request, org_id: int, member_id: int) -> dict:
    try:
        return await members.get_member(actor(request), org_id, member_id)
    except members.NotFound:
        raise NotFoundException() from None


async def _member_form(request: Request, org: dict, member: dict, data: dict, errors: dict | None = None,
                       status: int = 200) -> Response:
    form = Form(CONTACT_FIELDS, data=data, errors=errors or {})
    return await render(request, "orgs/admin/member.html", member=member, form=form, roles=members.ROLES,
                        member_statuses=members.STATUSES, status=status, **org_ctx(org, request, "members"))


@get(f"{BASE}/{{org_id:int}}/members/{{member_id:int}}", guards=GUARD)
async def member_detail(request: Request, org_id: int, member_id: int) -> Response:
    org = await managed_org(request, org_id)
    member = await _member(request, org_id, member_id)
    return await _member_form(request, org, member, {k.name: member.get(k.name) or "" for k in CONTACT_FIELDS})


@post(f"{BASE}/{{org_id:int}}/members/{{member_id:int}}", guards=GUARD)
async def member_update(request: Request, org_id: int, member_id: int) -> Response:
    org = await managed_org(request, org_id)
    member = await _member(request, org_id, member_id)
    data = await form_data(request)
    form = Form(CONTACT_FIELDS, data=data)
    if not form.validate():
        return await _member_form(request, org, member, data, form.errors, 422)
    try:
        await members.update_contact(actor(request), org_id, member_id, {k: v or "" for k, v in form.cleaned.items()})
    except members.NotFound:
        raise NotFoundException() from None
    return redirect(request, f"{BASE}/{org_id}/members", _("Address-book entry saved."))


@post(f"{BASE}/{{org_id:int}}/members/{{member_id:int}}/role", guards=GUARD)
async def member_role(request: Request, org_id: int, member_id: int) -> Response:
    await managed_org(request, org_id)
    data = await form_data(request)
    try:
        await members.set_role(actor(request), org_id, member_id, str(data.get("role") or ""))
    except members.NotFound:
        raise NotFoundException() from None
    except (Invalid, Conflict) as exc:
        return redirect(request, f"{BASE}/{org_id}/members", getattr(exc, "message", str(exc)), "error")
    return redirect(request, f"{BASE}/{org_id}/members", _("Role changed."))


@get(f"{BASE}/{{org_id:int}}/members/{{member_id:int}}/remove", guards=GUARD)
async def member_remove_confirm(request: Request, org_id: int, member_id: int) -> Response:
    org = await managed_org(request, org_id)
    member = await _member(request, org_id, member_id)
    return await render(request, "orgs/admin/member_remove.html", member=member, error="",
                        **org_ctx(org, request, "members"))


@post(f"{BASE}/{{org_id:int}}/members/{{member_id:int}}/remove", guards=GUARD)
async def member_remove(request: Request, org_id: int, member_id: int) -> Response:
    org = await managed_org(request, org_id)
    data = await form_data(request)
    try:
        await members.remove(actor(request), org_id, member_id, str(data.get("reason") or ""))
    except members.NotFound:
        raise NotFoundException() from None
    except Invalid as exc:
        member = await _member(request, org_id, member_id)
        return await render(request, "orgs/admin/member_remove.html", member=member, error=exc.message, status=422,
                            **org_ctx(org, request, "members"))
    except Conflict as exc:
        return redirect(request, f"{BASE}/{org_id}/members", str(exc), "error")
    return redirect(request, f"{BASE}/{org_id}/members", _("Member removed. They are told the reason."))


# --- join requests --------------------------------------------------------------------------------------

@get(f"{BASE}/{{org_id:int}}/requests", guards=GUARD)
async def request_list(request: Request, org_id: int) -> Response:
    org = await managed_org(request, org_id)
    status = request.query_params.get("status") or "pending"
    page = await members.list_requests(actor(request), org_id, status, PageRequest.from_query(request.query_params))
    return await render(request, "orgs/admin/requests.html", page=page, current=status,
                        request_statuses=members.REQUEST_STATUSES, block="results",
                        **org_ctx(org, request, "requests"))


@post(f"{BASE}/{{org_id:int}}/requests/{{request_id:int}}/approve", guards=GUARD)
async def request_approve(request: Request, org_id: int, request_id: int) -> Response:
    await managed_org(request, org_id)
    try:
        await members.decide(actor(request), org_id, request_id, True)
    except members.NotFound:
        raise NotFoundException() from None
    except Conflict as exc:
        return redirect(request, f"{BASE}/{org_id}/requests", str(exc), "error")
    return redirect(request, f"{BASE}/{org_id}/requests", _("Request approved: a new member."))


@get(f"{BASE}/{{org_id:int}}/requests/{{request_id:int}}/refuse", guards=GUARD)
async def request_refuse_confirm(request: Request, org_id: int, request_id: int) -> Response:
    org = await managed_org(request, org_id)
    try:
        row = await members.get_request(actor(request), org_id, request_id)
    except members.NotFound:
        raise NotFoundException() from None
    return await render(request, "orgs/admin/request_refuse.html", join_request=row, error="", reason="",
                        **org_ctx(org, request, "requests"))


@post(f"{BASE}/{{org_id:int}}/requests/{{request_id:int}}/refuse", guards=GUARD)
async def request_refuse(request: Request, org_id: int, request_id: int) -> Response:
    org = await managed_org(request, org_id)
    reason = str((await form_data(request)).get("reason") or "")
    try:
        await members.decide(actor(request), org_id, request_id, False, reason)
    except members.NotFound:
        raise NotFoundException() from None
    except Invalid as exc:
        row = await members.get_request(actor(request), org_id, request_id)
        return await render(request, "orgs/admin/request_refuse.html", join_request=row, error=exc.message,
                            reason=reason, status=422, **org_ctx(org, request, "requests"))
    except Conflict as exc:
        return redirect(request, f"{BASE}/{org_id}/requests", str(exc), "error")
    return redirect(request, f"{BASE}/{org_id}/requests", _("Request refused. The applicant is told the reason."))


# --- org admins (HQ) ------------------------------------------------------------------------------------

def _admin_fields(choices: list[tuple[str, str]]) -> list[Field]:
    return [Field("extras", L("Extra functions"), "multiselect", choices=list(admins.EXTRA_PERMS.items())),
            Field("data_scope", L("Data scope"), "select", required=True, choices=list(admins.SCOPES.items())),
            Field("user", L("Member"), "select", choices=choices)]


async def _admins_page(request: Request, org: dict, errors: dict | None = None, data: dict | None = None,
                       status: int = 200) -> Response:
    state = await admins.settings(actor(request), org["id"])
    form = Form(_admin_fields(await members.member_choices(org["id"])),
                data=data or {"extras": state["extras"], "data_scope": state["data_scope"]}, errors=errors or {})
    return await render(request, "orgs/admin/admins.html", state=state, form=form, status=status,
                        **org_ctx(org, request, "admins"))


@get(f"{BASE}/{{org_id:int}}/admins", guards=GUARD)
async def admin_settings(request: Request, org_id: int) -> Response:
    return await _admins_page(request, await hq_org(request, org_id))


@post(f"{BASE}/{{org_id:int}}/admins/permissions", guards=GUARD)
async def admin_permissions(request: Request, org_id: int) -> Response:
    org = await hq_org(request, org_id)
    data = await form_data(request)
    form = Form(_admin_fields([]), data=data)
    form["user"].choices = None
    if not form.validate():
        return await _admins_page(request, org, form.errors, data, 422)
    try:
        await admins.configure(actor(request), org_id, form.cleaned["extras"], form.cleaned["data_scope"])
    except Invalid as exc:
        return await _admins_page(request, org, {exc.field or "__all__": exc.message}, data, 422)
    return redirect(request, f"{BASE}/{org_id}/admins", _("Admin permissions saved."))


@post(f"{BASE}/{{org_id:int}}/admins", guards=GUARD)
async def admin_appoint(request: Request, org_id: int) -> Response:
    org = await hq_org(request, org_id)
    user_id = int_param((await form_data(request)).get("user"))
    if user_id is None:
        return await _admins_page(request, org, {"user": _("Choose a member.")}, status=422)
    try:
        await admins.appoint(actor(request), org_id, user_id)
    except Invalid as exc:
        return await _admins_page(request, org, {"user": exc.message}, status=422)
    return redirect(request, f"{BASE}/{org_id}/admins", _("Admin appointed."))


@get(f"{BASE}/{{org_id:int}}/admins/{{user_id:int}}/revoke", guards=GUARD)
async def admin_revoke_confirm(request: Request, org_id: int, user_id: int) -> Response:
    org = await hq_org(request, org_id)
    return await confirm_page(request, _("Revoke admin"),
                              _("Take the admin rights of %(org)s from this person?", org=org["name"]),
                              f"{BASE}/{org_id}/admins/{user_id}/revoke", f"{BASE}/{org_id}/admins")


@post(f"{BASE}/{{org_id:int}}/admins/{{user_id:int}}/revoke", guards=GUARD)
async def admin_revoke(request: Request, org_id: int, user_id: int) -> Response:
    await hq_org(request, org_id)
    try:
        await admins.revoke(actor(request), org_id, user_id)
    except Conflict as exc:
        return redirect(request, f"{BASE}/{org_id}/admins", str(exc), "error")
    return redirect(request, f"{BASE}/{org_id}/admins", _("Admin rights revoked."))


ROUTES = [member_list, member_add, member_export, member_detail, member_update, member_role, member_remove_confirm,
          member_remove, request_list, request_approve, request_refuse_confirm, request_refuse, admin_settings,
          admin_permissions, admin_appoint, admin_revoke_confirm, admin_revoke]
