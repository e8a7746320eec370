"""A vote on the phone (OPS-04): the options as checkboxes (radio buttons for a single choice) in a plain form,
what I chose, and the results when the vote's rule shows them; an alumnus proposes a vote for their org or class
(/h5/votes/new?owner=org:12), which waits for its organisers. The device cookie (tc_dev) feeds the per-device
rate limit; the address the per-IP one."""
from __future__ import annotations

import secrets

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.auth import client_ip
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.permissions import PermissionDenied, login_required
from app.core.web import actor, form_data, redirect, render
from app.ops import access, votes
from app.ops.routes import service_errors

DEVICE_COOKIE = "tc_dev"


async def _shown(vote_id: int) -> dict:
    with service_errors():
        row = await votes.get(vote_id)
    if row["status"] in ("draft", "pending"):
        raise NotFoundException()
    return row


async def _page(request: Request, vote: dict, error: str = "", status: int = 200) -> Response:
    who = actor(request)
    return await render(request, "ops/h5/vote.html", vote=vote, options=await votes.options(vote["id"]),
                        mine=await votes.my_choices(who.id, vote["id"]), error=error, status=status,
                        results=await votes.results_for(who if who.id is not None else None, vote["id"]),
                        results_label=votes.RESULTS[vote["results"]])


@get("/h5/votes/{vote_id:int}")
async def vote_page(request: Request, vote_id: int) -> Response:
    response = await _page(request, await _shown(vote_id))
    if not request.cookies.get(DEVICE_COOKIE):
        response.set_cookie(DEVICE_COOKIE, secrets.token_urlsafe(16), max_age=400 * 86400, httponly=True,
                            samesite="lax")
    return response


@post("/h5/votes/{vote_id:int}", guards=[login_required])
async def vote_cast(request: Request, vote_id: int) -> Response:
    vote = await _shown(vote_id)
    chosen = (await form_data(request)).get("option") or []
    chosen = [int(c) for c in (chosen if isinstance(chosen, list) else [chosen]) if str(c).isdigit()]
    try:
        await votes.cast(actor(request), vote_id, chosen, ip=client_ip(request.scope),
                         device=request.cookies.get(DEVICE_COOKIE, ""))
    except Conflict as exc:
        return await _page(request, vote, str(exc), 409)
    return redirect(request, f"/h5/votes/{vote_id}", votes.thanks())


def _owner(raw: str) -> tuple[str, int]:
    kind, _sep, number = (raw or "").partition(":")
    if kind not in ("org", "class") or not number.isdigit():
        raise NotFoundException()
    return kind, int(number)


async def _proposal(request: Request, owner: tuple[str, int], data: dict, errors: dict, status: int = 200):
    return await render(request, "ops/h5/vote_propose.html", owner=f"{owner[0]}:{owner[1]}", data=data,
                        errors=errors, status=status, share_title=_("Propose a vote"))


@get("/h5/votes/new", guards=[login_required])
async def propose_form(request: Request) -> Response:
    owner = _owner(request.query_params.get("owner") or "")
    if not await access.may_initiate(actor(request), owner):
        raise PermissionDenied()
    return await _proposal(request, owner, {"max_choices": "1"}, {})


@post("/h5/votes/new", guards=[login_required])
async def propose(request: Request) -> Response:
    data = await form_data(request)
    owner = _owner(str(data.get("owner") or ""))
    values = {"title": str(data.get("title") or ""), "description": str(data.get("description") or ""),
              "max_choices": str(data.get("max_choices") or "1")}
    if not values["max_choices"].isdigit():
        return await _proposal(request, owner, data, {"max_choices": _("Enter a whole number.")}, 422)
    try:
        with service_errors():
            await votes.propose(actor(request), owner, values, str(data.get("options") or "").splitlines())
    except Invalid as exc:
        return await _proposal(request, owner, data, {exc.field: exc.message}, 422)
    return redirect(request, "/h5", _("Thank you. Your vote opens once the organisers have approved it."))


ROUTES = [propose_form, propose, vote_page, vote_cast]
