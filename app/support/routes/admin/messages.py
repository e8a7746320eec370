"""Message templates (edit, preview, reset to default) and the delivery log with re-queue (SUP-07)."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core import notify
from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.masking import shown
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, redirect, render
from app.support import messages

CHANNEL_LABELS = {"inbox": L("In-site inbox"), "email": L("Email"), "sms": L("SMS"), "wechat": L("WeChat")}
STATUS_LABELS = {"queued": L("Queued"), "sent": L("Sent"), "failed": L("Failed"), "skipped": L("Skipped")}
ADDRESS_KIND = {"email": "email", "sms": "phone"}  # which masking rule applies to a channel's address


def template_form(data=None) -> Form:
    return Form([Field("subject", L("Subject"), max_length=200),
                 Field("body", L("Body"), "textarea", required=True, max_length=20000,
                       help=L("Jinja syntax: {{ name }} inserts a value from the message data."))],
                data or {})


def _url(code: str, channel: str) -> str:
    return f"/admin/messages/templates/{code}/{channel}"


@get("/admin/messages/templates", guards=[requires("sup.template.edit")])
async def template_list(request: Request) -> Response:
    return await render(request, "support/admin/messages_templates.html", templates=await messages.list_templates(),
                        channel_labels=CHANNEL_LABELS)


async def _template(code: str, channel: str) -> dict:
    tpl = await messages.get_template(code, channel) if channel in notify.CHANNELS else None
    if tpl is None:
        raise NotFoundException()
    return tpl


async def _edit_page(request: Request, tpl: dict, form: Form, rendered: dict | None, status: int = 200) -> Response:
    return await render(request, "support/admin/messages_template_form.html", tpl=tpl, form=form, rendered=rendered,
                        status=status, channel_labels=CHANNEL_LABELS, block="editor")


@get("/admin/messages/templates/{code:str}/{channel:str}", guards=[requires("sup.template.edit")])
async def template_edit(request: Request, code: str, channel: str) -> Response:
    tpl = await _template(code, channel)
    form = template_form({"subject": tpl["subject"], "body": tpl["body"]})
    try:
        rendered = messages.preview(code, tpl["subject"], tpl["body"])
    except messages.TemplateInvalid as exc:
        form.errors.update(exc.errors)
        rendered = None
    return await _edit_page(request, tpl, form, rendered)


@post("/admin/messages/templates/{code:str}/{channel:str}", guards=[requires("sup.template.edit")])
async def template_save(request: Request, code: str, channel: str) -> Response:
    tpl = await _template(code, channel)
    data = await form_data(request)
    form = template_form(data)
    rendered = None
    if form.validate():
        subject, body = form.cleaned["subject"] or "", form.cleaned["body"]
        try:
            if data.get("intent") == "preview":
                rendered = messages.preview(code, subject, body)
                return await _edit_page(request, tpl, form, rendered)
            await messages.save_template(actor(request), code, channel, subject, body)
        except messages.TemplateInvalid as exc:
            form.errors.update(exc.errors)
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        else:
            return redirect(request, _url(code, channel), _("Template saved."))
    return await _edit_page(request, tpl, form, rendered, status=422)


@get("/admin/messages/templates/{code:str}/{channel:str}/reset", guards=[requires("sup.template.edit")])
async def template_reset_confirm(request: Request, code: str, channel: str) -> Response:
    tpl = await _template(code, channel)
    return await confirm_page(request, title=_("Reset to default"),
                              message=_("Replace the edited text of %(name)s (%(channel)s) with the default text?",
                                        name=tpl["name"], channel=CHANNEL_LABELS.get(channel, channel)),
                              action=f"{_url(code, channel)}/reset", cancel=_url(code, channel))


@post("/admin/messages/templates/{code:str}/{channel:str}/reset", guards=[requires("sup.template.edit")])
async def template_reset(request: Request, code: str, channel: str) -> Response:
    await _template(code, channel)
    try:
        await messages.reset_template(actor(request), code, channel)
    except Conflict as exc:
        return redirect(request, _url(code, channel), str(exc), "error")
    return redirect(request, _url(code, channel), _("The default text applies again."))


@get("/admin/messages/deliveries", guards=[requires("sup.delivery.view")])
async def delivery_list(request: Request) -> Response:
    viewer = request.scope["user"]
    filters, errors = messages.DeliveryFilters.from_query(request.query_params)
    page = await messages.list_deliveries(actor(request), filters, PageRequest.from_query(request.query_params))
    for row in page.items:
        row["address"] = shown(viewer, ADDRESS_KIND[row["channel"]], row["address"]) \
            if row["channel"] in ADDRESS_KIND else row["address"]
        row["user_name"] = shown(viewer, "name", row["user_name"])
    return await render(request, "support/admin/messages_deliveries.html", page=page, filters=filters, errors=errors,
                        status=422 if errors else 200, block="results", channel_labels=CHANNEL_LABELS,
                        status_labels=STATUS_LABELS, templates=await messages.template_choices())


@post("/admin/messages/deliveries/{delivery_id:int}/requeue", guards=[requires("sup.delivery.view")])
async def delivery_requeue(request: Request, delivery_id: int) -> Response:
    data = await form_data(request)
    back = data.get("next") if str(data.get("next", "")).startswith("/admin/messages/deliveries") else \
        "/admin/messages/deliveries"
    try:
        await messages.requeue(actor(request), delivery_id)
    except Conflict as exc:
        return redirect(request, back, str(exc), "error")
    return redirect(request, back, _("The email is queued to be sent again."))


ROUTES = [template_list, template_edit, template_save, template_reset_confirm, template_reset, delivery_list,
          delivery_requeue]
