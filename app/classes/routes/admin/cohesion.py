"""Cohesion ranking admin pages (CLS-06/07): the ranking of the classes in the admin's scope (college filter),
the weighted rules (audited), and "Recompute now"."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.classes import classes, cohesion
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.permissions import requires
from app.core.web import actor, form_data, int_param, redirect, render

RULES = [requires("classes.rules.edit")]
BASE = "/admin/classes/cohesion"


@get(BASE, guards=[requires("classes.view")])
async def ranking(request: Request) -> Response:
    who = actor(request)
    college = int_param(request.query_params.get("college"))
    return await render(request, "classes/admin/ranking.html", rows=await cohesion.scoped_ranking(who, college),
                        colleges=await classes.college_choices(who), college=college)


async def _rules_page(request: Request, values: dict | None = None, errors: dict | None = None,
                      status: int = 200) -> Response:
    return await render(request, "classes/admin/rules.html", rules=await cohesion.rules(), values=values or {},
                        errors=errors or {}, status=status)


@get(f"{BASE}/rules", guards=RULES)
async def rules(request: Request) -> Response:
    return await _rules_page(request)


@post(f"{BASE}/rules", guards=RULES)
async def rules_save(request: Request) -> Response:
    data = await form_data(request)
    values = {f: {"weight": data.get(f"weight_{f}", ""), "scale": data.get(f"scale_{f}", ""),
                  "enabled": data.get(f"enabled_{f}") == "on"} for f in cohesion.FACTORS}
    try:
        changed = await cohesion.save_rules(actor(request), values)
    except Invalid as exc:
        return await _rules_page(request, values, {exc.field or "__all__": exc.message}, status=422)
    message = _("Rules saved. Recompute to apply them now.") if changed else _("Nothing changed.")
    return redirect(request, f"{BASE}/rules", message)


@post(f"{BASE}/run", guards=RULES)
async def run_now(request: Request) -> Response:
    job_id = await cohesion.start(actor(request))
    target = f"/admin/jobs/{job_id}" if request.scope["user"].can("sup.job.view") else f"{BASE}/rules"
    return redirect(request, target, _("Cohesion recompute started."))


ROUTES = [ranking, rules, rules_save, run_now]
