"""Table cells and rows formatted in Python: a Jinja caller per cell costs ~20 µs, and a 50-row list has
hundreds of cells. A column may bring its own `render(row)` (returning text or Markup); columns that
need template markup set "custom": True and get the caller instead."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from markupsafe import Markup, escape

FORMATS = {"datetime": "%Y-%m-%d %H:%M", "datetime_s": "%Y-%m-%d %H:%M:%S", "date": "%Y-%m-%d"}


def cell(row: Any, col: dict) -> Any:
    if (render := col.get("render")) is not None:
        return render(row)
    value = row.get(col["key"]) if isinstance(row, dict) else getattr(row, col["key"], None)
    if value is None or value == "":
        return col.get("empty", "")
    fmt = FORMATS.get(col.get("type", ""))
    if fmt and isinstance(value, (date, datetime)):
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone()  # shown in server-local time
        return value.strftime(fmt)
    return value


def table_rows(rows: list, columns: list[dict], caller: Callable | None = None, select: str | None = None,
               row_class: Callable | None = None) -> Markup:
    """The <tr>s of components/table.html's data_table: `select` is the aria label of the bulk checkbox
    (None: no checkbox column), `caller` renders the "custom" columns."""
    heads = [Markup('<td data-label="%s">') % c["label"] for c in columns]
    check = Markup('<td class="select"><input type="checkbox" name="ids" value="%s" aria-label="' + str(escape(select))
                   + '"></td>') if select is not None else None
    out: list[str] = []
    for row in rows:
        out.append(Markup('<tr class="%s">') % str(row_class(row)).strip() if row_class else "<tr>")
        if check is not None:
            out.append(check % (row.get("id") if isinstance(row, dict) else getattr(row, "id", "")))
        for head, c in zip(heads, columns, strict=True):
            out.append(head)
            out.append(caller(row, c) if c.get("custom") and caller is not None else escape(cell(row, c)))
            out.append("</td>")
        out.append("</tr>\n")
    return Markup("".join(out))


def _attr(node: Any, name: str, default: Any = None) -> Any:
    return node.get(name, default) if isinstance(node, dict) else getattr(node, name, default)


def tree_html(nodes: list, selected: Any = None, url: str | None = None, counts: dict | None = None,
              label: str | None = None) -> Markup:
    """components/tree.html's tree, built in Python (the records browse tree has dozens of nodes per page,
    and a recursive Jinja loop cost ~1 ms of it). Branches are <details open>: they fold without JS."""
    key = str(selected) if selected is not None else None
    out: list[str] = [Markup('<ul class="tree" aria-label="%s">') % label if label else '<ul class="tree">']

    def walk(items: list) -> None:
        for node in items:
            node_id, children = _attr(node, "id"), _attr(node, "children") or []
            chosen = key is not None and str(node_id) == key
            if url:
                name = Markup('<a class="tree-label" href="%s"%s>%s</a>') % (
                    url + str(node_id), Markup(' aria-current="page"') if chosen else "", _attr(node, "name", ""))
            else:
                name = Markup('<span class="tree-label"%s>%s</span>') % (
                    Markup(' aria-current="true"') if chosen else "", _attr(node, "name", ""))
            if counts and node_id in counts:
                name += Markup(' <span class="tree-count">%s</span>') % counts[node_id]
            out.append('<li class="tree-node selected">' if chosen else '<li class="tree-node">')
            if children:
                out.append(Markup("<details open><summary>%s</summary><ul>") % name)
                walk(children)
                out.append("</ul></details>")
            else:
                out.append(Markup('<div class="tree-leaf">%s</div>') % name)
            out.append("</li>\n")

    walk(nodes)
    out.append("</ul>")
    return Markup("".join(out))


def _hidden_inputs(request: Any, skip: tuple[str, ...]) -> str:
    return "".join(Markup('<input type="hidden" name="%s" value="%s">') % (k, v)
                   for k, v in request.query_params.multi_items() if k not in skip)


def pager_html(page: Any, request: Any, target: str = "#results") -> Markup:
    """components/pagination.html's pager, built in Python (every list page has one; the Jinja loop over
    the page window cost ~0.3 ms). Plain links keep every other query parameter; htmx swaps the results."""
    from app.core.i18n import gettext as _
    from app.core.urls import query_url

    if not page.total:
        return Markup("")

    def link(number: int, label: Any, rel: str = "") -> str:
        url = query_url(request, page=number)
        return Markup('<a href="%s" hx-get="%s" hx-target="%s" hx-push-url="true"%s>%s</a>') % (
            url, url, target, Markup(' rel="%s"') % rel if rel else "", label)

    out = [Markup('<nav class="pager" aria-label="%s">\n  <span class="pager-info">%s</span>\n') % (
        _("Pages"), _("%(first)s–%(last)s of %(total)s", first=page.first_index, last=page.last_index,
                      total=page.total))]
    if page.has_prev:
        out.append(link(page.page - 1, _("Previous"), "prev"))
    for n in page.window():
        out.append(Markup('<span class="current" aria-current="page">%s</span>') % n if n == page.page else link(n, n))
    if page.has_next:
        out.append(link(page.page + 1, _("Next"), "next"))
    options = "".join(Markup("<option%s>%s</option>") % (Markup(" selected") if n == page.per_page else "", n)
                      for n in (20, 50, 100))
    out.append(Markup('\n  <form method="get" class="inline per-page">%s<label>%s <select name="per_page">%s</select>'
                      '</label> <button type="submit" class="small">%s</button></form>\n</nav>\n') % (
        Markup(_hidden_inputs(request, ("per_page", "page"))), _("Per page"), Markup(options), _("Go")))
    return Markup("\n".join(out))


def when(value: Any, kind: str = "datetime") -> str:
    """A date or time as the tables show it (server-local time), for templates: {{ when(event.starts_at) }}."""
    if not isinstance(value, (date, datetime)):
        return "" if value is None else str(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone()
    return value.strftime(FORMATS.get(kind, FORMATS["datetime"]))


TEMPLATE_GLOBALS = {"when": when, "cell": cell, "table_rows": table_rows, "tree_html": tree_html,
                    "pager_html": pager_html}
