"""Admin pages of the SMS platform. Helpers shared by several of its route files live here."""
from __future__ import annotations

from litestar import Request
from litestar.exceptions import NotFoundException

from app.core.web import actor
from app.sms import accounts as account_service  # `accounts` here would be the route file once it loads


async def account_or_404(request: Request, account_id: int) -> dict:
    """The account if the viewer's scope holds it; 404 otherwise (an id outside the scope is not confirmed)."""
    try:
        return await account_service.get(actor(request), account_id)
    except account_service.NotFound:
        raise NotFoundException() from None
