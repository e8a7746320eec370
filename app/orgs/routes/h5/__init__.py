"""The alumni's phone pages of the associations (WeChat H5): "my associations", the micro-sites /o/<address> and
the org admin on the phone; what they share: the page shell (layouts/h5.html) context and the confirm page."""
from __future__ import annotations

from litestar import Request, Response

from app.core import web
from app.core.i18n import gettext as _
from app.core.permissions import login_required

H5 = [login_required]



async def h5_confirm(request: Request, title: str, message: str, action: str, cancel: str, *,
                     reason: bool = False, reason_value: str = "", error: str = "", status: int = 200,
                     fields: dict | None = None) -> Response:
    """A confirm step on the phone (works without JS), optionally asking for a reason; `fields` are hidden inputs."""
    return await web.h5_confirm_page(request, title, message, action, cancel, field="reason" if reason else "",
                                     field_label=_("Reason"), required=True, value=reason_value, error=error,
                                     hidden=fields, status=status)
