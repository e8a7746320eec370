"""Order timeouts (MALL-06), scheduled every minute: cancel unpaid orders after the payment deadline
(stock and points come back), confirm receipt N days after shipping, complete unreviewed orders N days
after receipt. Each transition is its own transaction, so one failure does not hold up the rest."""
from __future__ import annotations

from app.core import jobs
from app.mall import orders

jobs.schedule("mall.order_timeouts", "mall.order_timeouts", 60)


@jobs.handler("mall.order_timeouts")
async def order_timeouts(ctx: jobs.JobContext) -> dict:
    return {"cancelled": await orders.cancel_unpaid_orders(),
            "confirmed": await orders.confirm_overdue_receipts(),
            "completed": await orders.complete_unreviewed_orders()}
