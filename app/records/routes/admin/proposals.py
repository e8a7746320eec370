"""The review todo's action page (REC-15): proposed changes of an alumnus next to the record's current
values; apply the ticked ones or reject them all. Acting closes the todo."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.permissions import requires
from app.core.web import actor, form_data, redirect, render
from app.records import api, auto_update

GUARD = [requires("rec.person.edit")]


async def _page(request: Request, proposal_id: int, error: str = "", status: int = 200) -> Response:
    try:
        proposal = await auto_update.get_proposal(actor(request), proposal_id)
    except api.NotFound:
        raise NotFoundException() from None
    return await render(request, "records/admin/proposal.html", proposal=proposal, error=error, status=status)


@get("/admin/records/proposals/{proposal_id:int}", guards=GUARD)
async def proposal_page(request: Request, proposal_id: int) -> Response:
    return await _page(request, proposal_id)


@post("/admin/records/proposals/{proposal_id:int}", guards=GUARD)
async def proposal_decide(request: Request, proposal_id: int) -> Response:
    data = await form_data(request)
    accept = data.get("accept") or []
    accept = accept if isinstance(accept, list) else [accept]
    if data.get("decision") == "reject":
        accept = []
    elif not accept:
        return await _page(request, proposal_id, _("Tick the values to apply, or reject the proposal."), 422)
    try:
        applied = await auto_update.decide(actor(request), proposal_id, accept)
    except api.NotFound:
        raise NotFoundException() from None
    except (Invalid, Conflict) as exc:
        return await _page(request, proposal_id, exc.message if isinstance(exc, Invalid) else str(exc), 422)
    message = _("The proposed values were applied.") if applied else _("The proposal was rejected.")
    return redirect(request, f"/admin/records/proposals/{proposal_id}", message)


ROUTES = [proposal_page, proposal_decide]
