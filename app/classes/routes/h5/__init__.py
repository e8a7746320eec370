"""The class space's phone pages (WeChat H5, no JS needed) and what they share: the guard, the page shell
context with the class's WeChat share card, the confirm page, and the class lookups every page starts with."""
from __future__ import annotations

from litestar import Request, Response
from litestar.exceptions import NotFoundException

from app.classes import classes as class_spaces
from app.core import web
from app.core.i18n import gettext as _
from app.core.permissions import PermissionDenied, login_required
from app.core.web import actor

H5 = [login_required]



def share(klass: dict) -> dict:
    """The WeChat share card of a class page: its name, college and intake year, member count."""
    facts = " · ".join(str(x) for x in (klass.get("college_name"), klass.get("entry_year") and _(
        "%(year)s intake", year=klass["entry_year"]), _("%(n)s members", n=klass.get("members") or 0)) if x)
    return {"share_title": klass["name"], "share_description": facts}


async def class_or_404(class_id: int) -> dict:
    try:
        return await class_spaces.get(class_id)
    except class_spaces.NotFound:
        raise NotFoundException() from None


async def space_or_403(request: Request, class_id: int) -> dict:
    """The class, when the viewer may see its inside (members, liaisons, staff in scope); else 403."""
    klass = await class_or_404(class_id)
    if not await class_spaces.can_view(actor(request), klass):
        raise PermissionDenied()
    return klass


async def h5_confirm(request: Request, title: str, message: str, action: str, cancel: str, *, field: str = "",
                     field_label: str = "", required: bool = False, value: str = "", error: str = "",
                     status: int = 200) -> Response:
    """A confirm step on the phone (POST form), optionally asking for a note or a reason."""
    return await web.h5_confirm_page(request, title, message, action, cancel, field=field, field_label=field_label,
                                     required=required, value=value, error=error, status=status)
