"""Votes on the desktop (OPS-04): the list, a new vote (window, choices per person, verified only, when results
show), its options, open / close behind confirm pages, and the results as a bar chart."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core import db
from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, redirect, render
from app.ops import access, votes
from app.ops.routes import service_errors

BASE = "/admin/ops/votes"
GUARD = [requires(access.MANAGE)]
FIELDS = [Field("title", L("Title"), required=True, max_length=200),
          Field("description", L("Description"), "textarea", max_length=2000),
          Field("starts_at", L("Starts"), "datetime"), Field("ends_at", L("Ends"), "datetime"),
          Field("max_choices", L("Options each person may choose"), "int", required=True, min_value=1, max_value=50),
          Field("verified_only", L("Verified alumni only"), "checkbox"),
          Field("results", L("Results shown"), "select", required=True, choices=list(votes.RESULTS.items()))]
OPTION_FIELDS = [Field("label", L("Option"), required=True, max_length=200)]


async def _vote(vote_id: int) -> dict:
    with service_errors():
        return await votes.get(vote_id)


@get(BASE, guards=GUARD)
async def vote_list(request: Request) -> Response:
    rows = await db.fetch("SELECT v.*, (SELECT count(DISTINCT b.\"user\") FROM ops_ballot b WHERE b.vote = v.id)"
                          " AS voters FROM ops_vote v ORDER BY v.id DESC LIMIT 200")
    return await render(request, "ops/admin/votes.html", rows=rows, statuses=votes.STATUSES,
                        form=Form(FIELDS, data={"max_choices": "1", "results": "live"}))


@post(BASE, guards=GUARD)
async def vote_create(request: Request) -> Response:
    form = Form(FIELDS, data=await form_data(request))
    if form.validate():
        try:
            vote_id = await votes.create(actor(request), form.cleaned)
            return redirect(request, f"{BASE}/{vote_id}", _("Vote created: add its options."))
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
    return await render(request, "ops/admin/votes.html", rows=[], statuses=votes.STATUSES, form=form, status=422)


async def _page(request: Request, vote: dict, form: Form | None = None, status: int = 200) -> Response:
    results = await votes.results_for(actor(request), vote["id"]) or []
    chart = [{"label": r["label"], "value": r["ballots"]} for r in results]
    return await render(request, "ops/admin/vote.html", vote=vote, options=await votes.options(vote["id"]),
                        chart=chart, results_label=votes.RESULTS[vote["results"]], status=status,
                        form=form or Form(OPTION_FIELDS))


@get(f"{BASE}/{{vote_id:int}}", guards=GUARD)
async def vote_page(request: Request, vote_id: int) -> Response:
    return await _page(request, await _vote(vote_id))


@post(f"{BASE}/{{vote_id:int}}/options", guards=GUARD)
async def option_add(request: Request, vote_id: int) -> Response:
    vote = await _vote(vote_id)
    data = await form_data(request)
    form = Form(OPTION_FIELDS, data=data)
    upload = data.get("image")
    if form.validate():
        try:
            image = (upload.filename, await upload.read()) if getattr(upload, "filename", None) else None
            await votes.add_option(actor(request), vote_id, form.cleaned["label"], image)
            return redirect(request, f"{BASE}/{vote_id}", _("Option added."))
        except Invalid as exc:
            form.add_error("label" if exc.field == "label" else "", exc.message)
        except Conflict as exc:
            form.add_error("", str(exc))
    return await _page(request, vote, form, 422)


@get(f"{BASE}/{{vote_id:int}}/{{action:str}}", guards=GUARD)
async def vote_confirm(request: Request, vote_id: int, action: str) -> Response:
    vote = await _vote(vote_id)
    if action not in ("open", "close"):
        raise NotFoundException()
    message = _("Open “%(title)s” for voting? Its options are then fixed.") if action == "open" \
        else _("Close “%(title)s”? No more ballots are accepted.")
    return await confirm_page(request, _("Vote"), message % {"title": vote["title"]}, f"{BASE}/{vote_id}/{action}",
                              f"{BASE}/{vote_id}")


@post(f"{BASE}/{{vote_id:int}}/{{action:str}}", guards=GUARD)
async def vote_action(request: Request, vote_id: int, action: str) -> Response:
    await _vote(vote_id)
    if action in ("approve", "reject"):  # an alumnus's proposal (OPS-04)
        try:
            with service_errors():
                await votes.decide(actor(request), vote_id, action == "approve",
                                   (await form_data(request)).get("reason") or "")
        except (Conflict, Invalid) as exc:
            return redirect(request, f"{BASE}/{vote_id}", exc.message if isinstance(exc, Invalid) else str(exc),
                            "error")
        return redirect(request, f"{BASE}/{vote_id}", _("Vote opened.") if action == "approve"
                        else _("The proposal was turned down."))
    if action not in ("open", "close"):
        raise NotFoundException()
    try:
        await votes.set_status(actor(request), vote_id, "open" if action == "open" else "closed")
    except Conflict as exc:
        return redirect(request, f"{BASE}/{vote_id}", str(exc), "error")
    return redirect(request, f"{BASE}/{vote_id}", _("Vote opened.") if action == "open" else _("Vote closed."))


ROUTES = [vote_list, vote_create, vote_page, option_add, vote_confirm, vote_action]
