"""WeChat web OAuth (SUP-08): /auth/wechat/<code>/start → WeChat's authorize page → /auth/wechat/<code>/callback.
The login page sends browsers with the MicroMessenger user agent here by itself (app.identity.login_entry)."""
from __future__ import annotations

from litestar import Request, Response, get

from app.identity import sso_login
from app.identity.external import STATE_COOKIE, LoginFailed
from app.identity.routes.sso import conclude, provider_or_404, refused_page, start_response, who


@get("/auth/wechat/{code:str}/start")
async def wechat_start(request: Request, code: str) -> Response:
    return await start_response(request, await provider_or_404(code, ("wechat",)))


@get("/auth/wechat/{code:str}/callback")
async def wechat_callback(request: Request, code: str) -> Response:
    provider = await provider_or_404(code, ("wechat",))
    user = request.scope.get("user")
    try:
        outcome = await sso_login.finish_wechat(provider, dict(request.query_params), *who(request),
                                                browser_state=request.cookies.get(STATE_COOKIE, ""),
                                                current_user=user.id if user else None)
    except LoginFailed as failed:
        return await refused_page(request, provider, failed)
    return await conclude(request, outcome)


ROUTES = [wechat_start, wechat_callback]
