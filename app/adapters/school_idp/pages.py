"""HTML of the simulator's pages: small, phone-friendly, no JavaScript. Every value goes through markupsafe
(Markup.format escapes its arguments); every text through gettext in the visitor's language."""
from __future__ import annotations

from collections.abc import Iterable

from litestar import Request, Response
from markupsafe import Markup, escape

from app.core import i18n
from app.core.i18n import gettext as _

LANG_COOKIE = "tc_lang"  # the app's language cookie (app.core.auth.LANG_COOKIE): same host, same choice

STYLE = """
body{font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;background:#f3f5f8;color:#222}
main{max-width:420px;margin:0 auto;padding:24px 16px}
.card{background:#fff;border-radius:8px;padding:20px;box-shadow:0 1px 3px rgba(0,0,0,.12);margin-bottom:16px}
h1{font-size:20px;margin:0 0 4px}.brand{color:#666;font-size:13px;margin-bottom:16px}
label{display:block;margin:12px 0 4px;font-size:14px}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:10px;font-size:16px;
border:1px solid #bbb;border-radius:4px}
button{padding:10px 18px;font-size:16px;border:0;border-radius:4px;background:#1f5fbf;color:#fff;margin-top:14px}
button.secondary{background:#e5e7eb;color:#222}button.wechat{background:#07c160;width:100%}
.error{background:#fdecea;color:#a12622;padding:10px;border-radius:4px;margin:10px 0}
.hint{color:#666;font-size:13px}ul.plain{list-style:none;padding:0}ul.plain li{margin:8px 0}
code{background:#eef;padding:1px 4px;border-radius:3px}
"""


async def use_locale(request: Request) -> None:
    """before_request: ?lang=, else the app's language cookie, else Accept-Language (default zh_CN)."""
    wanted = request.query_params.get("lang")
    cookie = wanted if wanted in i18n.LOCALES else request.cookies.get(LANG_COOKIE)
    i18n.current_locale.set(i18n.pick_locale(cookie, request.headers.get("accept-language")))


def page(title: str, body: Markup | str, status: int = 200, brand: str | None = None) -> Response:
    lang = "zh-CN" if i18n.current_locale.get() == "zh_CN" else "en"
    html = Markup(
        '<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1"><title>{title}</title>'
        "<style>{style}</style></head><body><main>"
        '<div class="brand">{brand}</div><div class="card"><h1>{title}</h1>{body}</div>'
        "</main></body></html>"
    ).format(lang=lang, title=title, style=Markup(STYLE), body=body,
             brand=brand or _("School identity provider (development simulator)"))
    return Response(content=str(html), status_code=status, media_type="text/html; charset=utf-8",
                    headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"})


def hidden(fields: dict[str, str | None]) -> Markup:
    return Markup("").join(Markup('<input type="hidden" name="{}" value="{}">').format(k, v)
                           for k, v in fields.items() if v is not None)


def error_box(message: str | None) -> Markup:
    return Markup('<p class="error" role="alert">{}</p>').format(message) if message else Markup("")


def login_form(action: str, fields: dict[str, str | None], username: str = "", error: str | None = None,
               note: str | None = None) -> Markup:
    """Username + password form posting to `action` with the flow's hidden fields."""
    return Markup(
        '{error}<form method="post" action="{action}">{hidden}'
        '<label for="username">{l_user}</label>'
        '<input type="text" id="username" name="username" value="{username}" autocomplete="username" '
        'autofocus required>'
        '<label for="password">{l_pass}</label>'
        '<input type="password" id="password" name="password" autocomplete="current-password" required>'
        '<button type="submit">{l_submit}</button></form>{note}'
    ).format(error=error_box(error), action=action, hidden=hidden(fields), username=username,
             l_user=_("Staff or student number / username"), l_pass=_("Password"), l_submit=_("Log in"),
             note=Markup('<p class="hint">{}</p>').format(note) if note else "")


def paragraphs(*texts: str) -> Markup:
    return Markup("").join(Markup("<p>{}</p>").format(t) for t in texts)


def link_list(links: Iterable[tuple[str, str]]) -> Markup:
    items = Markup("").join(Markup('<li><a href="{}">{}</a></li>').format(href, text) for href, text in links)
    return Markup('<ul class="plain">{}</ul>').format(items)


__all__ = ["Markup", "escape", "error_box", "hidden", "link_list", "login_form", "page", "paragraphs", "use_locale"]
