"""Admin pages of applications (EXP-10, EXP-12): the queue per status with the level each waits at, the
application with its recommender and every level's decision, and the decision form of the current level."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.permissions import requires
from app.core.web import actor, form_data, redirect, render
from app.experts import applications, approvals, experts, taxonomy

BASE = "/admin/experts/applications"
VIEW = [requires("exp.application.view")]
STATUSES = ("pending", "approved", "rejected", "draft")


@get(BASE, guards=VIEW)
async def application_list(request: Request) -> Response:
    status = request.query_params.get("status", "pending")
    status = status if status in STATUSES else "pending"
    return await render(request, "experts/admin/applications.html", rows=await applications.queue(actor(request),
                                                                                                  status),
                        current=status, statuses=STATUSES)


async def _detail(request: Request, app_id: int, error: str = "", note: str = "", code: int = 200) -> Response:
    try:
        row = await applications.get(app_id)
    except applications.NotFound:
        raise NotFoundException() from None
    viewer = actor(request)
    chain = await approvals.chain()
    permission = chain[min(row["level"], len(chain) - 1)]
    shown = experts.masked(viewer, {"phone": row["phone"], "email": row["email"]})
    return await render(request, "experts/admin/application.html", row=row, shown=shown,
                        field_labels=await taxonomy.labels([int(v) for v in row["data"].get("fields", [])]),
                        decisions=await applications.decisions(app_id), level_name=approvals.level_name(permission),
                        chain=[approvals.level_name(p) for p in chain],
                        can_decide=row["status"] == "pending" and viewer.can(permission), error=error, note=note,
                        status=code)


@get(f"{BASE}/{{app_id:int}}", guards=VIEW)
async def application_detail(request: Request, app_id: int) -> Response:
    return await _detail(request, app_id)


@post(f"{BASE}/{{app_id:int}}/decide", guards=VIEW)
async def application_decide(request: Request, app_id: int) -> Response:
    data = await form_data(request)
    approve = data.get("decision") == "approve"
    try:
        expert_id = await applications.decide(actor(request), app_id, approve, data.get("note", ""))
    except applications.NotFound:
        raise NotFoundException() from None
    except Invalid as exc:
        return await _detail(request, app_id, exc.message, data.get("note", ""), 422)
    except Conflict as exc:
        return redirect(request, f"{BASE}/{app_id}", str(exc), "error")
    if expert_id:
        return redirect(request, f"/admin/experts/{expert_id}", _("Approved: the applicant is now a formal expert."))
    return redirect(request, BASE, _("Decision saved."))


ROUTES = [application_list, application_detail, application_decide]
