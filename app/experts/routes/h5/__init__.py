"""The experts' phone pages: the public application (/experts/apply) and the expert's own portal (/h5/expert).
Shared here: the applicant's signed cookie, which names the application this browser proved its phone for."""
from __future__ import annotations

from litestar import Request, Response

from app.config import get_settings
from app.core.security import TokenExpired, TokenInvalid, sign, unsign

APPLY_COOKIE = "tc_exp_apply"
APPLY_DAYS = 7


def application_id(request: Request) -> int | None:
    raw = request.cookies.get(APPLY_COOKIE)
    if not raw:
        return None
    try:
        return int(unsign("exp.apply", raw, max_age=APPLY_DAYS * 86400))
    except (TokenExpired, TokenInvalid, ValueError, TypeError):
        return None


def remember_application(response: Response, app_id: int) -> Response:
    response.set_cookie(APPLY_COOKIE, sign("exp.apply", app_id), httponly=True, samesite="lax", path="/",
                        secure=get_settings().secure_cookies, max_age=APPLY_DAYS * 86400)
    return response


def forget_application(response: Response) -> Response:
    response.delete_cookie(APPLY_COOKIE, path="/")
    return response
