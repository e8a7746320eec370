"""Table cells and rows formatted in Python: a Jinja caller per cell costs ~20 µs, and a 50-row list has
hundreds of cells. A column may bring its own `render(row)` (returning text or Markup); columns that
need template markup set "custom": True and get the caller instead."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Callable

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
        for head, c in zip(heads, columns):
            out.append(head)
            out.append(caller(row, c) if c.get("custom") and caller is not None else escape(cell(row, c)))
            out.append("</td>")
        out.append("</tr>\n")
    return Markup("".join(out))


TEMPLATE_GLOBALS = {"cell": cell, "table_rows": table_rows}
