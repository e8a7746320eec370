"""The alumni's phone pages of the associations (WeChat H5): "my associations", the micro-sites /o/<address> and
the org admin on the phone; what they share: the page shell (layouts/h5.html) context and the confirm page."""
from __future__ import annotations

from litestar import Request, Response

from app.config import get_settings
from app.core.permissions import login_required
from app.core.web import render

H5 = [login_required]


def h5_ctx(request: Request) -> dict:
    """What every H5 page passes to its layout: whether it is open inside WeChat (body class "wechat")."""
    return {"in_wechat": "MicroMessenger" in request.headers.get("user-agent", "")}


def absolute(path: str) -> str:
    """A full URL for share cards (WeChat needs the image's absolute address)."""
    return f"{get_settings().public_url()}{path}" if path.startswith("/") else path


async def h5_confirm(request: Request, title: str, message: str, action: str, cancel: str, *,
                     reason: bool = False, reason_value: str = "", error: str = "", status: int = 200,
                     fields: dict | None = None) -> Response:
    """A confirm step on the phone (works without JS), optionally asking for a reason; `fields` are hidden inputs."""
    return await render(request, "orgs/h5/confirm.html", title=title, message=message, action=action, cancel=cancel,
                        reason=reason, reason_value=reason_value, error=error, status=status, hidden=fields or {},
                        share_title=title, **h5_ctx(request))
