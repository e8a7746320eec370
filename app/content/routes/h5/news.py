"""The HQ news site on a phone (ORG-05): published HQ articles, headlines and pinned ones first, each page with
its WeChat share card (title, summary, cover) and the comment thread. Public: no login needed to read."""
from __future__ import annotations

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException

from app.content import articles, comments
from app.content.hq import HQ
from app.content.routes import http_errors
from app.core import settings_store
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.web import actor, render


@get("/h5/news")
async def news_list(request: Request) -> Response:
    params = request.query_params
    flag = params.get("flag") if params.get("flag") in articles.FLAGS else None
    page = await articles.list_articles(HQ, status="published", flag=flag, q=params.get("q") or "",
                                        req=PageRequest.from_query(params))
    headlines = [] if flag or page.page > 1 else (await articles.list_articles(
        HQ, status="published", flag="headline", req=PageRequest(per_page=20))).items[:3]
    site = await settings_store.get("site.name")
    return await render(request, "content/h5/news_list.html", page=page, headlines=headlines, flag=flag or "",
                        q=params.get("q") or "", share_title=_("News"),
                        share_description=_("News from %(site)s", site=site))


@get("/h5/news/{article_id:int}")
async def news_detail(request: Request, article_id: int) -> Response:
    with http_errors():
        article = await articles.get_article(article_id)
    if article["owner"] != HQ or article["status"] != "published":
        raise NotFoundException()
    await articles.record_view(article_id)
    who = actor(request)
    thread = await comments.list_comments("article", article_id, who)
    return await render(request, "content/h5/news_detail.html", article=article, comments=thread,
                        share_title=article["title"], share_description=article["summary"],
                        **({"share_image": article["cover_url"]} if article["cover_url"] else {}))


ROUTES = [news_list, news_detail]
