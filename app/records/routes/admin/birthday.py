"""Birthday greetings settings (REC-14): on/off, channels, send hour; run now; recent greetings."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.permissions import requires
from app.core.web import actor, form_data, redirect, render
from app.records import birthday

GUARD = [requires("rec.birthday.edit")]


async def _page(request: Request, settings: dict, errors: dict | None = None, status: int = 200) -> Response:
    return await render(request, "records/admin/birthday.html", settings=settings, errors=errors or {}, status=status,
                        channels=birthday.channel_choices(), recent=await birthday.recent(actor(request)),
                        today=await birthday.today_count(), template_code=birthday.TEMPLATE)


@get("/admin/records/birthday", guards=GUARD)
async def birthday_settings(request: Request) -> Response:
    return await _page(request, await birthday.get_settings())


@post("/admin/records/birthday", guards=GUARD)
async def birthday_save(request: Request) -> Response:
    data = await form_data(request)
    channels = data.get("channels") or []
    channels = channels if isinstance(channels, list) else [channels]
    enabled = data.get("enabled") in ("on", "1")
    try:
        await birthday.save_settings(actor(request), enabled, channels, data.get("hour"))
    except Invalid as exc:
        return await _page(request, {"enabled": enabled, "channels": channels, "hour": data.get("hour")},
                           {exc.field: exc.message}, status=422)
    return redirect(request, "/admin/records/birthday", _("Birthday greeting settings saved."))


@post("/admin/records/birthday/run", guards=GUARD)
async def birthday_run_now(request: Request) -> Response:
    """Greet today's birthdays now (still once per person and year)."""
    job_id = await birthday.start_run(request.scope["user"].id)
    target = f"/admin/jobs/{job_id}" if request.scope["user"].can("sup.job.view") else "/admin/records/birthday"
    return redirect(request, target, _("Birthday greetings started."))


ROUTES = [birthday_settings, birthday_save, birthday_run_now]
