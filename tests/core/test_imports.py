"""Import engine (SUP-18 / REC-08) and list export (REC-10, SUP-15 watermark, SUP-16 masking), through the
service layer against the real database. A small spec that imports dictionary items stands in for a module."""
import io
import json
from datetime import date, datetime

import openpyxl
import pytest

from app.core import db as core_db
from app.core import exports, i18n, import_files, imports, jobs, settings_store
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import lazy as L
from app.core.permissions import Scope
from tests.helpers import xlsx

TYPE = "import_test"


async def _create(actor, values):
    return str(await core_db.fetchval(
        "INSERT INTO dict_item (type_code, code, name, created_by) VALUES ($1, $2, $3, $4) RETURNING id",
        TYPE, values["code"], f"{values['name']} {values['born'].isoformat()}", actor.id))


async def _rollback(actor, entity_id):
    await core_db.execute("DELETE FROM dict_item WHERE id = $1", int(entity_id))


async def _validate(values, ctx):
    if values.get("code") == "TAKEN":
        return {"code": "already in the database"}
    return {}


SPEC = imports.register(imports.ImportSpec(
    kind="test_people", title=L("Import users"), permission="sup.user.import", create=_create, rollback=_rollback,
    validate_row=_validate, columns=[
        imports.ImportColumn("code", L("Code"), required=True, unique=True, example="P001"),
        imports.ImportColumn("name", L("Name"), required=True, example="张三"),
        imports.ImportColumn("born", L("Birthday"), required=True, parse=import_files.as_date, example="1990-01-31"),
        imports.ImportColumn("email", L("Email"), parse=import_files.as_email, aliases=("邮箱",)),
    ]))


@pytest.fixture
def english():
    token = i18n.current_locale.set("en")
    yield
    i18n.current_locale.reset(token)


@pytest.fixture
async def admin(db):
    user_id = await db.fetchval("SELECT id FROM app_user WHERE username = 'admin'")
    return Actor(user_id, "admin", "127.0.0.1", Scope(all=True), frozenset(), True)


GOOD_AND_BAD = [
    ["Code", "Name", "Birthday", "Email"],
    ["P1", "王一", datetime(1990, 1, 31), "p1@example.cn"],   # row 2: an Excel date cell
    ["P2", "王二", "1991/2/3", ""],                            # row 3: another date format
    ["P3", "王三", "1992年3月4日", "p3@example.cn"],            # row 4: Chinese date format
    ["P4", "王四", "31.02.1993", "p4@example.cn"],             # row 5: not a date
    ["p1", "王五", "1994-05-06", ""],                          # row 6: duplicate code (case-insensitive)
    ["P6", "=A2", "1995-06-07", ""],                          # row 7: a formula
    ["P7", "王七", "19960708", "not-an-email"],                # row 8: compact date, bad email
    ["TAKEN", "王八", "1997-08-09", ""],                       # row 9: refused by the database check
    [None, None, None, None],                                 # blank rows are skipped
    ["P9", "王九", 35000, ""],                                 # row 11: an Excel serial number date
]


async def _validated(actor, rows=GOOD_AND_BAD, name="people.xlsx") -> int:
    batch_id = await imports.parse_upload(SPEC, name, xlsx(rows), actor)
    batch = await imports.get_batch(batch_id, actor)
    await imports.apply_mapping_and_validate(batch_id, batch["mapping"], actor)
    return batch_id


async def _errors(batch_id) -> dict:
    rows = await core_db.fetch("SELECT row_no, errors FROM import_row WHERE batch = $1 AND status = 'error'", batch_id)
    return {r["row_no"]: json.loads(r["errors"]) if isinstance(r["errors"], str) else r["errors"] for r in rows}


async def _items() -> list[str]:
    return [r["code"] for r in await core_db.fetch(
        "SELECT code FROM dict_item WHERE type_code = $1 ORDER BY code", TYPE)]


@pytest.mark.req("SUP-18")
async def test_template_has_the_headers_an_example_and_instructions(english):
    book = openpyxl.load_workbook(io.BytesIO(imports.template_xlsx(SPEC)))
    data, notes = book.worksheets
    assert [c.value for c in data[1]] == ["Code *", "Name *", "Birthday *", "Email"]
    assert [c.value for c in data[2]][:3] == ["P001", "张三", "1990-01-31"]
    assert data[1][0].font.b and data.freeze_panes == "A2"
    text = " ".join(str(c.value) for row in notes.iter_rows() for c in row if c.value)
    assert "required" in text and "Birthday" in text
    assert imports.auto_mapping(SPEC, [c.value for c in data[1]]) == {"code": 0, "name": 1, "born": 2, "email": 3}


@pytest.mark.req("SUP-18")
async def test_auto_mapping_matches_keys_and_labels_in_either_language(monkeypatch):
    zh = {"Code": "编码", "Name": "姓名", "Birthday": "生日"}

    class Catalog:
        def __init__(self, locale):
            self.locale = locale

        def gettext(self, msgid):
            return zh.get(msgid, msgid) if self.locale == "zh_CN" else msgid

    monkeypatch.setattr(import_files, "translations", Catalog)
    mapping = imports.auto_mapping(SPEC, ["备注", "生日 *", "EMAIL", "姓名", "code"])
    assert mapping == {"code": 4, "name": 3, "born": 1, "email": 2}
    assert imports.auto_mapping(SPEC, ["邮箱（选填）"])["email"] == 0


@pytest.mark.req("SUP-18")
async def test_bad_rows_are_reported_and_the_rest_imported(admin, english, db):
    batch_id = await _validated(admin)
    batch = await imports.get_batch(batch_id, admin)
    assert batch["status"] == "validated" and batch["total"] == 9  # the blank row is not counted
    errors = await _errors(batch_id)
    assert set(errors) == {5, 6, 7, 8, 9}
    assert errors[5] == {"born": "31.02.1993 is not a date; write it as 2024-01-31."}
    assert errors[6] == {"code": "p1 appears twice in this file (also in row 2)."}
    assert errors[7] == {"name": "Formulas are not accepted: type the value itself."}
    assert errors[8] == {"email": "not-an-email is not a valid email address."}
    assert errors[9] == {"code": "already in the database"}
    assert (batch["ok_count"], batch["error_count"]) == (4, 5)

    await imports.commit(batch_id, admin)
    assert (await imports.get_batch(batch_id, admin))["status"] == "committing"
    await jobs.drain()
    batch = await imports.get_batch(batch_id, admin)
    assert batch["status"] == "committed" and batch["imported_count"] == 4
    names = {r["code"]: r["name"]
             for r in await db.fetch("SELECT code, name FROM dict_item WHERE type_code = $1", TYPE)}
    assert names == {"P1": "王一 1990-01-31", "P2": "王二 1991-02-03", "P3": "王三 1992-03-04", "P9": "王九 1995-10-28"}
    job = await jobs.get(batch["job_id"])
    assert job["status"] == "done" and job["progress"] == job["total"] == 4
    inbox = await db.fetchrow("SELECT * FROM inbox_message WHERE \"user\" = $1 AND template_code = 'import_finished'",
                              admin.id)
    assert inbox["body"] == "4 rows imported, 5 rows with errors."
    assert inbox["url"] == f"/admin/imports/batch/{batch_id}"


@pytest.mark.req("SUP-18")
async def test_crash_in_the_middle_of_commit_resumes_without_duplicates(admin, english, db, monkeypatch):
    rows = [["Code", "Name", "Birthday"]] + [[f"C{i:02d}", f"人{i}", "2000-01-01"] for i in range(1, 13)]
    batch_id = await _validated(admin, rows)
    real_create, calls = SPEC.create, []

    async def crashing(actor, values):
        calls.append(values["code"])
        if len(calls) == 8:
            raise RuntimeError("worker killed")  # like kill -9 between two rows
        return await real_create(actor, values)

    monkeypatch.setattr(SPEC, "create", crashing)
    monkeypatch.setattr(imports.batches, "CHUNK", 5)
    await imports.commit(batch_id, admin)
    await jobs.drain()
    batch = await imports.get_batch(batch_id, admin)
    job = await jobs.get(batch["job_id"])
    assert batch["status"] == "committing" and job["status"] == "queued" and "worker killed" in job["error"]
    assert len(await _items()) == 7
    monkeypatch.setattr(SPEC, "create", real_create)
    await db.execute("UPDATE job SET run_at = now() WHERE id = $1", job["id"])  # the retry is due now
    await jobs.drain()
    batch = await imports.get_batch(batch_id, admin)
    assert batch["status"] == "committed" and batch["imported_count"] == 12
    assert await _items() == [f"C{i:02d}" for i in range(1, 13)]  # each exactly once
    ids = await db.fetch("SELECT entity_id FROM import_row WHERE batch = $1 AND status = 'imported'", batch_id)
    assert len({r["entity_id"] for r in ids}) == 12


@pytest.mark.req("SUP-18")
@pytest.mark.req("SUP-14")
async def test_rollback_undoes_exactly_the_imported_rows_and_is_audited(admin, english, db):
    await db.execute("INSERT INTO dict_item (type_code, code, name) VALUES ($1, 'OLD', 'kept')", TYPE)
    batch_id = await _validated(admin)
    await imports.commit(batch_id, admin)
    await jobs.drain()
    assert len(await _items()) == 5
    undone = await imports.rollback(batch_id, admin)
    assert undone == 4 and await _items() == ["OLD"]
    batch = await imports.get_batch(batch_id, admin)
    assert batch["status"] == "rolled_back" and batch["imported_count"] == 0
    statuses = await db.fetch("SELECT status, count(*) AS n FROM import_row WHERE batch = $1 GROUP BY status", batch_id)
    assert {r["status"]: r["n"] for r in statuses} == {"rolled_back": 4, "error": 5}
    audit = await db.fetchrow("SELECT * FROM audit_log WHERE action = 'rollback' AND entity = 'import_batch'")
    assert audit["entity_id"] == str(batch_id) and audit["actor_name"] == "admin"
    assert "4 rows undone" in audit["summary"]
    with pytest.raises(Conflict, match="Only a committed import can be rolled back"):
        await imports.rollback(batch_id, admin)  # nothing left to roll back


@pytest.mark.req("SUP-18")
async def test_error_report_lists_the_failed_rows_with_messages(admin, english):
    batch_id = await _validated(admin)
    book = openpyxl.load_workbook(io.BytesIO(await imports.error_report_xlsx(batch_id)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0] == ("Row", "Errors", "Code", "Name", "Birthday", "Email")
    assert [r[0] for r in rows[1:]] == [5, 6, 7, 8, 9]
    assert rows[3][1] == "Name: Formulas are not accepted: type the value itself." and rows[3][3] == "=A2"


@pytest.mark.req("SUP-18")
async def test_csv_in_gbk_with_semicolons_is_read(admin, english, db):
    text = "Code;Name;Birthday\nG1;张三;2001-01-01\nG2;李四;2001.2.2\n"
    batch_id = await imports.parse_upload(SPEC, "people.csv", text.encode("gbk"), admin)
    batch = await imports.apply_mapping_and_validate(batch_id, {"code": "0", "name": "1", "born": "2"}, admin)
    assert batch["ok_count"] == 2 and batch["headers"] == ["Code", "Name", "Birthday"]
    rows = await imports.preview(batch_id)
    assert rows[0] == ["G1", "张三", "2001-01-01"]
    bom = await imports.parse_upload(SPEC, "p.csv", ("\ufeff" + text.replace(";", ",")).encode("utf-8"), admin)
    assert (await imports.get_batch(bom, admin))["headers"][0] == "Code"


@pytest.mark.req("SUP-18")
async def test_mapping_must_cover_required_columns(admin, english):
    batch_id = await imports.parse_upload(SPEC, "p.xlsx", xlsx(GOOD_AND_BAD), admin)
    with pytest.raises(Invalid) as exc:
        await imports.apply_mapping_and_validate(batch_id, {"code": "0", "name": "1"}, admin)
    assert exc.value.field == "born" and "required" in exc.value.message
    with pytest.raises(Invalid) as exc:
        await imports.apply_mapping_and_validate(batch_id, {"code": "0", "name": "0", "born": "2"}, admin)
    assert exc.value.field == "name"


@pytest.mark.req("SUP-18")
async def test_oversized_and_non_spreadsheet_files_are_refused_with_a_message(admin, english, db):
    await settings_store.put("upload.max_mb", 1)
    with pytest.raises(Invalid) as exc:
        await imports.parse_upload(SPEC, "big.csv", b"a,b\n" + b"1,2\n" * 400_000, admin)
    assert "files up to 1 MB" in exc.value.message
    for name, data in (("scan.pdf", b"%PDF-1.4 ..."), ("old.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100)):
        with pytest.raises(Invalid) as exc:
            await imports.parse_upload(SPEC, name, data, admin)
        assert "Only Excel workbooks (.xlsx) and CSV files (.csv)" in exc.value.message
    with pytest.raises(Invalid) as exc:
        await imports.parse_upload(SPEC, "fake.xlsx", b"just text", admin)
    assert "not a valid Excel workbook" in exc.value.message
    with pytest.raises(Invalid) as exc:
        await imports.parse_upload(SPEC, "bin.csv", b"\x00\x01\x02binary", admin)
    assert "not a text CSV" in exc.value.message
    with pytest.raises(Invalid) as exc:
        await imports.parse_upload(SPEC, "empty.xlsx", xlsx([["Code", "Name"]]), admin)
    assert "no data rows" in exc.value.message
    assert await db.fetchval("SELECT count(*) FROM import_batch") == 0


@pytest.mark.req("SUP-18")
def test_date_parser_accepts_common_formats():
    expected = date(2024, 1, 5)
    for raw in ("2024-01-05", "2024/1/5", "2024.1.5", "20240105", "2024年1月5日", "2024-01-05 00:00:00", 45296):
        assert import_files.as_date(raw) == expected, raw
    with pytest.raises(Invalid):
        import_files.as_date("05/13/2024")


# --- export -------------------------------------------------------------------------------------

ROWS = [{"username": "wang", "name": "王小明", "phone": "13812345678", "note": "=HYPERLINK(\"http://x\")",
         "at": datetime(2024, 1, 5, 8, 30).astimezone(), "active": True},
        {"username": "li", "name": "李四", "phone": None, "note": "-cmd", "at": None, "active": False}]
COLUMNS = [("username", "Username"), ("name", "Name"), ("phone", "Phone"), ("note", "Note"), ("at", "At"),
           ("active", "Active")]
MASK = {"name": "name", "phone": "phone"}


class Viewer:
    def __init__(self, perms=()):
        self.perms, self.display, self.username = set(perms), "李计算", "cs_admin"

    def can(self, perm):
        return perm in self.perms


@pytest.mark.req("SUP-16")
@pytest.mark.req("SUP-15")
def test_xlsx_export_is_masked_watermarked_and_readable(english):
    viewer = Viewer(["sup.field.clear.name"])
    mark = exports.watermark_text(viewer)
    assert "李计算" in mark and "cs_admin" in mark
    data = exports.export_rows(COLUMNS, ROWS, "xlsx", viewer=viewer, mask=MASK, watermark=mark)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == mark and sheet.oddHeader.center.text == mark and sheet.oddFooter.center.text == mark
    assert rows[1] == ("Username", "Name", "Phone", "Note", "At", "Active")
    assert sheet["A2"].font.b and sheet.freeze_panes == "A3"
    assert rows[2][:4] == ("wang", "王小明", "138****5678", "=HYPERLINK(\"http://x\")")
    assert sheet["D3"].data_type == "s"  # a formula-looking text stays text
    assert rows[2][4] == datetime(2024, 1, 5, 8, 30) and rows[2][5] == "Yes"
    assert rows[3][:3] == ("li", "李四", None) and rows[3][5] == "No"
    assert sheet.column_dimensions["B"].width >= 8


@pytest.mark.req("SUP-16")
def test_csv_export_has_a_bom_masks_and_neutralises_formulas(english):
    data = exports.export_rows(COLUMNS, ROWS, "csv", viewer=Viewer(), mask=MASK, watermark="Exported by x")
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "Exported by x" and lines[1] == "Username,Name,Phone,Note,At,Active"
    assert lines[2].startswith("wang,王*明,138****5678,\"'=HYPERLINK") and "2024-01-05 08:30" in lines[2]
    assert lines[3] == "li,李*,,'-cmd,,No"


@pytest.mark.req("SUP-15")
def test_export_response_is_an_attachment_with_a_utf8_file_name():
    response = exports.export_response("用户导出", COLUMNS[:1], ROWS, "csv", None, None, None)
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E7%94%A8%E6%88%B7%E5%AF%BC%E5%87%BA.csv" in disposition
    assert response.media_type.startswith("text/csv")
    assert exports.choose_columns(COLUMNS, ["phone", "username"]) == [("username", "Username"), ("phone", "Phone")]
    assert exports.choose_columns(COLUMNS, []) == COLUMNS
