"""Duplicates and merge (REC-11, REC-12): candidate pairs, the side-by-side merge form, the merge."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core import sqlfilter
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, form_data, redirect, render
from app.records import api, dedupe, merge

GUARD = [requires("rec.dedupe")]




@get("/admin/records/duplicates", guards=GUARD)
async def duplicate_list(request: Request) -> Response:
    rule_id = sqlfilter.to_id(request.query_params.get("rule"))
    page = await dedupe.candidate_pairs(actor(request), PageRequest.from_query(request.query_params), rule_id)
    return await render(request, "records/admin/duplicates.html", page=page,
                        rules=await dedupe.rules(enabled_only=True), block="results")


async def _merge_page(request: Request, survivor: int, other: int, error: str = "", status: int = 200,
                      chosen: list[str] | None = None) -> Response:
    try:
        plan = await merge.plan(actor(request), survivor, other)
    except (api.NotFound, Invalid):
        raise NotFoundException() from None
    return await render(request, "records/admin/merge.html", plan=plan, error=error, status=status, chosen=chosen)


@get("/admin/records/merge", guards=GUARD)
async def merge_form(request: Request) -> Response:
    """?a=&b= the pair; ?survivor= which one keeps its id (default: the older record)."""
    a, b = sqlfilter.to_id(request.query_params.get("a")), sqlfilter.to_id(request.query_params.get("b"))
    if not a or not b:  # reached from the menu or a stale link: pick a pair first
        return redirect(request, "/admin/records/duplicates", _("Choose a pair of records to merge."), "info")
    survivor = sqlfilter.to_id(request.query_params.get("survivor"))
    survivor = survivor if survivor in (a, b) else min(a, b)
    return await _merge_page(request, survivor, b if survivor == a else a)


@post("/admin/records/merge", guards=GUARD)
async def merge_submit(request: Request) -> Response:
    data = await form_data(request)
    survivor, other = sqlfilter.to_id(data.get("survivor")), sqlfilter.to_id(data.get("other"))
    if not survivor or not other:
        raise NotFoundException()
    take = data.get("take") or []
    take = take if isinstance(take, list) else [take]
    # radio per field: "take_<code>" = "other" or "survivor"; checkboxes "take" also accepted
    take += [k[len("pick_"):] for k, v in data.items() if k.startswith("pick_") and v == "other"]
    try:
        batch = await merge.merge(actor(request), survivor, other, sorted(set(take)))
    except api.NotFound:
        raise NotFoundException() from None
    except (Invalid, Conflict) as exc:
        message = exc.message if isinstance(exc, Invalid) else str(exc)
        return await _merge_page(request, survivor, other, message, 422, take)
    return redirect(request, f"/admin/records/{survivor}",
                    _("Records merged. The merge can be rolled back in the update log (batch #%(id)s).", id=batch))


ROUTES = [duplicate_list, merge_form, merge_submit]
