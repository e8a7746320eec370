"""The alumni phone pages (WeChat H5) of the mall, and what they share: the guard and the page shell
(layouts/h5.html) context."""
from __future__ import annotations

from litestar import Request, Response

from app.core.permissions import login_required
from app.core.web import render

H5 = [login_required]


def h5_ctx(request: Request) -> dict:
    """What every H5 page passes to its layout: whether it is open inside WeChat (body class "wechat")."""
    return {"in_wechat": "MicroMessenger" in request.headers.get("user-agent", "")}


async def h5_confirm(request: Request, title: str, message: str, action: str, cancel: str,
                     reason: bool = False) -> Response:
    """The phone version of web.confirm_page (layouts/h5.html), optionally asking for a reason."""
    return await render(request, "mall/h5/confirm.html", title=title, message=message, action=action, cancel=cancel,
                        reason=reason, share_title=title, **h5_ctx(request))
