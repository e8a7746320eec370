"""Query-string links (paging, sorting, filters) shared by templates (web) and Python-built cells."""
from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request


def query_url(request: Request, **changes) -> str:
    """The current query string with some keys changed (None removes): paging/sort links keep filters."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    params += [(k, v) for k, v in changes.items() if v not in (None, "")]
    return "?" + urlencode(params) if params else "?"
