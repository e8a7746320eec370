"""Spreadsheet files for the import engine: read an uploaded xlsx/csv into header + raw rows, value
parsers for columns, and the xlsx files the engine hands out (template, error report).

Raw cells are stored JSON-safe (str, int, float, bool, ISO date text); formula cells are remembered by
index so validation can refuse them per row. xlsx files are checked for zip bombs and read with
python-calamine in `import_xlsx`, whose limits (rows, cells, unpacked size) apply to CSV files too."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

from app.core import import_xlsx
from app.core.forms import EMAIL_RE, PHONE_RE, Invalid
from app.core.i18n import LOCALES, translations
from app.core.i18n import gettext as _

MAX_ROWS = import_xlsx.MAX_ROWS
SUFFIXES = (".xlsx", ".csv")
CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # gb18030 is a superset of GBK (what Excel writes on Chinese Windows)
BOLD = Font(bold=True)
REQUIRED_FILL = PatternFill("solid", fgColor="FFF4D6")


@dataclass
class SheetData:
    headers: list[str]
    rows: list[tuple[int, dict]] = field(default_factory=list)  # (row number in the file, {"cells", "formulas"})


# --- reading ------------------------------------------------------------------------------------

def check_file(filename: str, data: bytes, max_mb: float) -> str:
    """The file kind ("xlsx"/"csv") or Invalid with a message the uploader can act on."""
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if not data:
        raise Invalid("file", _("The file is empty."))
    if len(data) > max_mb * 1024 * 1024:
        raise Invalid("file", _("The file is %(size)s MB; files up to %(max)s MB can be imported.",
                                size=round(len(data) / 1024 / 1024, 1), max=f"{max_mb:g}"))
    if suffix not in SUFFIXES:
        raise Invalid("file", _("Only Excel workbooks (.xlsx) and CSV files (.csv) can be imported. "
                                "In Excel choose File > Save as > Excel workbook."))
    if suffix == ".xlsx" and not zipfile.is_zipfile(io.BytesIO(data)):
        raise Invalid("file", _("This file is not a valid Excel workbook (.xlsx). "
                                "Open it in Excel and save it again."))
    if suffix == ".csv" and b"\x00" in data[:4096]:
        raise Invalid("file", _("This file is not a text CSV file. Save the sheet as CSV (UTF-8) and try again."))
    return suffix[1:]


def read_file(kind: str, data: bytes) -> SheetData:
    sheet = _read_xlsx(data) if kind == "xlsx" else _read_csv(data)
    if not sheet.headers:
        raise Invalid("file", _("The file has no header row. Put the column names in the first row."))
    if not sheet.rows:
        raise Invalid("file", _("The file has a header row but no data rows."))
    return sheet


def _read_xlsx(data: bytes) -> SheetData:
    return _collect(import_xlsx.rows(data))


def _read_csv(data: bytes) -> SheetData:
    if len(data) > import_xlsx.MAX_UNPACKED_MB * 1024 * 1024:  # data-source sync reads CSV without check_file
        raise import_xlsx.too_big_unpacked()
    for encoding in CSV_ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Invalid("file", _("The CSV file is neither UTF-8 nor GBK text. Save it as CSV (UTF-8) and try again."))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    # In CSV a leading "=" is what Excel would evaluate as a formula on opening.
    try:
        return _collect((row, [i for i, v in enumerate(row) if v.startswith("=")]) for row in reader)
    except csv.Error:  # a field over csv.field_size_limit (128 KB), a NUL byte
        raise Invalid("file", _("This file is not a text CSV file. Save the sheet as CSV (UTF-8) and try "
                                "again.")) from None


def _collect(rows: Iterable[tuple[list, list[int] | None]]) -> SheetData:
    """rows: (cell values, formula cell indexes) per sheet row from row 1, empty rows included (they
    count against the sheet limits: a file of a million empty rows is refused, not skimmed)."""
    sheet = SheetData([])
    widest = 0
    for number, (row, row_formulas) in enumerate(rows, start=1):
        if number > import_xlsx.MAX_SHEET_ROWS:
            raise import_xlsx.too_many_rows()
        if len(row) > widest:
            widest = len(row)
        if number * widest > import_xlsx.MAX_CELLS:
            raise import_xlsx.too_many_cells(number, widest)
        cells = [normalize(value) for value in row]
        if all(c is None for c in cells):
            continue
        if not sheet.headers:
            while cells and cells[-1] is None:
                cells.pop()
            sheet.headers = [str(c) if c is not None else _("Column %(n)s", n=i + 1) for i, c in enumerate(cells)]
            continue
        width = len(sheet.headers)
        record: dict = {"cells": (cells + [None] * width)[:width]}
        if row_formulas:
            formulas = sorted({i for i in row_formulas if i < width})
            if formulas:
                record["formulas"] = formulas
        sheet.rows.append((number, record))
        if len(sheet.rows) > MAX_ROWS:
            raise Invalid("file", _("The file has more than %(n)s rows; split it into smaller files.", n=MAX_ROWS))
    return sheet


def normalize(value: Any) -> Any:
    """A cell as stored: JSON-safe, stripped, empty → None; midnight datetimes become dates."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, int):
        return value
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


# --- column parsers: (raw, ctx) -> value, raising Invalid with a message for the row ------------

def as_text(max_length: int | None = None, min_length: int | None = None):
    def parse(raw: Any, _ctx=None) -> str:
        text = str(raw).strip()
        if max_length and len(text) > max_length:
            raise Invalid("", _("At most %(n)s characters.", n=max_length))
        if min_length and len(text) < min_length:
            raise Invalid("", _("At least %(n)s characters.", n=min_length))
        return text

    return parse


def as_email(raw: Any, _ctx=None) -> str:
    text = str(raw).strip()
    if not EMAIL_RE.match(text) or len(text) > 254:
        raise Invalid("", _("%(value)s is not a valid email address.", value=text))
    return text


def as_phone(raw: Any, _ctx=None) -> str:
    text = str(raw).strip()
    if not PHONE_RE.match(text):
        raise Invalid("", _("%(value)s is not a valid phone number.", value=text))
    return text


def as_int(raw: Any, _ctx=None) -> int:
    try:
        return int(str(raw).strip())
    except ValueError:
        raise Invalid("", _("%(value)s is not a whole number.", value=raw)) from None


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
                "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")
EXCEL_EPOCH = date(1899, 12, 30)


def as_date(raw: Any, _ctx=None) -> date:
    """2024-01-05, 2024/1/5, 2024.1.5, 20240105, 2024年1月5日, Excel dates and Excel serial numbers."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and 1 <= raw < 2958466:
        return EXCEL_EPOCH + timedelta(days=int(raw))  # an Excel serial number (45296); 20240105 is text below
    text = str(raw).strip()
    if len(text) == 10 and text[4] == "-" and text[7] == "-":  # the usual 2024-01-31, without strptime
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise Invalid("", _("%(value)s is not a date; write it as 2024-01-31.", value=text))


def as_list(raw: Any, _ctx=None) -> list[str]:
    """Comma separated codes; Chinese commas, semicolons and 、 work too."""
    return [p for p in re.split(r"[,，;；、\s]+", str(raw).strip()) if p]


# --- writing ------------------------------------------------------------------------------------

def _width(text: Any) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(text or ""))


def _text_cell(sheet, value: Any, font=None, fill=None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text, never a formula
    if font:
        cell.font = font
    if fill:
        cell.fill = fill
    return cell


def template_workbook(title: str, columns: list[dict], instructions: list[str]) -> bytes:
    """columns: {header, example, required, help}; a data sheet (header + example) and an instructions sheet."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Data"))
    for i, col in enumerate(columns):
        sheet.column_dimensions[_letter(i)].width = max(12, min(40, _width(col["header"]) + 4))
    sheet.freeze_panes = "A2"
    sheet.append([_text_cell(sheet, c["header"], BOLD, REQUIRED_FILL if c["required"] else None) for c in columns])
    sheet.append([_text_cell(sheet, c["example"]) for c in columns])
    notes = book.create_sheet(_("Instructions"))
    notes.column_dimensions["A"].width = 28
    notes.column_dimensions["B"].width = 12
    notes.column_dimensions["C"].width = 70
    notes.append([_text_cell(notes, title, BOLD)])
    for line in instructions:
        notes.append([_text_cell(notes, line)])
    notes.append([])
    notes.append([_text_cell(notes, h, BOLD) for h in (_("Column"), _("Required"), _("How to fill it in"))])
    for c in columns:
        notes.append([c["header"], _("Yes") if c["required"] else _("No"), c["help"] or ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def error_workbook(headers: list[str], rows: Iterable[tuple[int, list, str]]) -> bytes:
    """The failed rows as uploaded, with their row number and what is wrong, ready to fix and upload again."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Errors"))
    sheet.column_dimensions["A"].width = 8
    sheet.column_dimensions["B"].width = 60
    for i in range(len(headers)):
        sheet.column_dimensions[_letter(i + 2)].width = max(12, min(40, _width(headers[i]) + 4))
    sheet.freeze_panes = "C2"
    sheet.append([_text_cell(sheet, h, BOLD) for h in [_("Row"), _("Errors"), *headers]])
    for row_no, cells, message in rows:
        sheet.append([row_no, _text_cell(sheet, message), *[_text_cell(sheet, c) for c in cells]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


# --- header mapping and row parsing (spec: an imports.ImportSpec) ---------------------------------

ROW = "row"  # error key for problems of the whole row rather than one column


def header_text(col) -> str:
    return f"{col.label} *" if col.required else str(col.label)


def normalize_header(text: Any) -> str:
    text = re.sub(r"[（(].*?[)）]", "", str(text))
    return re.sub(r"[\s*＊_\-:：]+", "", text).lower()


def column_names(col) -> set[str]:
    """Every header text that names this column: key, label in each language, aliases (normalised)."""
    msgid = str.__str__(col.label)
    names = {col.key, msgid, *col.aliases, *(translations(loc).gettext(msgid) for loc in LOCALES)}
    return {normalize_header(n) for n in names}


def auto_mapping(spec, headers: list[str]) -> dict[str, int | None]:
    """Column key → header index, matching the header text to the column's key or label (any language)."""
    mapping: dict[str, int | None] = {c.key: None for c in spec.columns}
    normalized = [normalize_header(h) for h in headers]
    for col in spec.columns:
        names = column_names(col)
        mapping[col.key] = next((i for i, h in enumerate(normalized) if h in names and i not in mapping.values()),
                                None)
    return mapping


def check_mapping(spec, headers: list[str], mapping: dict) -> dict[str, int | None]:
    """Form values (header indexes as text) → a clean mapping; Invalid(column key, message) when unusable."""
    clean: dict[str, int | None] = {}
    for col in spec.columns:
        value = mapping.get(col.key)
        index = int(value) if str(value).isdigit() and int(value) < len(headers) else None
        if index is not None and index in clean.values():
            raise Invalid(col.key, _("The column %(header)s is already used for another field.", header=headers[index]))
        if index is None and col.required:
            raise Invalid(col.key, _("Choose the file column for %(label)s: it is required.", label=col.label))
        clean[col.key] = index
    return clean


def _plan(spec, mapping: dict) -> tuple[list, list, set]:
    """Per (spec, mapping), once per import instead of once per row: (key, cell index, parser, required)
    per column, the template's example values by cell index, and the mapped cell indexes."""
    key = (id(spec.columns), id(mapping))  # the plan keeps both objects alive, so their ids stay theirs
    plan = _PLANS.get(key)
    if plan is None:  # custom fields give the spec a new column list; every validation a new mapping
        columns = [(c.key, mapping.get(c.key), c.parse, c.required) for c in spec.columns]
        examples = [(mapping.get(c.key), c.example.lower()) for c in spec.columns if c.example]
        plan = _PLANS[key] = (columns, examples, {i for i in mapping.values() if i is not None},
                              spec.columns, mapping)
        if len(_PLANS) > 64:
            _PLANS.pop(next(iter(_PLANS)))
    return plan[0], plan[1], plan[2]


_PLANS: dict[tuple, tuple] = {}


def _is_example(examples: list, cells: list) -> bool:
    """The template's example row left in the file (every example value present); stops at the first
    difference, as it runs for every row."""
    for index, example in examples:
        raw = cells[index] if index is not None and index < len(cells) else None
        if str(raw or "").lower() != example:
            return False
    return bool(examples)


def parse_row(spec, mapping: dict, data: dict, ctx) -> tuple[dict, dict]:
    """One stored row → (values by column key, errors by column key). `mapping` must not change while
    an import uses it (its column plan is kept by identity)."""
    columns, examples, mapped = _plan(spec, mapping)
    cells, formulas = data["cells"], data.get("formulas")
    formulas = set(formulas) if formulas else ()
    count = len(cells)
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, index, parse, required in columns:
        raw = cells[index] if index is not None and index < count else None
        if formulas and index in formulas:
            errors[key] = _("Formulas are not accepted: type the value itself.")
        elif raw is None or raw == "":
            values[key] = None
            if required:
                errors[key] = _("This column is required.")
        else:
            try:
                values[key] = parse(raw, ctx) if parse else str(raw).strip()
            except (Invalid, ValueError) as exc:
                errors[key] = exc.message if isinstance(exc, Invalid) else str(exc)
    if formulas and set(formulas) - mapped:
        errors[ROW] = _("Formulas are not accepted: type the value itself.")
    if _is_example(examples, cells):
        errors[ROW] = _("This is the template's example row; replace or delete it.")
    return values, errors


def check_duplicates(spec, row_no: int, values: dict, errors: dict, seen: dict) -> None:
    """Unique columns may not repeat inside one file; `seen` carries {key: {value: first row}} across chunks."""
    for col in spec.columns:
        value = values.get(col.key)
        if not col.unique or value in (None, "") or col.key in errors:
            continue
        key = str(value).strip().lower()
        if key in seen[col.key]:
            errors[col.key] = _("%(value)s appears twice in this file (also in row %(row)s).", value=value,
                                row=seen[col.key][key])
        else:
            seen[col.key][key] = row_no
