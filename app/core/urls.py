"""Query-string links (paging, sorting, filters) shared by templates (web) and Python-built cells."""
from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request


def query_url(request: Request, **changes) -> str:
    """The current query string with some keys changed (None removes): paging/sort links keep filters."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    params += [(k, v) for k, v in changes.items() if v not in (None, "")]
    return "?" + urlencode(params) if params else "?"


def absolute(path: str) -> str:
    """A full URL for share cards, QR posters and messages (WeChat needs absolute addresses)."""
    from app.config import get_settings

    return f"{get_settings().public_url()}{path}" if path.startswith("/") else path
