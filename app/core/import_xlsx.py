"""Reading an uploaded .xlsx for the import engine (REC-08 / SUP-18; NFR-06 upload checks).

1. Zip bomb guards before any parsing: the members' declared sizes (central directory) and their
   compression ratios, then every member inflated here with a byte budget, so a member whose header
   lies about its size is caught too (python-calamine trusts the stream, not the header).
2. One streaming pass over the first worksheet's XML (cheap literal searches, no XML parser): rows
   counted (empty ones too), the used range measured (calamine keeps it dense in memory: cells in A1
   and XFD1048576 alone would take gigabytes), `<dimension ref>` checked, formula cells found.
3. python-calamine reads the values (about 18x faster than openpyxl's read-only mode); it reports no
   formulas, hence the pass above. A sheet whose cells carry no `r="A1"` reference (some generators)
   is read by openpyxl as before, under the same limits.

The limits are module constants: an import never needs more, and a file beyond them is split by its
owner. `import_files._collect` applies the row and cell limits again to the rows actually read.
"""
from __future__ import annotations

import html
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.etree import ElementTree

from app.core.forms import Invalid
from app.core.i18n import gettext as _

MAX_ROWS = 100_000  # data rows in one file
MAX_SHEET_ROWS = 110_000  # rows of the sheet counting empty ones (the header and some stray rows on top)
MAX_CELLS = 8_000_000  # rows x columns of the used range (100,000 rows of 80 columns)
MAX_UNPACKED_MB = 256  # all members uncompressed (an openpyxl-written 100,000 x 25 sheet is 145 MB); CSV text
MAX_RATIO = 100  # uncompressed : compressed per member; real sheets are 5-20:1, a bomb of empty rows ~1000:1
RATIO_FROM_BYTES = 1024 * 1024  # smaller members (styles, themes) may compress better and cannot hurt
MAX_PART_BYTES = 32 * 1024 * 1024  # workbook.xml and .rels read for the sheet's location
CHUNK = 1024 * 1024  # inflated bytes handed out at a time


def not_a_workbook() -> Invalid:
    return Invalid("file", _("This file is not a valid Excel workbook (.xlsx). Open it in Excel and save it again."))


def too_many_rows() -> Invalid:
    return Invalid("file", _("The sheet has more than %(max)s rows (empty rows count too). Delete the empty rows "
                             "below the data or split the file.", max=f"{MAX_SHEET_ROWS:,}"))


def too_many_cells(rows: int, columns: int) -> Invalid:
    return Invalid("file", _("The sheet's data spans %(rows)s rows x %(columns)s columns; at most %(max)s cells "
                             "can be imported. Delete the empty rows and columns around the data or split the "
                             "file.", rows=f"{rows:,}", columns=f"{columns:,}", max=f"{MAX_CELLS:,}"))


def too_big_unpacked() -> Invalid:
    return Invalid("file", _("The file unpacks to more than %(max)s MB of data; at most %(max)s MB can be "
                             "imported. Remove unused sheets and pictures or split the file.", max=MAX_UNPACKED_MB))


def too_dense(ratio: float) -> Invalid:
    return Invalid("file", _("The workbook is compressed %(ratio)s:1; at most %(max)s:1 is accepted (such a file "
                             "is mostly empty rows or cells). Delete the empty rows and columns and save it "
                             "again.", ratio=f"{ratio:,.0f}", max=MAX_RATIO))


def check_area(rows: int, columns: int) -> None:
    if rows > MAX_SHEET_ROWS:
        raise too_many_rows()
    if rows * columns > MAX_CELLS:
        raise too_many_cells(rows, columns)


# --- the zip container ----------------------------------------------------------------------------

def _open(data: bytes) -> zipfile.ZipFile:
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        infos = book.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise not_a_workbook() from None
    if sum(i.file_size for i in infos) > MAX_UNPACKED_MB * 1024 * 1024:
        raise too_big_unpacked()
    for info in infos:
        if info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise too_dense(info.file_size / max(info.compress_size, 1))
    return book


@dataclass
class _Budget:
    left: int = MAX_UNPACKED_MB * 1024 * 1024


def _inflate(data: bytes, info: zipfile.ZipInfo, budget: _Budget) -> Iterator[bytes]:
    """The member's bytes as really stored, never more than the budget: the raw deflate stream is
    inflated here, whatever the headers claim."""
    offset = info.header_offset
    if data[offset:offset + 4] != b"PK\x03\x04" or info.flag_bits & 0x1:  # no local header, or encrypted
        raise not_a_workbook()
    name_len, extra_len = struct.unpack("<HH", data[offset + 26:offset + 30])
    start = offset + 30 + name_len + extra_len
    raw = memoryview(data)[start:start + info.compress_size]
    produced = 0

    def spend(piece) -> None:
        nonlocal produced
        produced += len(piece)
        budget.left -= len(piece)
        if budget.left < 0:
            raise too_big_unpacked()
        if produced > info.file_size:
            raise not_a_workbook()  # more data than the header declares: a lying header

    if info.compress_type == zipfile.ZIP_STORED:
        for at in range(0, len(raw), CHUNK):
            piece = bytes(raw[at:at + CHUNK])
            spend(piece)
            yield piece
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        inflater, at = zlib.decompressobj(-zlib.MAX_WBITS), 0
        while not inflater.eof:
            source = inflater.unconsumed_tail or raw[at:at + CHUNK]
            if not inflater.unconsumed_tail:
                at += len(source)
            try:
                piece = inflater.decompress(source, CHUNK)
            except zlib.error:
                raise not_a_workbook() from None
            if not piece and not source:
                raise not_a_workbook()  # the stream ends early
            if piece:
                spend(piece)
                yield piece
    else:
        raise not_a_workbook()  # Excel writes deflate or stored members only
    if produced != info.file_size:
        raise not_a_workbook()


def _part(data: bytes, book: zipfile.ZipFile, name: str, budget: _Budget) -> bytes | None:
    try:
        info = book.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_PART_BYTES:
        raise not_a_workbook()
    return b"".join(_inflate(data, info, budget))


def _relations(data: bytes, book: zipfile.ZipFile, part: str, budget: _Budget) -> dict[str, tuple[str, str]]:
    """Relationship id → (type, member name) of a part's .rels."""
    folder, _sep, name = part.rpartition("/")
    xml = _part(data, book, f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels", budget)
    out: dict[str, tuple[str, str]] = {}
    for el in _xml(xml).iter() if xml else ():
        if el.tag.endswith("Relationship") and el.get("Target"):
            target = el.get("Target")
            target = target.lstrip("/") if target.startswith("/") else _join(folder, target)
            out[el.get("Id", "")] = (el.get("Type", ""), target)
    return out


def _join(folder: str, target: str) -> str:
    parts = folder.split("/") if folder else []
    for piece in target.split("/"):
        if piece == "..":
            parts = parts[:-1]
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def _xml(data: bytes):
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError:
        raise not_a_workbook() from None


def _first_worksheet(data: bytes, book: zipfile.ZipFile, budget: _Budget) -> tuple[str, str] | None:
    """(sheet name, member name) of the workbook's first worksheet (chart sheets skipped), as openpyxl's
    `worksheets[0]`; None when the package does not say."""
    office = next((t for typ, t in _relations(data, book, "", budget).values() if typ.endswith("/officeDocument")),
                  None)
    workbook = office and _part(data, book, office, budget)
    if not workbook:
        return None
    relations = _relations(data, book, office, budget)
    for el in _xml(workbook).iter():
        if el.tag.rsplit("}", 1)[-1] != "sheet":
            continue
        rel_id = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
        typ, target = relations.get(rel_id, ("", ""))
        if typ.endswith("/worksheet"):
            return el.get("name", ""), target
    return None


# --- the streaming pass over the sheet XML --------------------------------------------------------

DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+)?(\d+)?(?::([A-Z]+)(\d+))?"')
ROOT = re.compile(rb"<(\w+:)?worksheet[\s>]")
REF = re.compile(rb'r="([A-Z]+)(\d+)"')


def column_index(letters: bytes | str) -> int:
    """A1-style column letters → 0-based index ("A" → 0, "AA" → 26)."""
    n = 0
    for ch in letters if isinstance(letters, bytes) else letters.encode():
        n = n * 26 + ch - 64
    return n - 1


def column_letters(index: int) -> str:
    """0-based column index → A1-style letters (0 → "A", 26 → "AA")."""
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


def _beyond(columns: int) -> bytes:
    """A regex for column letters naming a column after the first `columns` (26 <= columns < 702)."""
    first, second = column_letters(columns).encode()  # the first column too many, two letters
    tail = b"|%s[%s-Z]" % (bytes([first]), bytes([second]))
    return b"[A-Z]{3,}" + (b"|[%s-Z][A-Z]" % bytes([first + 1]) if first < 90 else b"") + tail


# Unless a cell lies right of this column, MAX_SHEET_ROWS rows of it stay within MAX_CELLS.
NARROW = MAX_CELLS // MAX_SHEET_ROWS
assert 26 <= NARROW < 702


class _Wide(Exception):
    """A cell right of NARROW: the used range must be measured exactly (one more pass)."""


@dataclass
class SheetScan:
    """What the sheet XML holds, gathered chunk by chunk. The cheap pass only looks at the few cells
    that could matter (right of NARROW, below row 99,999, without a reference); `exact` also measures
    every cell, for sheets wider than NARROW."""
    exact: bool = False
    rows: int = 0  # <row> elements, empty ones included
    last_row: int = 0  # the highest row number a cell names (exact pass; else among the cells looked at)
    last_column: int = -1  # likewise, the highest column index
    # row number → {column index: "=A2"}: the formula as openpyxl showed it (None: a shared formula's copy)
    formulas: dict[int, dict[int, str | None]] = field(default_factory=dict)
    unreferenced: bool = False  # cells without r="A1" first: calamine would place them by position
    _prefix: bytes | None = None
    _head: bool = True  # before <sheetData>: <dimension> may still come
    _carry: bytes = b""
    _last_ref: tuple[bytes, bytes] | None = None
    _patterns: dict | None = None

    def feed(self, chunk: bytes) -> None:
        text = self._carry + chunk
        cut = text.rfind(b"<")  # everything before the last "<" is whole tags and text
        if cut <= 0:
            self._carry = text
            return
        self._carry = text[cut:]
        self._piece(text[:cut])

    def finish(self) -> None:
        carry, self._carry = self._carry, b""
        self._piece(carry)

    def _piece(self, piece: bytes) -> None:
        if self._prefix is None:
            root = ROOT.search(piece)
            if root is None:
                if len(piece) > CHUNK:
                    raise not_a_workbook()
                self._carry = piece + self._carry  # the root tag is still to come
                return
            self._prefix = root.group(1) or b""
        p = self._prefix
        if self._head:
            self._dimension(piece)
        tags = self._tags()
        self.rows += len(tags["row"].findall(piece))
        for found in tags["alert"].finditer(piece):
            if found.group(1) is not None:
                self.unreferenced = True
                continue
            column = column_index(found.group(2))
            if column >= NARROW and not self.exact:
                raise _Wide()
            self.last_row = max(self.last_row, int(found.group(3)))
            self.last_column = max(self.last_column, column)
        if self.exact:
            letters = set(tags["letters"].findall(piece))
            if letters:
                self.last_column = max(self.last_column, column_index(max(letters, key=lambda s: (len(s), s))))
            numbers = set(tags["numbers"].findall(piece))
            if numbers:
                self.last_row = max(self.last_row, max(int(n) for n in numbers))
        for found in tags["formula"].finditer(piece):
            owner = piece.rfind(b"<" + p + b"c ", 0, found.start())
            ref = REF.match(piece, owner + len(p) + 3) if owner >= 0 else None
            ref = (ref.group(1), ref.group(2)) if ref else self._last_ref
            if ref is not None:
                self.formulas.setdefault(int(ref[1]), {})[column_index(ref[0])] = _formula_text(piece, found.start())
        last = piece.rfind(b"<" + p + b"c ")
        if last >= 0 and (ref := REF.match(piece, last + len(p) + 3)):
            self._last_ref = (ref.group(1), ref.group(2))
        self.check()

    def _tags(self) -> dict:
        """Patterns for the sheet's namespace prefix (usually none; "x:" from some generators), each
        starting with a literal so the regex engine skips along with a fast search."""
        if self._patterns is None:
            p = re.escape(b"<" + self._prefix)
            tall = rb"\d{%d,}" % len(str(MAX_SHEET_ROWS - 1))
            self._patterns = {
                "row": re.compile(p + rb"row[\s>/]"),
                # a cell without r="A1" first, or one right of NARROW or below row 99,999
                "alert": re.compile(p + rb'c(?:(>|/>|\s+(?!r=")[^>]*>)|'
                                    rb' r="(?=(?:' + _beyond(NARROW) + rb')\d|[A-Z]+' + tall + rb'")([A-Z]+)(\d+)")'),
                "letters": re.compile(p + rb'c r="([A-Z]+)'),
                "numbers": re.compile(p + rb'c r="[A-Z]+(\d+)'),
                "formula": re.compile(p + rb"f[\s>/]"),
            }
        return self._patterns

    def _dimension(self, piece: bytes) -> None:
        found = DIMENSION.search(piece)
        if found and found.group(4):
            check_area(int(found.group(4)), column_index(found.group(3)) + 1)
        if found or b"sheetData" in piece:
            self._head = False

    def check(self) -> None:
        if self.rows > MAX_SHEET_ROWS:
            raise too_many_rows()
        check_area(self.last_row, self.last_column + 1)  # exact, or bounded by NARROW in the cheap pass


def _formula_text(piece: bytes, start: int) -> str | None:
    """The text of the <f> element at `start` ("=" added); its end may be cut off with the chunk, but
    never its text, as the chunk ends before a "<"."""
    opening = piece.find(b">", start)
    if opening < 0 or piece[opening - 1:opening] == b"/":
        return None
    end = piece.find(b"<", opening)
    text = piece[opening + 1:end if end >= 0 else len(piece)].decode("utf-8", "replace")
    return "=" + html.unescape(text) if text else None


def _scan_sheet(data: bytes, info: zipfile.ZipInfo, budget: _Budget, exact: bool) -> SheetScan:
    result = SheetScan(exact=exact)
    for chunk in _inflate(data, info, budget):
        result.feed(chunk)
    result.finish()
    return result


def scan(data: bytes) -> tuple[str | None, SheetScan | None]:
    """All checks before parsing: (first worksheet's name, its scan); (None, None) when the package
    does not name its sheets the usual way (openpyxl then reads it, the limits applied while reading)."""
    book = _open(data)
    budget = _Budget()
    sheet = _first_worksheet(data, book, budget)
    result = None
    if sheet is not None:
        try:
            info = book.getinfo(sheet[1])
        except KeyError:
            raise not_a_workbook() from None
        try:
            result = _scan_sheet(data, info, budget, exact=False)
        except _Wide:
            result = _scan_sheet(data, info, _Budget(), exact=True)
            budget.left -= info.file_size
    for info in book.infolist():  # the rest too: calamine reads shared strings and styles whole
        if sheet is None or info.filename != sheet[1]:
            for _chunk in _inflate(data, info, budget):
                pass
    return (sheet[0], result) if sheet else (None, None)


# --- reading --------------------------------------------------------------------------------------

def rows(data: bytes) -> Iterator[tuple[list, list[int] | None]]:
    """(cell values from column A, formula column indexes) per sheet row, from row 1 on; a formula
    cell's value is its formula ("=A2"), as openpyxl gave it, so the error report shows what was typed."""
    name, sheet_scan = scan(data)
    if sheet_scan is None or sheet_scan.unreferenced:
        yield from _openpyxl_rows(data)
        return
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_name(name)
    except (CalamineError, ValueError, OSError):
        raise not_a_workbook() from None
    try:
        pad = None
        for number, row in enumerate(sheet.iter_rows(), start=1):
            if pad is None:  # calamine's rows start at the used range's first column
                pad = [None] * (sheet.start or (0, 0))[1] if len(row) == sheet.width else []
            cells = pad + row if pad else row
            formulas = sheet_scan.formulas.get(number)
            if formulas:
                if len(cells) <= max(formulas):
                    cells = cells + [None] * (max(formulas) + 1 - len(cells))
                for index, text in formulas.items():
                    if text:
                        cells[index] = text
            yield cells, list(formulas) if formulas else None
        number = (sheet.end or (-1, 0))[0] + 1  # the rows calamine gave (from row 1)
        for later in sorted(n for n in sheet_scan.formulas if n > number):  # formula-only rows without values
            formulas = sheet_scan.formulas[later]
            cells = [None] * (max(formulas) + 1)
            for index, text in formulas.items():
                cells[index] = text
            yield from (([], None) for _gap in range(later - number - 1))
            yield cells, list(formulas)
            number = later
    finally:
        book.close()


def _openpyxl_rows(data: bytes) -> Iterator[tuple[list, list[int] | None]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:
        raise not_a_workbook() from None
    try:
        for row in book.worksheets[0].iter_rows():
            yield [c.value for c in row], [i for i, c in enumerate(row) if getattr(c, "data_type", None) == "f"]
    finally:
        book.close()
