"""The mall's background job handlers, thin: payload → service call → result. Their schedules are in
module.py."""
from __future__ import annotations

from app.core import jobs
from app.mall import orders, print_batches


@jobs.handler(print_batches.KIND)
async def print_orders(ctx: jobs.JobContext) -> dict:
    """A print batch over printing.INLINE_MAX orders (MALL-07)."""
    return await print_batches.run(ctx.id, ctx.payload, ctx.progress)


@jobs.handler("mall.order_timeouts")
async def order_timeouts(ctx: jobs.JobContext) -> dict:
    """Every minute (MALL-06): unpaid orders past the deadline, overdue receipts, unreviewed orders."""
    return await orders.run_timeouts()
