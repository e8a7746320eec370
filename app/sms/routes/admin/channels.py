"""Channel admin (SMS-11) and the monitor page (SMS-09): list/add/edit/enable/disable/remove channels
(secrets masked), health and last error; queue depth, dispatch rate, open alerts with acknowledge."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, redirect, render
from app.sms import channel_config, labels, monitor

GUARD = [requires("sms.channel.admin")]
MONITOR = [requires("sms.monitor.view")]
BASE = "/admin/sms/channels"


@get(BASE, guards=GUARD)
async def channel_list(request: Request) -> Response:
    return await render(request, "sms/admin/channels.html", channels=await channel_config.list_channels())


async def _form(request: Request, data: dict, channel: dict | None = None, errors: dict | None = None,
                status: int = 200) -> Response:
    return await render(request, "sms/admin/channel_form.html", data=data, channel=channel, errors=errors or {},
                        status=status, kinds=channel_config.KINDS, fields=channel_config.CONFIG_FIELDS,
                        secret_keys=channel_config.SECRET_KEYS)


@get(f"{BASE}/new", guards=GUARD)
async def channel_new(request: Request) -> Response:
    return await _form(request, {"kind": "smpp", "weight": 100, "max_tps": 1000, "enabled": "on"})


@post(BASE, guards=GUARD)
async def channel_create(request: Request) -> Response:
    data = await form_data(request)
    try:
        await channel_config.save_channel(actor(request), data)
    except Invalid as exc:
        return await _form(request, data, errors={exc.field or "__all__": exc.message}, status=422)
    return redirect(request, BASE, _("Channel added; the dispatcher picks it up within seconds."))


async def _channel(channel_id: int) -> dict:
    channel = await channel_config.get_channel(channel_id)
    if channel is None:
        raise NotFoundException()
    return channel


@get(f"{BASE}/{{channel_id:int}}/edit", guards=GUARD)
async def channel_edit(request: Request, channel_id: int) -> Response:
    channel = await _channel(channel_id)
    data = {**channel, "enabled": "on" if channel["enabled"] else ""}
    data.update({f"cfg_{k}": v for k, v in channel["config"].items() if k not in channel_config.SECRET_KEYS})
    return await _form(request, data, channel)


@post(f"{BASE}/{{channel_id:int}}", guards=GUARD)
async def channel_update(request: Request, channel_id: int) -> Response:
    channel = await _channel(channel_id)
    data = await form_data(request)
    try:
        await channel_config.save_channel(actor(request), data, channel_id)
    except Invalid as exc:
        return await _form(request, data, channel, {exc.field or "__all__": exc.message}, 422)
    return redirect(request, BASE, _("Channel saved; the dispatcher applies it within seconds."))


@post(f"{BASE}/{{channel_id:int}}/toggle", guards=GUARD)
async def channel_toggle(request: Request, channel_id: int) -> Response:
    channel = await _channel(channel_id)
    await channel_config.set_enabled(actor(request), channel_id, not channel["enabled"])
    return redirect(request, BASE, _("Channel disabled.") if channel["enabled"] else _("Channel enabled."))


@get(f"{BASE}/{{channel_id:int}}/delete", guards=GUARD)
async def channel_delete_confirm(request: Request, channel_id: int) -> Response:
    channel = await _channel(channel_id)
    return await confirm_page(request, _("Remove channel"), _("Remove the channel “%(name)s”? Traffic moves to the"
                              " other channels.", name=channel["name"]), f"{BASE}/{channel_id}/delete", BASE)


@post(f"{BASE}/{{channel_id:int}}/delete", guards=GUARD)
async def channel_delete(request: Request, channel_id: int) -> Response:
    await _channel(channel_id)
    try:
        await channel_config.remove_channel(actor(request), channel_id)
    except Conflict as exc:
        return redirect(request, BASE, str(exc), "error")
    return redirect(request, BASE, _("Channel removed."))


@get("/admin/sms/monitor", guards=MONITOR)
async def monitor_page(request: Request) -> Response:
    return await render(request, "sms/admin/monitor.html", m=await monitor.snapshot(), labels=labels,
                        block="live")


@post("/admin/sms/alerts/{alert_id:int}/ack", guards=MONITOR)
async def alert_ack(request: Request, alert_id: int) -> Response:
    await monitor.acknowledge_alert(actor(request), alert_id)
    return redirect(request, "/admin/sms/monitor", _("Alert acknowledged."))


ROUTES = [channel_list, channel_new, channel_create, channel_edit, channel_update, channel_toggle,
          channel_delete_confirm, channel_delete, monitor_page, alert_ack]
