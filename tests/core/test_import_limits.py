"""Import files that would take the server down (issue #18): zip bombs, lying zip headers, millions of
empty rows, a used range too big to hold, huge CSV files — refused before or while parsing, with a
message that names the limit. And the xlsx reader (python-calamine) keeps what openpyxl gave."""
import io
import struct
import time
import zipfile
from datetime import date, datetime

import openpyxl
import pytest

from app.core import i18n, import_files, import_xlsx, imports
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.permissions import Scope
from tests.core.test_imports import SPEC
from tests.helpers import xlsx

pytestmark = [pytest.mark.req("NFR-06"), pytest.mark.req("REC-08")]

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@pytest.fixture(autouse=True)
def english():
    token = i18n.current_locale.set("en")
    yield
    i18n.current_locale.reset(token)


def workbook(sheet_chunks, *, dimension: str | None = None) -> bytes:
    """A minimal .xlsx whose first sheet's XML is streamed from `sheet_chunks` (bytes) through deflate,
    as a crafted file would be; nothing is held in memory uncompressed."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                   'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
                   'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                   'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" '
                   'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
        z.writestr("_rels/.rels", f'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   f'package/2006/relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" '
                   f'Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook {NS} xmlns:r="{REL}"><sheets><sheet '
                   f'name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", f'<?xml version="1.0"?><Relationships xmlns="http://schemas.'
                   f'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/worksheet" '
                   f'Target="worksheets/sheet1.xml"/></Relationships>')
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'<?xml version="1.0"?><worksheet {NS}>'.encode())
            if dimension:
                sheet.write(f'<dimension ref="{dimension}"/>'.encode())
            sheet.write(b"<sheetData>")
            for chunk in sheet_chunks:
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


HEADER = (b'<row r="1"><c r="A1" t="inlineStr"><is><t>Code</t></is></c>'
          b'<c r="B1" t="inlineStr"><is><t>Name</t></is></c></row>')


def empty_rows(count: int, numbered: bool = False):
    yield HEADER
    step = 100_000
    for start in range(2, count + 2, step):
        n = min(step, count + 2 - start)
        yield (b"".join(b'<row r="%d"/>' % i for i in range(start, start + n)) if numbered else b"<row/>" * n)


def refused(data: bytes, name: str = "bomb.xlsx") -> str:
    started = time.monotonic()
    with pytest.raises(Invalid) as exc:
        import_files.read_file(import_files.check_file(name, data, 20), data)
    assert time.monotonic() - started < 5  # a sanity guard; the message is the real check
    return exc.value.message


def test_a_zip_bomb_of_empty_rows_is_refused_by_its_compression_ratio():
    data = workbook(empty_rows(40_000_000))  # 240 MB of <row/> in about 250 KB
    assert len(data) < 1024 * 1024
    message = refused(data)
    assert "compressed" in message and "at most 100:1" in message


def test_millions_of_empty_rows_are_refused_while_streaming_the_sheet(monkeypatch):
    monkeypatch.setattr(import_xlsx, "MAX_RATIO", 10_000)  # past the ratio check: the rows are counted
    message = refused(workbook(empty_rows(3_000_000, numbered=True)))
    assert message == ("The sheet has more than 110,000 rows (empty rows count too). Delete the empty rows below "
                       "the data or split the file.")


def test_a_dimension_claiming_millions_of_rows_is_refused():
    rows = [HEADER, b'<row r="2"><c r="A2" t="inlineStr"><is><t>P1</t></is></c></row>']
    assert "more than 110,000 rows" in refused(workbook(rows, dimension="A1:B3000000"))
    assert "at most 8,000,000 cells" in refused(workbook(rows, dimension="A1:ZZ90000"))


def test_a_used_range_too_big_to_hold_is_refused():
    # Two cells, A1 and ZZ20000: calamine (like openpyxl) would lay out 14 million cells in between.
    rows = [HEADER, b'<row r="20000"><c r="ZZ20000" t="inlineStr"><is><t>x</t></is></c></row>']
    message = refused(workbook(rows))
    assert message == ("The sheet's data spans 20,000 rows x 702 columns; at most 8,000,000 cells can be imported. "
                       "Delete the empty rows and columns around the data or split the file.")


def test_a_member_whose_header_lies_about_its_size_is_refused(monkeypatch):
    import python_calamine

    def no_calamine(*_args, **_kwargs):
        raise AssertionError("calamine parsed a file with a lying header")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", no_calamine)
    data = bytearray(workbook(empty_rows(2_000_000, numbered=True)))
    book = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = book.getinfo("xl/worksheets/sheet1.xml")
    assert info.file_size > 30_000_000
    # Declare 4 KB uncompressed in the central directory: every size and ratio check passes on it.
    central = next(at for at in range(len(data) - 46, 0, -1) if data[at:at + 4] == b"PK\x01\x02"
                   and struct.unpack("<I", data[at + 42:at + 46])[0] == info.header_offset)
    data[central + 24:central + 28] = struct.pack("<I", 4096)
    lied = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("xl/worksheets/sheet1.xml")
    assert lied.file_size == 4096
    assert "not a valid Excel workbook" in refused(bytes(data))


def test_unpacked_size_is_capped(monkeypatch):
    monkeypatch.setattr(import_xlsx, "MAX_UNPACKED_MB", 1)
    rows = [["Code", "Name"]] + [[f"P{i}", f"人{i}"] for i in range(20_000)]
    message = refused(xlsx(rows), "big.xlsx")
    assert message == ("The file unpacks to more than 1 MB of data; at most 1 MB can be imported. Remove unused "
                       "sheets and pictures or split the file.")
    csv = ("Code,Name\n" + "".join(f"P{i},name {i}\n" for i in range(100_000))).encode()
    assert "unpacks to more than 1 MB" in refused(csv, "big.csv")


def test_csv_with_millions_of_empty_lines_or_a_huge_field_is_refused():
    message = refused(b"Code,Name\n" + b"\n" * 3_000_000, "blank.csv")
    assert "more than 110,000 rows (empty rows count too)" in message
    message = refused(b"Code,Name\nP1,\"" + b"x" * 300_000 + b"\"\n", "field.csv")
    assert "not a text CSV file" in message
    wide = b"Code,Name\n" + (b"," * 2_000 + b"\n") * 5_000
    assert "at most 8,000,000 cells" in refused(wide, "wide.csv")


async def test_a_bomb_upload_is_refused_and_nothing_is_stored(db):
    user_id = await db.fetchval("SELECT id FROM app_user WHERE username = 'admin'")
    admin = Actor(user_id, "admin", "127.0.0.1", Scope(all=True), frozenset(), True)
    with pytest.raises(Invalid) as exc:
        await imports.parse_upload(SPEC, "people.xlsx", workbook(empty_rows(40_000_000)), admin)
    assert exc.value.field == "file" and "at most 100:1" in exc.value.message
    assert await db.fetchval("SELECT count(*) FROM import_batch") == 0


def test_xlsx_is_read_with_calamine_keeping_positions_text_dates_and_formulas(monkeypatch):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["B3"], sheet["C3"], sheet["D3"], sheet["E3"] = "Code", "Phone", "Born", "Note"
    sheet["B4"], sheet["C4"], sheet["D4"], sheet["E4"] = "0012", "013800001111", datetime(1990, 1, 31), "=A2&\"<x>\""
    sheet["B5"], sheet["C5"], sheet["D5"], sheet["E5"] = 7, 1.5, date(2001, 2, 3), True
    sheet["F6"] = "=1/0"  # a formula right of the header, without a cached value
    book.create_sheet("Other")["A1"] = "ignored"
    out = io.BytesIO()
    book.save(out)

    def no_openpyxl(*_args, **_kwargs):
        raise AssertionError("openpyxl read the upload")

    monkeypatch.setattr(openpyxl.reader.excel.ExcelReader, "read", no_openpyxl)
    read = import_files.read_file("xlsx", out.getvalue())
    assert read.headers == ["Column 1", "Code", "Phone", "Born", "Note"]
    assert read.rows[0] == (4, {"cells": [None, "0012", "013800001111", "1990-01-31", '=A2&"<x>"'], "formulas": [4]})
    assert read.rows[1] == (5, {"cells": [None, 7, 1.5, "2001-02-03", True]})
    assert read.rows[2] == (6, {"cells": [None] * 5})  # kept as openpyxl kept it: a row with a value


def test_cells_without_references_are_read_by_openpyxl_under_the_same_limits():
    rows = [b'<row><c t="inlineStr"><is><t>Code</t></is></c><c t="inlineStr"><is><t>Name</t></is></c></row>',
            b'<row><c t="inlineStr"><is><t>007</t></is></c><c><f>1+1</f><v>2</v></c></row>']
    data = workbook(rows)
    _name, scan = import_xlsx.scan(data)
    assert scan.unreferenced
    read = import_files.read_file("xlsx", data)
    assert read.headers == ["Code", "Name"] and read.rows == [(2, {"cells": ["007", "=1+1"], "formulas": [1]})]
