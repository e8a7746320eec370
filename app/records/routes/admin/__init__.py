"""The desktop admin pages of the records module, one file per topic, and what several of them share."""
from __future__ import annotations

from urllib.parse import urlencode

# by name: once routes/admin/query.py is imported, `query` in this package is that route file
from app.records.query import encode

QUERY_PAGE = "/admin/records/query"


def query_page_url(tree: dict) -> str:
    """The combined query page showing this query tree (the whole query is in the query string)."""
    return f"{QUERY_PAGE}?{urlencode(encode(tree))}"
