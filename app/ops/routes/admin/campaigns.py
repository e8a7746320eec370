"""Mass messaging on the desktop (OPS-01): the campaign list (search, status, paging), the new campaign form
(channels, text or template, audience and its parameters or an uploaded list, time, throttle) → the preview
(count, masked sample, channel availability, the first recipient's message) which is the confirm step (a POST,
no JS needed) → the campaign page with its delivery report (htmx refreshes it while sending; a plain refresh
link otherwise), the recipients by status, their xlsx export, and cancelling."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core import exports
from app.core.forms import Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, redirect, render
from app.ops import campaigns
from app.ops.routes import service_errors

BASE = "/admin/ops/campaigns"
GUARD = [requires(campaigns.PERM)]


def campaign_fields(choices: dict) -> list[Field]:
    return [
        Field("title", L("Campaign title"), required=True, max_length=200),
        Field("channels", L("Channels"), "multiselect", required=True, choices=list(campaigns.CHANNELS.items())),
        Field("template_code", L("Message template"), "select", choices=choices["templates"],
              help=L("Leave empty to write the message below.")),
        Field("subject", L("Subject"), max_length=200, help=L("Shown as the title of in-site messages and email.")),
        Field("body", L("Message text"), "textarea", max_length=5000,
              help=L("Write {{ name }} for each recipient's name. Email and SMS get an unsubscribe link at the "
                     "end.")),
        Field("audience", L("Recipients"), "select", required=True, choices=choices["audiences"]),
        Field("org", L("Association"), "select", choices=choices["orgs"]),
        Field("class", L("Class"), "select", choices=choices["classes"]),
        Field("role", L("Role"), "select", choices=choices["roles"]),
        Field("records_query", L("Records list filters"), max_length=500,
              help=L("Filter the alumni records list, then paste its address here.")),
        Field("tag", L("Records tag"), "select", choices=choices["tags"]),
        Field("upload", L("List of phones and emails"), "file",
              help=L("An .xlsx or .csv file: a header row, then one mobile number or email address per row in "
                     "the first column.")),
        Field("scheduled_at", L("Send at"), "datetime", help=L("Leave empty to send as soon as you confirm.")),
        Field("throttle", L("Messages per minute"), "int", min_value=1, max_value=100000),
    ]


@get(BASE, guards=GUARD)
async def campaign_list(request: Request) -> Response:
    params = request.query_params
    q, filter_status = (params.get("q") or "")[:100], params.get("status") or ""
    page = await campaigns.list_campaigns(actor(request), q, filter_status, PageRequest.from_query(params))
    return await render(request, "ops/admin/campaigns.html", page=page, q=q, filter_status=filter_status,
                        statuses=campaigns.STATUSES, channels=campaigns.CHANNELS, block="results")


async def _form_page(request: Request, form: Form | None = None, status: int = 200) -> Response:
    choices = await campaigns.form_choices(actor(request))
    form = form or Form(campaign_fields(choices), data={"channels": ["inbox"], "throttle": "600",
                                                        "audience": choices["audiences"][0][0]})
    return await render(request, "ops/admin/campaign_form.html", form=form, status=status)


@get(f"{BASE}/new", guards=GUARD)
async def campaign_new(request: Request) -> Response:
    return await _form_page(request)


@post(f"{BASE}/new", guards=GUARD)
async def campaign_create(request: Request) -> Response:
    data = await form_data(request)
    upload = data.pop("upload", None)
    form = Form(campaign_fields(await campaigns.form_choices(actor(request))), data=data)
    if form.validate():
        try:
            rows = None
            if form.cleaned["audience"] == "upload" and getattr(upload, "filename", None):
                try:
                    rows = campaigns.read_upload(upload.filename, await upload.read())
                except Invalid as exc:
                    raise Invalid("upload", exc.message) from None
            spec = campaigns.audience_spec(form.cleaned["audience"], form.cleaned, rows)
            with service_errors():
                campaign_id = await campaigns.create(actor(request), form.cleaned, spec)
            return redirect(request, f"{BASE}/{campaign_id}/preview")
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
    return await _form_page(request, form, status=422)


async def _campaign(request: Request, campaign_id: int) -> dict:
    with service_errors():
        return await campaigns.get(actor(request), campaign_id)


@get(f"{BASE}/{{campaign_id:int}}/preview", guards=GUARD)
async def campaign_preview(request: Request, campaign_id: int) -> Response:
    return await _preview_page(request, campaign_id)


async def _preview_page(request: Request, campaign_id: int, error: str = "", code: int = 200) -> Response:
    campaign = await _campaign(request, campaign_id)
    if campaign["status"] != "draft":
        return redirect(request, f"{BASE}/{campaign_id}")
    preview = await campaigns.preview(actor(request), campaign)
    return await render(request, "ops/admin/campaign_preview.html", campaign=campaign, preview=preview,
                        channels=campaigns.CHANNELS, error=error, status=code)


@post(f"{BASE}/{{campaign_id:int}}/send", guards=GUARD)
async def campaign_send(request: Request, campaign_id: int) -> Response:
    await _campaign(request, campaign_id)
    try:
        with service_errors():
            campaign = await campaigns.confirm(actor(request), campaign_id)
    except Invalid as exc:
        return await _preview_page(request, campaign_id, exc.message, 422)
    return redirect(request, f"{BASE}/{campaign_id}",
                    _("Sending has started.") if campaign["started"] else _("The campaign is scheduled."))


@get(f"{BASE}/{{campaign_id:int}}", guards=GUARD)
async def campaign_detail(request: Request, campaign_id: int) -> Response:
    campaign = await _campaign(request, campaign_id)
    params = request.query_params
    filter_status = params.get("status") or ""
    page = await campaigns.recipients(actor(request), campaign_id, filter_status, PageRequest.from_query(params))
    block = {"recipients": "recipients"}.get(request.headers.get("hx-target") or "", "report")
    return await render(request, "ops/admin/campaign.html", campaign=campaign,
                        report=await campaigns.report(campaign_id), page=page, filter_status=filter_status,
                        statuses=campaigns.STATUSES, recipient_statuses=campaigns.RECIPIENT_STATUSES,
                        channels=campaigns.CHANNELS, block=block)


@get(f"{BASE}/{{campaign_id:int}}/export", guards=GUARD)
async def campaign_export(request: Request, campaign_id: int) -> Response:
    campaign = await _campaign(request, campaign_id)
    rows = await campaigns.export_rows(actor(request), campaign_id, request.query_params.get("status") or "")
    columns = [(key, str(label)) for key, label in campaigns.EXPORT_COLUMNS]
    return exports.export_response(_("Delivery report %(id)s", id=campaign["id"]), columns, rows,
                                   watermark=exports.watermark_text(request.scope.get("user")))


@get(f"{BASE}/{{campaign_id:int}}/cancel", guards=GUARD)
async def campaign_cancel_confirm(request: Request, campaign_id: int) -> Response:
    campaign = await _campaign(request, campaign_id)
    return await confirm_page(request, _("Cancel this campaign?"),
                              _("Messages not sent yet will not be sent: %(title)s", title=campaign["title"]),
                              f"{BASE}/{campaign_id}/cancel", f"{BASE}/{campaign_id}")


@post(f"{BASE}/{{campaign_id:int}}/cancel", guards=GUARD)
async def campaign_cancel(request: Request, campaign_id: int) -> Response:
    try:
        with service_errors():
            await campaigns.cancel(actor(request), campaign_id)
    except Invalid as exc:
        return redirect(request, f"{BASE}/{campaign_id}", exc.message, "error")
    return redirect(request, f"{BASE}/{campaign_id}", _("The campaign is cancelled."))


ROUTES = [campaign_list, campaign_new, campaign_create, campaign_preview, campaign_send, campaign_detail,
          campaign_export, campaign_cancel_confirm, campaign_cancel]
