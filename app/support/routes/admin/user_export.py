"""User list export (REC-10 for SUP-02's list): the list's filters and chosen columns, xlsx or csv,
masked for the viewer (SUP-16), watermarked with who exported it (SUP-15), audited."""
from __future__ import annotations

from datetime import datetime

from litestar import Request, Response, get

from app.core import audit, exports
from app.core.i18n import gettext as _
from app.core.permissions import requires
from app.core.web import actor
from app.support import users
from app.support.forms import USER_KINDS


def user_columns() -> list[tuple[str, str]]:
    """Same keys as the users list table, so its `cols` choice carries over."""
    return [("username", _("Username")), ("name", _("Name")), ("org_name", _("Org")), ("roles", _("Roles")),
            ("phone", _("Phone")), ("email", _("Email")), ("kind", _("User kind")), ("is_active", _("Status")),
            ("last_login_at", _("Last login")), ("created_at", _("Created at"))]


USER_MASK = {"name": "name", "phone": "phone", "email": "email"}


def _row(row: dict, kinds: dict) -> dict:
    return {**row, "kind": str(kinds.get(row["kind"], row["kind"])),
            "is_active": _("Active") if row["is_active"] else _("Disabled")}


@get("/admin/users/export", guards=[requires("sup.user.export")])
async def user_export(request: Request) -> Response:
    act, viewer = actor(request), request.scope["user"]
    filters = users.UserFilters.from_query(request.query_params)
    columns = exports.choose_columns(user_columns(), request.query_params.getall("cols", []))
    fmt = "csv" if request.query_params.get("fmt") == "csv" else "xlsx"
    rows = await exports.collect_pages(lambda page: users.list_users(act, filters, page),
                                       sort=request.query_params.get("sort") or "")
    kinds = dict(USER_KINDS)
    await audit.record(act, "export", "user", "", summary=f"{len(rows)} rows, {fmt}, columns: "
                       f"{','.join(k for k, _label in columns)}, filters: {filters}")
    name = _("users-%(date)s", date=datetime.now().strftime("%Y%m%d-%H%M"))
    return exports.export_response(name, columns, (_row(r, kinds) for r in rows), fmt, viewer, USER_MASK,
                                   exports.watermark_text(viewer))


ROUTES = [user_export]
