"""Dev mailbox: what the local SMTP sink received (dev only, superusers only)."""
from __future__ import annotations

from litestar import Request, Response, get
from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException
from litestar.handlers.base import BaseRouteHandler

from app.config import get_settings
from app.core.pagination import PageRequest
from app.core.permissions import NotAuthenticated, PermissionDenied
from app.core.web import render
from app.support import messages


def dev_superuser(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Outside dev the mailbox does not exist (404); in dev only superusers may read it."""
    if not get_settings().dev:
        raise NotFoundException()
    user = connection.scope.get("user")
    if user is None:
        raise NotAuthenticated()
    if not user.is_superuser:
        raise PermissionDenied()


@get("/admin/dev/mailbox", guards=[dev_superuser])
async def mailbox_list(request: Request) -> Response:
    page = await messages.list_dev_mail(PageRequest.from_query(request.query_params))
    return await render(request, "support/admin/mailbox.html", page=page, block="results")


@get("/admin/dev/mailbox/{mail_id:int}", guards=[dev_superuser])
async def mailbox_detail(request: Request, mail_id: int) -> Response:
    mail = await messages.get_dev_mail(mail_id)
    if mail is None:
        raise NotFoundException()
    return await render(request, "support/admin/mailbox_mail.html", mail=mail)


ROUTES = [mailbox_list, mailbox_detail]
