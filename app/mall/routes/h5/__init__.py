"""The alumni phone pages (WeChat H5) of the mall, and what they share: the guard and the page shell
(layouts/h5.html) context."""
from __future__ import annotations

from litestar import Request, Response

from app.core import web
from app.core.i18n import gettext as _
from app.core.permissions import login_required

H5 = [login_required]



async def h5_confirm(request: Request, title: str, message: str, action: str, cancel: str,
                     reason: bool = False) -> Response:
    """The phone confirm step (web.h5_confirm_page), optionally asking for a reason."""
    return await web.h5_confirm_page(request, title, message, action, cancel, field="reason" if reason else "",
                                     field_label=_("Reason"), required=True, maxlength=200)
