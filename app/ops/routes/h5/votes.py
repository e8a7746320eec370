"""A vote on the phone (OPS-04): the options as checkboxes (radio buttons for a single choice) in a plain form,
what I chose, and the results when the vote's rule shows them. The device cookie (tc_dev) feeds the per-device
rate limit; the address the per-IP one."""
from __future__ import annotations

import secrets

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.auth import client_ip
from app.core.forms import Conflict
from app.core.permissions import login_required
from app.core.web import actor, form_data, redirect, render
from app.ops import votes
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


ROUTES = [vote_page, vote_cast]
