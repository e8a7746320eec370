"""The expert's leave periods and avoidance units on the phone (EXP-05, EXP-06): one page, plain forms."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.permissions import login_required
from app.core.web import actor, form_data, redirect, render
from app.experts import availability, experts

H5 = [login_required]
BASE = "/h5/expert/availability"


async def _page(request: Request, expert: dict, errors: dict | None = None, data: dict | None = None,
                status: int = 200) -> Response:
    return await render(request, "experts/h5/availability.html", expert=expert, errors=errors or {},
                        data=data or {}, leaves=await availability.leaves(expert["id"]),
                        units=await availability.units(expert["id"]), status=status,
                        share_title=_("Leave and avoidance"))


async def _own(request: Request) -> dict | None:
    expert = await experts.for_user(request.user.id)
    return expert if expert and expert["status"] == "formal" else None


@get(BASE, guards=H5)
async def availability_page(request: Request) -> Response:
    expert = await _own(request)
    return await _page(request, expert) if expert else redirect(request, "/h5/expert")


@post(f"{BASE}/{{what:str}}", guards=H5)
async def availability_save(request: Request, what: str) -> Response:
    expert = await _own(request)
    if expert is None:
        return redirect(request, "/h5/expert")
    data = await form_data(request)
    try:
        if what == "leave":
            await availability.add_leave(actor(request), expert["id"], data)
        elif what == "unit":
            await availability.add_unit(actor(request), expert["id"], data)
        elif what == "cancel-leave" and str(data.get("id", "")).isdigit():
            await availability.cancel_leave(actor(request), expert["id"], int(data["id"]))
        elif what == "remove-unit" and str(data.get("id", "")).isdigit():
            await availability.remove_unit(actor(request), expert["id"], int(data["id"]))
    except Invalid as exc:
        return await _page(request, expert, {exc.field: exc.message}, data, 422)
    return redirect(request, BASE, _("Saved."))


ROUTES = [availability_page, availability_save]
