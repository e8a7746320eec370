"""My logins (SUP-05, SUP-08), a phone page: the school logins and WeChat accounts bound to me, when each was
bound and last used, linking another one, and unbinding (with a confirm step; never the last way in)."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict
from app.core.i18n import gettext as _
from app.core.permissions import login_required
from app.core.web import actor, redirect, render
from app.identity import bindings

H5 = [login_required]
BASE = "/h5/me/logins"


@get(BASE, guards=H5)
async def my_logins(request: Request) -> Response:
    page = await bindings.my_logins(request.scope["user"].id)
    return await render(request, "identity/h5/logins.html", **page, share_title=_("My login methods"))


async def _own(request: Request, binding_id: int) -> dict:
    try:
        return await bindings.get_own(request.scope["user"].id, binding_id)
    except bindings.NotFound:
        raise NotFoundException() from None


@get(f"{BASE}/{{binding_id:int}}/unbind", guards=H5)
async def unbind_confirm(request: Request, binding_id: int) -> Response:
    row = await _own(request, binding_id)
    return await render(request, "identity/h5/unbind.html", binding=row, share_title=_("Unlink login"),
                        action=f"{BASE}/{binding_id}/unbind", cancel=BASE)


@post(f"{BASE}/{{binding_id:int}}/unbind", guards=H5)
async def unbind(request: Request, binding_id: int) -> Response:
    await _own(request, binding_id)
    try:
        row = await bindings.unbind_own(actor(request), binding_id)
    except Conflict as exc:
        return redirect(request, BASE, str(exc), "error")
    except bindings.NotFound:
        raise NotFoundException() from None
    return redirect(request, BASE, _("%(provider)s is no longer linked to your account.",
                                     provider=row["provider_name"]))


ROUTES = [my_logins, unbind_confirm, unbind]
