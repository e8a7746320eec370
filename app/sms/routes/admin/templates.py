"""Template pages (SMS-02): list with status tabs, create/edit with a live segment counter, submit for
review, the reviewers' queue (approve / reject with a note), delete with confirmation."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.sqlfilter import text
from app.core.web import actor, confirm_page, form_data, redirect, render
from app.sms import accounts, console, template_review, templates

GUARD = [requires("sms.template.edit")]
REVIEW = [requires("sms.template.review")]
BASE = "/admin/sms/templates"


async def _tpl(request: Request, template_id: int) -> dict:
    try:
        return await template_review.get(actor(request), template_id)
    except accounts.NotFound:
        raise NotFoundException() from None


@get(BASE, guards=GUARD)
async def template_list(request: Request) -> Response:
    who = actor(request)
    params = request.query_params
    account = await accounts.resolve(who, params.get("account")) if params.get("account") else None
    status = params.get("status") or ""
    page = await template_review.list_templates(who, account_id=account["id"] if account else None, status=status,
                                               q=text(params, "q"), req=PageRequest.from_query(params))
    return await render(request, "sms/admin/templates.html", page=page, tab=status, account=account,
                        account_options=[(a["id"], a["name"]) for a in await accounts.choices(who)],
                        statuses=template_review.STATUSES,
                        kinds=template_review.KINDS, block="results")


async def _form(request: Request, data: dict, tpl: dict | None = None, errors: dict | None = None,
                status: int = 200) -> Response:
    return await render(request, "sms/admin/template_form.html", data=data, tpl=tpl, errors=errors or {}, status=status,
                        kinds=template_review.KINDS, account_choices=await accounts.choices(actor(request)),
                        count=console.counter((data.get("sign") or "") + (data.get("content") or "")),
                        placeholders=templates.placeholders(data.get("content") or ""))


@get(f"{BASE}/new", guards=GUARD)
async def template_new(request: Request) -> Response:
    return await _form(request, {"kind": "notice", "sign": "【同窗】",
                                 "account": request.query_params.get("account", "")})


@post(BASE, guards=GUARD)
async def template_create(request: Request) -> Response:
    data = await form_data(request)
    who = actor(request)
    try:
        account = await accounts.resolve(who, data.get("account"))
        if account is None:
            raise Invalid("account", _("Choose an SMS account."))
        template_id = await templates.create(account["id"], name=data.get("name") or "", kind=data.get("kind") or "",
                                             content=data.get("content") or "", sign=data.get("sign") or "", actor=who)
    except Invalid as exc:
        return await _form(request, data, errors={exc.field or "__all__": exc.message}, status=422)
    if data.get("submit"):
        await template_review.submit(who, template_id)
        return redirect(request, f"{BASE}?status=pending", _("Template saved and submitted for review."))
    return redirect(request, BASE, _("Template saved as a draft."))


@get(f"{BASE}/{{template_id:int}}/edit", guards=GUARD)
async def template_edit(request: Request, template_id: int) -> Response:
    tpl = await _tpl(request, template_id)
    return await _form(request, {**tpl, "account": tpl["account"]}, tpl)


@post(f"{BASE}/{{template_id:int}}", guards=GUARD)
async def template_update(request: Request, template_id: int) -> Response:
    tpl = await _tpl(request, template_id)
    data = await form_data(request)
    who = actor(request)
    try:
        await templates.update(template_id, name=data.get("name") or "", kind=data.get("kind") or "",
                               content=data.get("content") or "", sign=data.get("sign") or "", actor=who)
        if data.get("submit"):
            await template_review.submit(who, template_id)
    except Invalid as exc:
        return await _form(request, {**data, "account": tpl["account"]}, tpl, {exc.field or "__all__": exc.message},
                           422)
    except Conflict as exc:
        return await _form(request, {**data, "account": tpl["account"]}, tpl, {"__all__": str(exc)}, 422)
    return redirect(request, BASE, _("Template submitted for review.") if data.get("submit") else
                    _("Template saved as a draft."))


@post(f"{BASE}/{{template_id:int}}/submit", guards=GUARD)
async def template_submit(request: Request, template_id: int) -> Response:
    await _tpl(request, template_id)
    try:
        await template_review.submit(actor(request), template_id)
    except Conflict as exc:
        return redirect(request, BASE, str(exc), "error")
    return redirect(request, BASE, _("Template submitted for review."))


@get(f"{BASE}/{{template_id:int}}/delete", guards=GUARD)
async def template_delete_confirm(request: Request, template_id: int) -> Response:
    tpl = await _tpl(request, template_id)
    return await confirm_page(request, _("Delete template"), _("Delete the template “%(name)s”?", name=tpl["name"]),
                              f"{BASE}/{template_id}/delete", BASE)


@post(f"{BASE}/{{template_id:int}}/delete", guards=GUARD)
async def template_delete(request: Request, template_id: int) -> Response:
    await _tpl(request, template_id)
    try:
        await templates.delete(template_id, actor=actor(request))
    except Conflict as exc:
        return redirect(request, BASE, str(exc), "error")
    return redirect(request, BASE, _("Template deleted."))


@get(f"{BASE}/review", guards=REVIEW)
async def review_queue(request: Request) -> Response:
    page = await template_review.list_templates(actor(request), account_id=None, status="pending", q="",
                                               req=PageRequest.from_query(request.query_params))
    return await render(request, "sms/admin/template_review.html", page=page, kinds=template_review.KINDS, errors={})


@post(f"{BASE}/{{template_id:int}}/review", guards=REVIEW)
async def review_submit(request: Request, template_id: int) -> Response:
    await _tpl(request, template_id)
    data = await form_data(request)
    approve = data.get("decision") == "approve"
    try:
        await template_review.review(actor(request), template_id, approve, str(data.get("note") or ""))
    except (Invalid, Conflict) as exc:
        message = exc.message if isinstance(exc, Invalid) else str(exc)
        page = await template_review.list_templates(actor(request), account_id=None, status="pending", q="",
                                                   req=PageRequest.from_query(request.query_params))
        return await render(request, "sms/admin/template_review.html", page=page, kinds=template_review.KINDS,
                            errors={template_id: message}, notes={template_id: data.get("note") or ""}, status=422)
    return redirect(request, f"{BASE}/review", _("Template approved.") if approve else _("Template rejected."))


ROUTES = [template_list, template_new, template_create, review_queue, template_edit, template_update, template_submit,
          template_delete_confirm, template_delete, review_submit]
