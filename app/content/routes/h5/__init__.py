"""The content platform's phone pages (WeChat H5: the HQ news site, the moderation queue) and their shared
shell context."""
from __future__ import annotations

from litestar import Request


def h5_ctx(request: Request) -> dict:
    """What every H5 page passes to its layout: whether it is open inside WeChat (body class "wechat")."""
    return {"in_wechat": "MicroMessenger" in request.headers.get("user-agent", "")}
