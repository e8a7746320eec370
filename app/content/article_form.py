"""The article form every owner's editor pages share (HQ news here; org news in app/orgs): its fields and the
files of a submitted multipart form. Templates: views/content/components/article_form.html.

    data = await form_data(request)
    form = article_form.form(data)
    files = await article_form.files(data)     # cover, attachments, docx — read from the uploads
    if files.docx: form.data["body_html"] = api.import_docx(files.docx)  (the "Import Word" button)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.content.articles import SUMMARY_MAX, TITLE_MAX
from app.core.forms import Field, Form
from app.core.i18n import lazy as L


def form(data: dict | None = None, article: dict | None = None) -> Form:
    """title, summary and body_html (a textarea: the service sanitises it, not the form)."""
    values = dict(data) if data is not None else (
        {"title": article["title"], "summary": article["summary"], "body_html": article["body_html"]}
        if article else {})
    return Form([
        Field("title", L("Title"), required=True, max_length=TITLE_MAX),
        Field("summary", L("Summary"), "textarea", max_length=SUMMARY_MAX,
              help=L("Shown in lists and share cards; left empty, the start of the text is used.")),
        Field("body_html", L("Text"), "textarea"),
    ], data=values)


@dataclass
class ArticleFiles:
    cover: tuple[str, bytes] | None = None
    attachments: list[tuple[str, bytes]] = field(default_factory=list)
    docx: bytes | None = None
    remove_attachments: list[int] = field(default_factory=list)
    remove_cover: bool = False


def _uploads(value: Any) -> list:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if getattr(v, "filename", "")]


async def files(data: dict) -> ArticleFiles:
    """The uploads of a submitted article form (field names cover, attachments, docx) and the removals."""
    out = ArticleFiles()
    covers = _uploads(data.pop("cover", None))
    if covers:
        out.cover = (covers[0].filename, await covers[0].read())
    for upload in _uploads(data.pop("attachments", None)):
        out.attachments.append((upload.filename, await upload.read()))
    docs = _uploads(data.pop("docx", None))
    if docs:
        out.docx = await docs[0].read()
    removed = data.pop("remove_attachment", None) or []
    out.remove_attachments = [int(v) for v in (removed if isinstance(removed, list) else [removed])
                              if str(v).isdigit()]
    out.remove_cover = data.pop("remove_cover", None) in ("on", "1", "true")
    return out
