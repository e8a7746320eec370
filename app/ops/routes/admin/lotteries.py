"""Lucky draws on the desktop (OPS-07): the list, a new lottery, its prizes (stock, chance), open (the seed's hash
is published) and close (the seed is revealed) behind confirm pages, and the winners."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core import db
from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, redirect, render
from app.ops import access, lottery
from app.ops.routes import service_errors

BASE = "/admin/ops/lotteries"
GUARD = [requires(access.MANAGE)]
FIELDS = [Field("title", L("Title"), required=True, max_length=200),
          Field("description", L("Description"), "textarea", max_length=2000),
          Field("style", L("Shown as"), "select", required=True, choices=list(lottery.STYLES.items())),
          Field("starts_at", L("Starts"), "datetime"), Field("ends_at", L("Ends"), "datetime"),
          Field("per_user", L("Draws per person"), "int", required=True, min_value=1, max_value=100),
          Field("per_day", L("Draws per person per day"), "int", required=True, min_value=1, max_value=100),
          Field("verified_only", L("Verified alumni only"), "checkbox")]
PRIZE_FIELDS = [Field("name", L("Prize"), required=True, max_length=100),
                Field("stock", L("Stock"), "int", required=True, min_value=1, max_value=1_000_000),
                Field("chance", L("Chance (basis points, 100 = 1%)"), "int", required=True, min_value=1,
                      max_value=lottery.BASIS)]


async def _lottery(lottery_id: int) -> dict:
    with service_errors():
        return await lottery.get(lottery_id)


@get(BASE, guards=GUARD)
async def lottery_list(request: Request) -> Response:
    rows = await db.fetch("SELECT l.*, (SELECT count(*) FROM ops_lottery_draw d WHERE d.lottery = l.id) AS drawn"
                          " FROM ops_lottery l ORDER BY l.id DESC LIMIT 200")
    return await render(request, "ops/admin/lotteries.html", rows=rows, statuses=lottery.STATUSES,
                        form=Form(FIELDS, data={"style": "wheel", "per_user": "1", "per_day": "1"}))


@post(BASE, guards=GUARD)
async def lottery_create(request: Request) -> Response:
    form = Form(FIELDS, data=await form_data(request))
    if form.validate():
        try:
            lottery_id = await lottery.create(actor(request), form.cleaned)
            return redirect(request, f"{BASE}/{lottery_id}", _("Lottery created: add its prizes."))
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
    return await render(request, "ops/admin/lotteries.html", rows=[], statuses=lottery.STATUSES, form=form,
                        status=422)


async def _page(request: Request, row: dict, form: Form | None = None, status: int = 200) -> Response:
    return await render(request, "ops/admin/lottery.html", lottery=row, prizes=await lottery.prizes(row["id"]),
                        winners=await lottery.winners(row["id"]), status=status,
                        form=form or Form(PRIZE_FIELDS, data={"stock": "1", "chance": "1000"}))


@get(f"{BASE}/{{lottery_id:int}}", guards=GUARD)
async def lottery_page(request: Request, lottery_id: int) -> Response:
    return await _page(request, await _lottery(lottery_id))


@post(f"{BASE}/{{lottery_id:int}}/prizes", guards=GUARD)
async def prize_add(request: Request, lottery_id: int) -> Response:
    row = await _lottery(lottery_id)
    form = Form(PRIZE_FIELDS, data=await form_data(request))
    if form.validate():
        try:
            await lottery.add_prize(actor(request), lottery_id, form.cleaned["name"], form.cleaned["stock"],
                                    form.cleaned["chance"])
            return redirect(request, f"{BASE}/{lottery_id}", _("Prize added."))
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        except Conflict as exc:
            form.add_error("", str(exc))
    return await _page(request, row, form, 422)


@get(f"{BASE}/{{lottery_id:int}}/{{action:str}}", guards=GUARD)
async def lottery_confirm(request: Request, lottery_id: int, action: str) -> Response:
    row = await _lottery(lottery_id)
    if action not in ("open", "close"):
        raise NotFoundException()
    message = (_("Open “%(title)s”? The prizes are then fixed and the seed's hash is published.") if action == "open"
               else _("Close “%(title)s”? Draws end and the seed is revealed for checking."))
    return await confirm_page(request, _("Lottery"), message % {"title": row["title"]},
                              f"{BASE}/{lottery_id}/{action}", f"{BASE}/{lottery_id}")


@post(f"{BASE}/{{lottery_id:int}}/{{action:str}}", guards=GUARD)
async def lottery_action(request: Request, lottery_id: int, action: str) -> Response:
    await _lottery(lottery_id)
    try:
        if action == "open":
            await lottery.open_lottery(actor(request), lottery_id)
        elif action == "close":
            await lottery.close_lottery(actor(request), lottery_id)
        else:
            raise NotFoundException()
    except Conflict as exc:
        return redirect(request, f"{BASE}/{lottery_id}", str(exc), "error")
    return redirect(request, f"{BASE}/{lottery_id}", _("Lottery opened.") if action == "open"
                    else _("Lottery closed: the seed is published."))


ROUTES = [lottery_list, lottery_create, lottery_page, prize_add, lottery_confirm, lottery_action]
