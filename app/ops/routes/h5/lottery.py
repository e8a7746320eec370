"""A lucky draw on the phone (OPS-07): the wheel or nine-grid with the prizes, draws left, and the draw button —
a plain form that answers with the result page without JS; with JS (static/js/ops-lottery.js) the wheel spins to
the slot the server chose before the result shows. The public check page shows the seed's hash, after closing the
seed and every draw recomputed."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict
from app.core.permissions import login_required
from app.core.web import actor, render
from app.ops import lottery
from app.ops.routes import service_errors


async def _open(lottery_id: int) -> dict:
    with service_errors():
        row = await lottery.get(lottery_id)
    if row["status"] == "draft":
        raise NotFoundException()
    return row


@get("/h5/lottery/{lottery_id:int}")
async def lottery_page(request: Request, lottery_id: int) -> Response:
    row = await _open(lottery_id)
    who = actor(request)
    left = await lottery.allowance(who.id, row) if who.id is not None else None
    return await render(request, "ops/h5/lottery.html", lottery=row, prizes=await lottery.prizes(lottery_id),
                        left=left, result=None, error="")


@post("/h5/lottery/{lottery_id:int}/draw", guards=[login_required])
async def lottery_draw(request: Request, lottery_id: int) -> Response:
    row = await _open(lottery_id)
    who = actor(request)
    try:
        result = await lottery.draw(who, lottery_id)
    except Conflict as exc:
        return await render(request, "ops/h5/lottery.html", lottery=row, prizes=await lottery.prizes(lottery_id),
                            left=await lottery.allowance(who.id, row), result=None, error=str(exc), status=409)
    return await render(request, "ops/h5/lottery.html", lottery=row, prizes=await lottery.prizes(lottery_id),
                        left=await lottery.allowance(who.id, row), result=result, error="")


@get("/h5/lottery/{lottery_id:int}/check")
async def lottery_check(request: Request, lottery_id: int) -> Response:
    row = await _open(lottery_id)
    check = await lottery.verify(lottery_id) if row["status"] == "closed" else None
    log = await lottery.public_log(lottery_id) if row["status"] == "closed" else []
    return await render(request, "ops/h5/lottery_check.html", lottery=row, check=check, log=log,
                        prizes=await lottery.prizes(lottery_id))


ROUTES = [lottery_page, lottery_draw, lottery_check]
