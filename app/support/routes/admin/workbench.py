"""Admin workbench: the shell's shared data (menu, counts, watermark) and the todo inbox (SUP-06)."""
from __future__ import annotations

from datetime import date
from urllib.parse import quote

from litestar import Request, Response, get

from app.core import menus, notify, sessions, settings_store, todos
from app.core.i18n import current_locale
from app.core.pagination import PageRequest
from app.core.permissions import PermissionDenied, login_required, requires
from app.core.web import redirect, render
from app.support.routes import H5_HOME, is_alumnus


def watermark_url(user) -> str:
    """SUP-15: a tiled SVG with the viewer's name, account and date, as a CSS background (no JS)."""
    text = f"{user.display} {user.username} {date.today().isoformat()}"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    svg = ("<svg xmlns='http://www.w3.org/2000/svg' width='320' height='200'>"
           "<text x='10' y='120' transform='rotate(-25 160 100)' fill='rgba(0,0,0,0.07)' "
           f"font-size='15' font-family='sans-serif'>{text}</text></svg>")
    return "data:image/svg+xml;charset=utf-8," + quote(svg)


async def shell_context(request: Request) -> dict:
    settings = await settings_store.all_settings()
    user = request.scope.get("user")
    ctx = {"site_name": settings["site.name"], "site_copyright": settings["site.copyright"],
           "site_icp": settings["site.icp"], "in_wechat": "MicroMessenger" in request.headers.get("user-agent", "")}
    if user is not None and request.url.path.startswith("/admin"):
        # computed once per user (and page, for the menu), until a write changes them (sessions.shell_changed)
        path = request.url.path
        ctx.update(menu_html=await sessions.shell_value(user.id, ("menu", current_locale.get(), path),
                                                        lambda: _menu_html(user, path)),
                   todo_count=await sessions.shell_value(user.id, "todos", lambda: todos.count_open(user)),
                   unread_count=await sessions.shell_value(user.id, "unread", lambda: notify.unread_count(user.id)),
                   watermark=watermark_url(user))
    return ctx


async def _menu_html(user, path: str):
    return menus.render_html(await menus.menu_for(user, path))


@get("/admin", guards=[login_required])
async def workbench(request: Request) -> Response:
    user = request.scope["user"]
    if is_alumnus(user):  # an alumnus typing /admin (or sent here after login) goes to the H5 home, not a 403
        return redirect(request, H5_HOME)
    if not user.can("sup.admin"):
        raise PermissionDenied()
    page = await todos.list_todos(user, "open", "", PageRequest(per_page=20))
    return await render(request, "support/admin/workbench.html", todos=page)


@get("/admin/todos", guards=[requires("sup.admin")])
async def todo_list(request: Request) -> Response:
    user = request.scope["user"]
    status = request.query_params.get("status") or "open"
    kind = request.query_params.get("kind") or ""
    page = await todos.list_todos(user, status, kind, PageRequest.from_query(request.query_params))
    return await render(request, "support/admin/todos.html", page=page,
                        kind_options=[(k, k) for k in await todos.kinds()], block="results")


ROUTES = [workbench, todo_list]
