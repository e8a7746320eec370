"""Site settings (SUP-11): one grouped page; secrets are write-only."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.permissions import requires
from app.core.web import actor, form_data, redirect, render
from app.support import site_settings


async def _page(request: Request, form, status: int = 200) -> Response:
    return await render(request, "support/admin/settings.html", form=form, sections=site_settings.SECTIONS,
                        status=status)


@get("/admin/settings", guards=[requires("sup.settings.edit")])
async def settings_page(request: Request) -> Response:
    data, hints = await site_settings.form_state()
    return await _page(request, site_settings.settings_form(data, hints))


@post("/admin/settings", guards=[requires("sup.settings.edit")])
async def settings_save(request: Request) -> Response:
    _data, hints = await site_settings.form_state()
    form = site_settings.settings_form(await form_data(request), hints)
    if form.validate():
        try:
            changed = await site_settings.save(actor(request), form.cleaned)
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        else:
            return redirect(request, "/admin/settings", _("Settings saved.") if changed else _("Nothing changed."))
    return await _page(request, form, status=422)


ROUTES = [settings_page, settings_save]
