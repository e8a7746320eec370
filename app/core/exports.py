"""List export (REC-10) for every module: chosen columns, xlsx or csv, personal fields masked for the
viewer (SUP-16) and a watermark naming who exported it and when (SUP-15).

Callers load rows page by page (`collect_pages`) so no list query is ever unbounded."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Awaitable, Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from itertools import chain, islice
from typing import Any
from urllib.parse import quote

from litestar import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from app.core.i18n import gettext as _
from app.core.masking import shown
from app.core.pagination import Page, PageRequest

MEDIA_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "csv": "text/csv; charset=utf-8"}
BOLD = Font(bold=True)
INFO = Font(italic=True, color="6B7785")
WIDTH_SAMPLE = 200  # rows looked at to size the columns
# A cell starting like this is run as a formula by Excel when the CSV is opened (formula injection).
RISKY_START = re.compile(r"^[=@\t\r]|^[+\-](?![\d\s\-()]*$)")


def watermark_text(viewer) -> str:
    """SUP-15: 导出人 name (account) 时间 … — who exported the file, and when."""
    name = getattr(viewer, "display", None) or getattr(viewer, "name", "") or ""
    account = getattr(viewer, "username", None) or getattr(viewer, "name", "") or ""
    return _("Exported by %(name)s (%(account)s) at %(time)s", name=name, account=account,
             time=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M"))


def choose_columns(columns: list[tuple[str, str]], chosen: Iterable[str]) -> list[tuple[str, str]]:
    """The columns picked in the data table (`cols` query params), in table order; all when none."""
    chosen = set(chosen)
    picked = [c for c in columns if c[0] in chosen]
    return picked or list(columns)


async def collect_pages(fetch: Callable[[PageRequest], Awaitable[Page]], per_page: int = 1000,
                        sort: str = "") -> list:
    """Every row of a paged list query, loaded `per_page` rows at a time."""
    first = await fetch(PageRequest(page=1, per_page=per_page, sort=sort))
    rows = list(first.items)
    for number in range(2, first.pages + 1):
        rows += (await fetch(PageRequest(page=number, per_page=per_page, sort=sort))).items
    return rows


def _plain(value: Any) -> Any:
    """A cell value: text, numbers and dates stay typed; everything else becomes text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return value.astimezone().replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, (int, float, date)):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _values(columns: list[tuple[str, str]], rows: Iterable[dict], viewer, mask: dict[str, str]) -> Iterable[list]:
    for row in rows:
        yield [_plain(shown(viewer, mask[key], row.get(key)) if key in mask else row.get(key)) for key, _l in columns]


def _width(value: Any) -> int:
    if isinstance(value, datetime):
        return 16
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(value))


def _xlsx(columns, values: Iterable[list], watermark: str | None) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Export"))
    sample = list(islice(values, WIDTH_SAMPLE))
    for i, (_key, label) in enumerate(columns):
        widest = max([_width(label)] + [_width(r[i]) for r in sample])
        sheet.column_dimensions[_letter(i)].width = max(8, min(50, widest + 2))
    sheet.freeze_panes = "A3" if watermark else "A2"  # (write-only sheets take settings before the first row)
    if watermark:  # printed on every page and shown above the table
        escaped = watermark.replace("&", "&&")
        sheet.oddHeader.center.text = escaped
        sheet.oddFooter.center.text = escaped
        sheet.append([_cell(sheet, watermark, INFO)])
    sheet.append([_cell(sheet, str(label), BOLD) for _key, label in columns])
    for row in chain(sample, values):
        sheet.append([_cell(sheet, v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(sheet, value: Any, font=None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text that looks like a formula stays text
    if isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    if font:
        cell.font = font
    return cell


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _csv_text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    text = str(value)
    return "'" + text if RISKY_START.match(text) else text


def _csv(columns, values: Iterable[list], watermark: str | None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    if watermark:
        writer.writerow([watermark])
    writer.writerow([str(label) for _key, label in columns])
    for row in values:
        writer.writerow([_csv_text(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM makes Excel read the Chinese text as UTF-8


def export_rows(columns: list[tuple[str, str]], rows: Iterable[dict], fmt: str = "xlsx", *, viewer=None,
                mask: dict[str, str] | None = None, watermark: str | None = None) -> bytes:
    """The rows as an xlsx or csv file; `mask` maps column keys to masking kinds (name/phone/email/id_number)."""
    values = _values(columns, rows, viewer, mask or {})
    return _csv(columns, values, watermark) if fmt == "csv" else _xlsx(columns, values, watermark)


def content_disposition(filename: str) -> str:
    """attachment with an ASCII fallback and the RFC 5987 UTF-8 name (Chinese file names)."""
    stem, dot, suffix = filename.rpartition(".") if "." in filename else (filename, "", "")
    ascii_stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_") or "download"
    fallback = ascii_stem + dot + re.sub(r"[^A-Za-z0-9]", "", suffix)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def attachment(filename: str, data: bytes, media_type: str | None = None) -> Response:
    """A file download response."""
    suffix = filename.rsplit(".", 1)[-1].lower()
    return Response(content=data, media_type=media_type or MEDIA_TYPES.get(suffix, "application/octet-stream"),
                    headers={"Content-Disposition": content_disposition(filename), "Cache-Control": "no-store"})


def export_response(filename: str, columns: list[tuple[str, str]], rows: Iterable[dict], fmt: str = "xlsx",
                    viewer=None, mask: dict[str, str] | None = None, watermark: str | None = None) -> Response:
    fmt = "csv" if fmt == "csv" else "xlsx"
    name = filename if filename.lower().endswith("." + fmt) else f"{filename}.{fmt}"
    return attachment(name, export_rows(columns, rows, fmt, viewer=viewer, mask=mask, watermark=watermark),
                      MEDIA_TYPES[fmt])
