"""Alumni H5 pages of the support core: "my account" inside WeChat (phone-first, no JS needed), the
alumni's landing page after registration and login, with the points mall and their orders one tap away."""
from litestar import Request, Response, get

from app.core.permissions import login_required
from app.core.web import render
from app.support import inbox_summary, users

H5_HOME = "/h5"


def is_alumnus(user) -> bool:
    """Alumni, registered users and visitors without admin rights live on the H5 pages; a staff account
    (kind admin) lacking a permission still gets the 403 page."""
    return not user.can("sup.admin") and user.kind != "admin"


def landing(user) -> str:
    """Where a user lands with no other destination: the workbench for staff, the H5 home for alumni."""
    return H5_HOME if is_alumnus(user) else "/admin"


@get("/h5", guards=[login_required])
async def h5_home(request: Request) -> Response:
    user = request.scope["user"]
    return await render(request, "support/h5/me.html", profile=await users.get_profile(user.id),
                        messages=await inbox_summary.latest(user.id, 5),
                        share_title=None, share_description=None)


ROUTES = [h5_home]
