"""PDF printables (WeasyPrint): Jinja templates under `printables/` rendered with the shared environment
(so `_()` and `static()` work) and turned into PDF. Fonts: the print layout asks for "Noto Sans CJK SC"
(Debian fonts-noto-cjk), so Chinese renders as real, searchable glyphs.

Layout is CPU work (≈0.3–1 s for a one-page sheet, ~2 s for a process's first render while fonts load);
web handlers call `render_pdf_async`, which renders the HTML on the event loop (the locale lives in a
contextvar) and lays it out in a worker thread.

Resources load only from the repo's static/ and printables/ folders (and data: URIs): a printable never
makes the server fetch a URL, whatever ends up in its HTML.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import anyio
from litestar import Response

from app.config import ROOT
from app.core.web import environment

PRINTABLES = "printables/"
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # seven INFO lines per render otherwise
# At most this many layouts at once: each holds a CPU and some memory, and the default thread pool
# stays free for the rest of the app.
_limiter: anyio.CapacityLimiter | None = None


def _local_file(url: str) -> Path | None:
    """The file a file:// URL names, if it lies in static/ or printables/. `static()` gives web paths
    ("/static/css/x.css?v=…"), which resolve to file:///static/… against the base URL: map them back."""
    parts = urlsplit(url)
    if parts.scheme != "file":
        return None
    path = unquote(parts.path)
    if path.startswith("/static/"):
        path = str(ROOT) + path
    resolved = Path(path).resolve()
    for folder in (ROOT / "static", ROOT / PRINTABLES):
        if resolved.is_relative_to(folder.resolve()) and resolved.is_file():
            return resolved
    return None


def _fetcher():
    from weasyprint.urls import URLFetcher

    class LocalFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            local = _local_file(url)
            if local is None:
                raise ValueError(f"printables load only static/ and printables/ files, not {url[:100]}")
            return super().fetch(local.as_uri(), headers)

    return LocalFetcher()


def _template_name(template: str) -> str:
    return template if template.startswith(PRINTABLES) else PRINTABLES + template.lstrip("/")


def render_html(template: str, **context: Any) -> str:
    """The printable's HTML (`template` relative to printables/, e.g. "support/user_sheet.html")."""
    return environment().get_template(_template_name(template)).render(**context)


def html_to_pdf(html: str) -> bytes:
    """Lay out HTML as PDF; relative URLs (static/…, printables/…) resolve against the repo root."""
    from weasyprint import HTML  # imported lazily: loading pango/fontconfig costs ~0.5 s

    return HTML(string=html, base_url=ROOT.as_uri() + "/", url_fetcher=_fetcher()).write_pdf()


def html_to_pdf_parallel(documents: list[str]) -> bytes:
    """Lay out several HTML documents at once, one process each (WeasyPrint is single-threaded and pure
    CPU), and join them into one PDF in order. Worth it for big print batches on a multi-core machine."""
    import io
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from pypdf import PdfWriter

    if len(documents) == 1:
        return html_to_pdf(documents[0])
    # spawn, not fork: the caller may be an asyncio process with threads and open connections
    with ProcessPoolExecutor(len(documents), mp_context=get_context("spawn")) as pool:
        parts = list(pool.map(html_to_pdf, documents))
    writer = PdfWriter()
    for part in parts:
        writer.append(io.BytesIO(part))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def render_pdf(template: str, **context: Any) -> bytes:
    """Synchronous render (jobs, CLI, tests). Blocks: do not call it on the event loop."""
    return html_to_pdf(render_html(template, **context))


async def render_pdf_async(template: str, **context: Any) -> bytes:
    """Render without blocking the event loop: template here, layout in a worker thread."""
    global _limiter
    if _limiter is None:
        _limiter = anyio.CapacityLimiter(2)
    html = render_html(template, **context)
    return await anyio.to_thread.run_sync(html_to_pdf, html, limiter=_limiter)


def pdf_response(filename: str, data: bytes, *, inline: bool = True) -> Response:
    """The PDF shown in the browser (inline) with a UTF-8 filename (RFC 5987/6266) and an ASCII fallback."""
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in filename) or "document.pdf"
    disposition = (f"{'inline' if inline else 'attachment'}; filename=\"{fallback}\"; "
                   f"filename*=UTF-8''{quote(filename, safe='')}")
    return Response(content=data, media_type="application/pdf",
                    headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})
