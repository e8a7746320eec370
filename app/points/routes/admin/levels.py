"""Member levels admin (MALL-03): list with member counts, create/edit (built-in or uploaded icon), delete."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.i18n import gettext as _
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, redirect, render, submit
from app.points import levels

GUARD = [requires("pts.level.edit")]
BASE = "/admin/points/levels"


async def _load(level_id: int) -> dict:
    try:
        return await levels.get_level(level_id)
    except levels.NotFound:
        raise NotFoundException() from None


@get(BASE, guards=GUARD)
async def level_list(request: Request) -> Response:
    return await render(request, "points/admin/levels.html", rows=await levels.list_levels())


async def _form_page(request: Request, form, level: dict | None = None, status: int = 200) -> Response:
    return await render(request, "points/admin/level_form.html", form=form, level=level, status=status,
                        icons=levels.BUILTIN_ICONS)


@get(f"{BASE}/new", guards=GUARD)
async def level_new(request: Request) -> Response:
    return await _form_page(request, levels.level_form({"builtin": "bronze"}))


@post(BASE, guards=GUARD)
async def level_create(request: Request) -> Response:
    form = levels.level_form(await form_data(request))
    done = await submit(request, form, lambda cleaned: levels.create_level(actor(request), cleaned), BASE,
                        _("Level created."))
    return done or await _form_page(request, form, status=422)


@get(f"{BASE}/{{level_id:int}}", guards=GUARD)
async def level_edit(request: Request, level_id: int) -> Response:
    level = await _load(level_id)
    builtin = level["icon"].removeprefix("builtin:") if level["icon"].startswith("builtin:") else ""
    return await _form_page(request, levels.level_form({**level, "builtin": builtin}), level)


@post(f"{BASE}/{{level_id:int}}", guards=GUARD)
async def level_update(request: Request, level_id: int) -> Response:
    level = await _load(level_id)
    form = levels.level_form(await form_data(request))
    done = await submit(request, form, lambda cleaned: levels.update_level(actor(request), level_id, cleaned), BASE,
                        _("Level saved."))
    return done or await _form_page(request, form, level, status=422)


@get(f"{BASE}/{{level_id:int}}/delete", guards=GUARD)
async def level_delete_confirm(request: Request, level_id: int) -> Response:
    level = await _load(level_id)
    return await confirm_page(request, _("Delete level"),
                              _("Delete the level “%(name)s”? Members at this level move to the level below.",
                                name=level["name"]), f"{BASE}/{level_id}/delete", BASE)


@post(f"{BASE}/{{level_id:int}}/delete", guards=GUARD)
async def level_delete(request: Request, level_id: int) -> Response:
    try:
        await levels.delete_level(actor(request), level_id)
    except levels.NotFound:
        raise NotFoundException() from None
    return redirect(request, BASE, _("Level deleted."))


ROUTES = [level_list, level_new, level_create, level_edit, level_update, level_delete_confirm, level_delete]
