"""Alumni H5 pages of the support core: "my account" inside WeChat (phone-first, no JS needed), the
alumni's landing page after registration and login, with every module's H5 pages one tap away (the
modules declare them: Module.h5_links)."""
from litestar import Request, Response, get

from app.core import modules
from app.core.permissions import login_required
from app.core.web import render
from app.support import inbox, users


@get("/h5", guards=[login_required])
async def h5_home(request: Request) -> Response:
    user = request.scope["user"]
    return await render(request, "support/h5/me.html", profile=await users.get_profile(user.id),
                        messages=await inbox.latest(user.id, 5), links=await modules.all_h5_links(),
                        share_title=None, share_description=None)


ROUTES = [h5_home]
