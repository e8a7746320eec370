"""The public cohesion ranking (CLS-06: 校友可以查看各个班级的凝聚力排名) and a class's breakdown, which
explains every point. Open to anyone (no personal data: class names, scores and counts only), so it can be
shared in WeChat."""
from __future__ import annotations

from litestar import Request, Response, get

from app.classes import classes, cohesion
from app.classes.routes.h5 import class_or_404, share
from app.core.i18n import gettext as _
from app.core.web import int_param, render

TOP_CHOICES = (10, 20, 50, 100)


@get("/h5/classes/ranking")
async def ranking(request: Request) -> Response:
    params = request.query_params
    college = int_param(params.get("college"))
    top = int_param(params.get("top")) or 20
    top = top if top in TOP_CHOICES else 20
    return await render(request, "classes/h5/ranking.html", rows=await cohesion.ranking(college, top),
                        colleges=await classes.college_choices(), college=college, top=top, tops=TOP_CHOICES,
                        share_title=_("Class cohesion ranking"))


@get("/h5/classes/{class_id:int}/cohesion")
async def breakdown(request: Request, class_id: int) -> Response:
    klass = await class_or_404(class_id)
    return await render(request, "classes/h5/cohesion.html", klass=klass, b=await cohesion.breakdown(class_id),
                        **share(klass))


ROUTES = [ranking, breakdown]
