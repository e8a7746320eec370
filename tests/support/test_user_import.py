"""SUP-18 bulk user import and the users export, through HTTP as an admin would use them."""
import csv
import io
import json
import re

import openpyxl
import pytest

from app.core import jobs
from app.support.user_import import USERS
from tests.helpers import csrf_from, post_form, xlsx

HEADERS = ["Username", "Real name", "Email", "Mobile phone", "Org code", "User kind", "Role codes",
           "Initial password"]


@pytest.fixture
def english(client):
    client.cookies.set("tc_lang", "en")


async def upload(client, name: str, data: bytes, kind: str = "users"):
    page = await client.get(f"/admin/imports/{kind}")
    return await client.post(f"/admin/imports/{kind}", data={"_csrf_token": csrf_from(page.text)},
                             files={"file": (name, data, "application/octet-stream")})


async def upload_and_check(client, rows: list[list]) -> int:
    """Upload, accept the proposed mapping, validate; returns the batch id."""
    response = await upload(client, "users.xlsx", xlsx([HEADERS, *rows]))
    assert response.status_code == 303, response.text[:800]
    mapping_url = response.headers["location"]
    batch_id = int(re.search(r"/batch/(\d+)/mapping", mapping_url).group(1))
    page = await client.get(mapping_url)
    assert page.status_code == 200
    selects = re.findall(r'<select id="map-\w+" name="(map_\w+)"[^>]*>(.*?)</select>', page.text, re.S)
    chosen = {name: re.search(r'value="(\d+)" selected', body).group(1) for name, body in selects
              if 'selected' in body}
    assert len(chosen) == len(USERS.columns)  # every column recognised from the template's headers
    checked = await client.post(mapping_url, data={**chosen, "_csrf_token": csrf_from(page.text)})
    assert checked.status_code == 303 and checked.headers["location"] == f"/admin/imports/batch/{batch_id}"
    return batch_id


async def row_errors(db, batch_id: int) -> dict:
    rows = await db.fetch("SELECT row_no, errors FROM import_row WHERE batch = $1 AND status = 'error'", batch_id)
    return {r["row_no"]: json.loads(r["errors"]) for r in rows}


async def commit(client, batch_id: int) -> None:
    response = await post_form(client, f"/admin/imports/batch/{batch_id}", f"/admin/imports/batch/{batch_id}/commit",
                               {})
    assert response.status_code == 303
    await jobs.drain()


@pytest.mark.req("SUP-18")
async def test_template_download_has_the_user_columns(as_user, english):
    client = await as_user("admin")
    response = await client.get("/admin/imports/users/template.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert response.headers["content-disposition"].startswith("attachment;")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert [c.value for c in book.worksheets[0][1]] == ["Username *", "Real name *", "Email", "Mobile phone",
                                                         "Org code", "User kind", "Role codes", "Initial password"]
    assert len(book.worksheets) == 2
    start = await client.get("/admin/imports/users")
    assert 'href="/admin/imports/users/template.xlsx"' in start.text and 'type="file"' in start.text


@pytest.mark.req("SUP-18")
@pytest.mark.req("SUP-14")
async def test_import_reports_bad_rows_and_imports_the_rest(as_user, english, db):
    before = await db.fetchval("SELECT coalesce(max(id), 0) FROM audit_log")  # the demo data's entries are older
    client = await as_user("admin")
    rows = [
        ["imp_a", "导入甲", "imp_a@example.cn", 13900000001, "CS", "alumni", "class_liaison", "Welcome2026"],  # 2
        ["imp_b", "导入乙", "", "", "CS-2008-1", "", "", ""],                    # 3
        ["imp_c", "导入丙", "not-mail", "", "CS", "", "", ""],                   # 4 bad email
        ["IMP_A", "重复", "", "", "CS", "", "", ""],                             # 5 dup in file
        ["imp_e", "=CONCAT(\"a\",\"b\")", "", "", "CS", "", "", ""],             # 6 formula
        ["imp_f", "导入己", "", "", "NOPE", "", "", ""],                         # 7 unknown org
        ["cs_admin", "已存在", "", "", "CS", "", "", ""],                        # 8 taken in DB
        ["imp_h", "导入辛", "", "12ab", "CS", "", "", ""],                       # 9 bad phone
        ["imp_i", "导入壬", "cs_admin@tongchuang.local", "", "CS", "", "", ""],  # 10 email taken
        ["imp_j", "导入癸", "", "", "CS", "boss", "nosuchrole", "short"],        # 11 three errors
        ["imp_k", "导入子", "", "", "EM", "校友", "", ""],                       # 12
    ]
    batch_id = await upload_and_check(client, rows)
    errors = await row_errors(db, batch_id)
    assert errors == {
        4: {"email": "not-mail is not a valid email address."},
        5: {"username": "IMP_A appears twice in this file (also in row 2)."},
        6: {"name": "Formulas are not accepted: type the value itself."},
        7: {"org": "Unknown org code NOPE."},
        8: {"username": "The username cs_admin is already taken."},
        9: {"phone": "12ab is not a valid phone number."},
        10: {"email": "The email address cs_admin@tongchuang.local is already registered."},
        11: {"kind": "Unknown user kind boss; use one of: visitor, registered, alumni, admin.",
             "roles": "Unknown role code nosuchrole.", "password": "Use at least 8 characters."},
    }
    report = await client.get(f"/admin/imports/batch/{batch_id}?status=error")
    assert "Unknown org code NOPE." in report.text and "Formulas are not accepted" in report.text
    assert "imp_a" not in report.text  # filtered to the rows with errors
    assert "Welcome2026" not in (await client.get(f"/admin/imports/batch/{batch_id}")).text  # passwords never shown

    await commit(client, batch_id)
    users = {r["username"]: r for r in await db.fetch(
        "SELECT u.*, o.code AS org_code FROM app_user u LEFT JOIN org_node o ON o.id = u.org "
        "WHERE u.username LIKE 'imp\\_%' ORDER BY u.username")}
    assert set(users) == {"imp_a", "imp_b", "imp_k"}
    assert users["imp_a"]["org_code"] == "CS" and users["imp_a"]["kind"] == "alumni"
    assert users["imp_a"]["phone"] == "13900000001" and users["imp_a"]["password_hash"]
    assert users["imp_k"]["kind"] == "alumni" and users["imp_b"]["kind"] == "registered"
    roles = await db.fetch('SELECT r.code FROM user_role ur JOIN role r ON r.id = ur.role WHERE ur."user" = $1',
                           users["imp_a"]["id"])
    assert [r["code"] for r in roles] == ["class_liaison"]
    created = await db.fetch("SELECT entity_id, actor_name FROM audit_log WHERE action = 'create' AND entity = 'user'"
                             " AND id > $1", before)
    assert {r["entity_id"] for r in created} == {str(u["id"]) for u in users.values()}
    assert {r["actor_name"] for r in created} == {"admin"}
    report = await client.get(f"/admin/imports/batch/{batch_id}")
    assert 'data-status="committed"' in report.text
    assert f'href="/admin/imports/batch/{batch_id}/rollback"' in report.text
    stored = await db.fetch("SELECT data FROM import_row WHERE batch = $1", batch_id)
    assert "Welcome2026" not in "".join(r["data"] for r in stored)  # initial passwords are not kept
    errors_file = await client.get(f"/admin/imports/batch/{batch_id}/errors.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(errors_file.content)).active
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == [4, 5, 6, 7, 8, 9, 10, 11]


@pytest.mark.req("SUP-18")
@pytest.mark.req("SUP-03")
async def test_college_admin_imports_only_inside_scope_and_grantable_roles(as_user, english, db):
    client = await as_user("cs_admin")
    batch_id = await upload_and_check(client, [
        ["cs_new", "计算新人", "", "", "CS-2008-1", "alumni", "class_liaison", ""],
        ["em_new", "经管新人", "", "", "EM", "alumni", "", ""],
        ["boss_new", "提权", "", "", "CS", "admin", "hq_admin", ""],
        ["no_org", "无组织", "", "", "", "alumni", "", ""],
    ])
    assert await row_errors(db, batch_id) == {
        3: {"org": "The org EM is outside your data scope."},
        4: {"roles": "You cannot grant the role 校友总会管理员: it has permissions you do not hold."},
        5: {"org": "Enter the code of an org node inside your data scope."},
    }
    await commit(client, batch_id)
    made = await db.fetch("SELECT username FROM app_user WHERE username IN ('cs_new', 'em_new', 'boss_new', 'no_org')")
    assert [r["username"] for r in made] == ["cs_new"]
    other = await as_user("em_admin")  # another college's admin cannot open this batch
    assert (await other.get(f"/admin/imports/batch/{batch_id}")).status_code == 403
    liaison = await as_user("liaison")
    assert (await liaison.get("/admin/imports/users")).status_code == 403


@pytest.mark.req("SUP-18")
async def test_crash_mid_commit_then_resume_imports_every_row_once(as_user, english, db, monkeypatch):
    from app.core import imports

    client = await as_user("admin")
    batch_id = await upload_and_check(client, [[f"bulk{i:02d}", f"批量{i}", "", "", "CS", "", "", ""]
                                               for i in range(1, 16)])
    real_create, calls = USERS.create, []

    async def dies_on_the_seventh(actor, values):
        calls.append(values["username"])
        if len(calls) == 7:
            raise RuntimeError("worker killed")
        return await real_create(actor, values)

    monkeypatch.setattr(USERS, "create", dies_on_the_seventh)
    monkeypatch.setattr(imports.batches, "CHUNK", 4)
    await commit(client, batch_id)
    assert await db.fetchval("SELECT count(*) FROM app_user WHERE username LIKE 'bulk%'") == 6
    running = await client.get(f"/admin/imports/batch/{batch_id}")
    assert 'data-status="committing"' in running.text and 'hx-trigger="every 1s"' in running.text
    assert '<meta http-equiv="refresh" content="2">' in running.text
    polled = await client.get(f"/admin/imports/batch/{batch_id}",
                              headers={"HX-Request": "true", "HX-Target": "progress"})
    assert polled.text.lstrip().startswith('<div id="progress"') and "<noscript>" not in polled.text
    monkeypatch.setattr(USERS, "create", real_create)
    await db.execute("UPDATE job SET run_at = now() WHERE kind = 'import.commit'")
    await jobs.drain()
    names = [r["username"] for r in await db.fetch("SELECT username FROM app_user WHERE username LIKE 'bulk%' "
                                                   "ORDER BY username")]
    assert names == [f"bulk{i:02d}" for i in range(1, 16)]
    assert await db.fetchval("SELECT count(*) FROM import_row WHERE batch = $1 AND status = 'imported'", batch_id) == 15
    done = await client.get(f"/admin/imports/batch/{batch_id}", headers={"HX-Request": "true", "HX-Target": "progress"})
    assert done.headers.get("hx-refresh") == "true"  # polling ends with a reload of the finished report


@pytest.mark.req("SUP-18")
@pytest.mark.req("SUP-14")
async def test_rollback_removes_exactly_the_imported_users_and_is_audited(as_user, english, db):
    client = await as_user("admin")
    before = await db.fetchval("SELECT count(*) FROM app_user")
    batch_id = await upload_and_check(client, [["rb_one", "回滚一", "", "", "CS", "", "", ""],
                                               ["rb_two", "回滚二", "", "", "BJ", "", "", ""],
                                               ["cs_admin", "已存在", "", "", "CS", "", "", ""]])
    await commit(client, batch_id)
    assert await db.fetchval("SELECT count(*) FROM app_user") == before + 2
    confirm = await client.get(f"/admin/imports/batch/{batch_id}/rollback")
    assert confirm.status_code == 200 and f'action="/admin/imports/batch/{batch_id}/rollback"' in confirm.text
    done = await post_form(client, f"/admin/imports/batch/{batch_id}/rollback",
                           f"/admin/imports/batch/{batch_id}/rollback", {})
    assert done.status_code == 303
    assert await db.fetchval("SELECT count(*) FROM app_user") == before
    assert await db.fetchval("SELECT count(*) FROM app_user WHERE username = 'cs_admin'") == 1
    deleted = await db.fetch("SELECT before, actor_name FROM audit_log WHERE action = 'delete' AND entity = 'user'")
    assert sorted(json.loads(r["before"])["username"] for r in deleted) == ["rb_one", "rb_two"]
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'rollback' AND entity_id = $1",
                             str(batch_id)) == 1
    report = await client.get(f"/admin/imports/batch/{batch_id}")
    assert 'data-status="rolled_back"' in report.text and "/rollback" not in report.text


@pytest.mark.req("SUP-18")
async def test_oversized_and_non_spreadsheet_uploads_get_clear_messages(as_user, english, db):
    client = await as_user("admin")
    big = await upload(client, "huge.csv", b"username,name\n" + b"x" * (50 * 1024 * 1024))
    assert big.status_code == 422 and "The file is 50.0 MB; files up to 20 MB can be imported." in big.text
    pdf = await upload(client, "list.pdf", b"%PDF-1.7\n...")
    assert pdf.status_code == 422 and "Only Excel workbooks (.xlsx) and CSV files (.csv) can be imported." in pdf.text
    fake = await upload(client, "list.xlsx", b"this is not a workbook")
    assert fake.status_code == 422 and "not a valid Excel workbook" in fake.text
    empty = await post_form(client, "/admin/imports/users", "/admin/imports/users", {})
    assert empty.status_code == 422 and "Choose a file to upload." in empty.text
    assert await db.fetchval("SELECT count(*) FROM import_batch") == 0


# --- export -------------------------------------------------------------------------------------

async def _cs_subtree_usernames(db) -> set[str]:
    rows = await db.fetch("SELECT u.username FROM app_user u JOIN org_node o ON o.id = u.org "
                          "WHERE o.path LIKE (SELECT path FROM org_node WHERE code = 'CS') || '%'")
    return {r["username"] for r in rows}


@pytest.mark.req("SUP-16")
@pytest.mark.req("SUP-15")
async def test_college_admin_export_is_masked_watermarked_and_in_scope(as_user, english, db):
    client = await as_user("cs_admin")
    response = await client.get("/admin/users/export")
    assert response.status_code == 200
    assert "attachment;" in response.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    mark = rows[0][0]
    assert "李计算" in mark and "cs_admin" in mark and mark.startswith("Exported by")
    assert sheet.oddHeader.center.text == mark and sheet.oddFooter.center.text == mark
    header = list(rows[1])
    assert header[:6] == ["Username", "Name", "Org", "Roles", "Phone", "Email"]
    data = [dict(zip(header, r, strict=True)) for r in rows[2:]]  # every sheet row is max_column wide
    assert {r["Username"] for r in data} == await _cs_subtree_usernames(db)
    phones = {r["username"]: r["phone"] for r in await db.fetch("SELECT username, phone FROM app_user")}
    for r in data:
        if phones[r["Username"]]:
            assert r["Phone"] == phones[r["Username"]][:3] + "****" + phones[r["Username"]][-4:]
    assert all("***@" in r["Email"] for r in data if r["Email"])
    audit = await db.fetchrow("SELECT * FROM audit_log WHERE action = 'export'")
    assert audit["actor_name"] == "cs_admin" and audit["entity"] == "user" and f"{len(data)} rows" in audit["summary"]


@pytest.mark.req("SUP-18")
async def test_export_csv_with_chosen_columns_and_filters(as_user, english, db):
    client = await as_user("admin")
    response = await client.get("/admin/users/export?fmt=csv&cols=username&cols=phone&q=cs_admin")
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert "admin" in lines[0][0] and lines[1] == ["Username", "Phone"]
    phone = await db.fetchval("SELECT phone FROM app_user WHERE username = 'cs_admin'")
    assert lines[2:] == [["cs_admin", phone]]  # the superuser sees clear values
    liaison = await as_user("liaison")
    assert (await liaison.get("/admin/users/export")).status_code == 403
