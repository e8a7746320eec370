"""REC-08 alumni import through the generic wizard: template from the field catalogue, per-row checks,
duplicates against existing records (skip / overwrite / merge), commit as a job, rollback of the batch."""
import io
import json
import re
from datetime import date

import openpyxl
import pytest

from app.core import jobs
from tests.helpers import csrf_from, post_form, xlsx
from tests.records.merge_helpers import diff, person, snapshot

pytestmark = pytest.mark.req("REC-08")


async def template_headers(client) -> list[str]:
    response = await client.get("/admin/imports/alumni/template.xlsx")
    assert response.status_code == 200, response.text[:300]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return [c.value for c in book.worksheets[0][1]]


def sheet(headers: list[str], rows: list[dict]) -> bytes:
    """Rows given as {header prefix: value}; every other cell empty."""
    def index(name: str) -> int:
        return next(i for i, h in enumerate(headers) if h.rstrip(" *") == name)

    out = []
    for row in rows:
        cells = [None] * len(headers)
        for name, value in row.items():
            cells[index(name)] = value
        out.append(cells)
    return xlsx([headers, *out])


async def upload(client, name: str, data: bytes):
    page = await client.get("/admin/imports/alumni")
    return await client.post("/admin/imports/alumni", data={"_csrf_token": csrf_from(page.text)},
                             files={"file": (name, data, "application/octet-stream")})


async def upload_and_check(client, data: bytes) -> int:
    response = await upload(client, "alumni.xlsx", data)
    assert response.status_code == 303, response.text[:800]
    mapping_url = response.headers["location"]
    batch_id = int(re.search(r"/batch/(\d+)/mapping", mapping_url).group(1))
    page = await client.get(mapping_url)
    selects = re.findall(r'<select id="map-[\w.]+" name="(map_[\w.]+)"[^>]*>(.*?)</select>', page.text, re.DOTALL)
    chosen = {name: re.search(r'value="(\d+)" selected', body).group(1) for name, body in selects
              if "selected" in body}
    checked = await client.post(mapping_url, data={**chosen, "_csrf_token": csrf_from(page.text)})
    assert checked.status_code == 303, checked.text[:800]
    return batch_id


async def row_errors(db, batch_id: int) -> dict:
    rows = await db.fetch("SELECT row_no, errors FROM import_row WHERE batch = $1 AND status = 'error'", batch_id)
    return {r["row_no"]: json.loads(r["errors"]) for r in rows}


async def commit(client, batch_id: int) -> None:
    response = await post_form(client, f"/admin/imports/batch/{batch_id}", f"/admin/imports/batch/{batch_id}/commit",
                               {})
    assert response.status_code == 303
    await jobs.drain()


async def test_template_has_catalogue_and_custom_columns(as_user, db):
    await db.execute("INSERT INTO rec_field (code, section, label, label_en, kind, created_at, updated_at)"
                     " VALUES ('hobby', 'basic', '爱好', 'Hobby', 'text', now(), now())")
    client = await as_user("admin")
    headers = await template_headers(client)
    assert headers[0] == "Name *"
    for label in ("Gender", "Birthday", "ID number", "Mobile phone", "College", "Major", "Class", "Entry year",
                  "Graduation year", "Degree level", "Hobby", "Owning org code"):
        assert label in headers
    assert "Created" not in headers


async def test_import_with_bad_rows_duplicates_and_rollback(as_user, db):
    client = await as_user("admin")
    existing_id = await person("已有甲", id_number="110105199001011234", phone="13911110000", employer="旧单位")
    by_phone = await person("已有乙", phone="13922220000", employer="")
    by_name = await person("已有丙", birthday=date(1985, 3, 4))
    before = await snapshot()
    changes_before = await db.fetchval("SELECT count(*) FROM rec_change")
    headers = await template_headers(client)
    data = sheet(headers, [
        {"Name": "新校友", "Gender": "男", "Birthday": "2001/2/3", "College": "CS", "Major": "软件工程",
         "Entry year": 2019, "Degree level": "本科", "ID number": "110105200102031111"},          # 2 new
        {"Name": "坏行", "Gender": "火星", "Birthday": "2001-13-45", "College": "CS"},                # 3 bad
        {"Name": "已有甲", "ID number": "110105199001011234", "Employer": "新单位", "College": "CS"},  # 4 dup → skip
        {"Name": "已有乙", "Mobile phone": "13922220000", "Employer": "腾讯", "College": "CS"},  # 5 dup → overwrite
        {"Name": "已有丙", "Birthday": 19850304, "Email": "bing@example.cn", "Employer": "阿里",
         "College": "计算机科学与技术学院"},                                                           # 6 dup → merge
        {"Name": "=A1", "College": "CS"},                                                               # 7 formula
        {"Name": "重号", "ID number": "110105200102031111", "College": "CS"},                          # 8 dup in file
        {"Name": "日期", "Birthday": date(1999, 9, 9), "College": "CS", "Entry year": 2017,
         "Graduation year": 2015},                                                                       # 9 years
    ])
    batch_id = await upload_and_check(client, data)
    errors = await row_errors(db, batch_id)
    assert set(errors) == {3, 7, 8, 9}
    assert errors[3] == {"gender": "Unknown value 火星 for Gender.",
                         "birthday": "2001-13-45 is not a date; write it as 2024-01-31."}
    assert "Formulas are not accepted" in errors[7]["name"]
    assert errors[8] == {"id_number": "110105200102031111 appears twice in this file (also in row 2)."}
    assert errors[9] == {"grad_year": "The graduation year cannot be before the entry year."}
    report = await client.get(f"/admin/imports/batch/{batch_id}")
    assert 'id="duplicates-form"' in report.text
    dups = {r["row_no"]: r for r in await db.fetch(
        "SELECT id, row_no, data->'dup'->>'id' AS match, data->>'choice' AS choice FROM import_row"
        " WHERE batch = $1 AND data ? 'dup'", batch_id)}
    assert {n: int(r["match"]) for n, r in dups.items()} == {4: existing_id, 5: by_phone, 6: by_name}
    assert {r["choice"] for r in dups.values()} == {"skip"}
    token = csrf_from(report.text)
    saved = await client.post(f"/admin/imports/batch/{batch_id}/duplicates", data={
        "_csrf_token": token, f"choice_{dups[4]['id']}": "skip", f"choice_{dups[5]['id']}": "overwrite",
        f"choice_{dups[6]['id']}": "merge"})
    assert saved.status_code == 303

    await commit(client, batch_id)
    batch = await db.fetchrow("SELECT * FROM import_batch WHERE id = $1", batch_id)
    assert batch["status"] == "committed" and batch["imported_count"] == 3
    statuses = {r["row_no"]: r["status"] for r in await db.fetch(
        "SELECT row_no, status FROM import_row WHERE batch = $1", batch_id)}
    assert statuses == {2: "imported", 3: "error", 4: "skipped", 5: "imported", 6: "imported", 7: "error",
                        8: "error", 9: "error"}
    new = await db.fetchrow("SELECT * FROM rec_person WHERE name = '新校友'")
    assert new["gender"] == "1" and new["birthday"] == date(2001, 2, 3) and new["batch"] is not None
    education = await db.fetchrow("SELECT e.*, o.code FROM rec_education e JOIN org_node o ON o.id = e.college"
                                  " WHERE person = $1", new["id"])
    assert education["code"] == "CS" and education["degree"] == "bk" and education["entry_year"] == 2019
    assert await db.fetchval("SELECT employer FROM rec_person WHERE id = $1", existing_id) == "旧单位"  # skipped
    assert await db.fetchval("SELECT employer FROM rec_person WHERE id = $1", by_phone) == "腾讯"  # overwritten
    merged = await db.fetchrow("SELECT email, employer FROM rec_person WHERE id = $1", by_name)
    assert merged["email"] == "bing@example.cn" and merged["employer"] == "阿里"  # were empty: filled
    methods = {r["method"] for r in await db.fetch("SELECT method FROM rec_change WHERE id > 0 AND batch ="
                                                   " (SELECT id FROM rec_batch WHERE ref = $1)", f"import:{batch_id}")}
    assert methods == {"import"}
    report = await client.get(f"/admin/imports/batch/{batch_id}")
    assert 'data-status="committed"' in report.text and 'id="count-updated">2<' in report.text

    confirm = await client.get(f"/admin/imports/batch/{batch_id}/rollback")
    assert "earlier values back" in confirm.text
    rolled = await post_form(client, f"/admin/imports/batch/{batch_id}/rollback",
                             f"/admin/imports/batch/{batch_id}/rollback", {})
    assert rolled.status_code == 303
    assert diff(before, await snapshot()) == []
    assert await db.fetchval("SELECT status FROM import_batch WHERE id = $1", batch_id) == "rolled_back"
    assert await db.fetchval("SELECT count(*) FROM rec_change WHERE NOT rolled_back AND method <> 'rollback'") \
        == changes_before


async def test_apply_to_all_merge_and_scope(as_user, db):
    cs = await person("范围甲", "CS", phone="13933330000")
    client = await as_user("cs_admin")
    headers = await template_headers(client)
    data = sheet(headers, [
        {"Name": "范围甲", "Mobile phone": "13933330000", "Employer": "字节", "College": "CS"},  # 2 dup
        {"Name": "经管人", "College": "EM"},                                                      # 3 outside scope
        {"Name": "无学院"},                                                                        # 4 no org
        {"Name": "序列日期", "Birthday": 36925, "College": "CS-2008-1"},                          # 5 not a college
    ])
    batch_id = await upload_and_check(client, data)
    errors = await row_errors(db, batch_id)
    assert errors[3] == {"college": "The org EM is outside your data scope."}
    assert errors[4] == {"college": "Enter the college (or the owning org code) inside your data scope."}
    assert errors[5] == {"college": "Unknown college CS-2008-1: use its org code or name."}
    report = await client.get(f"/admin/imports/batch/{batch_id}")
    saved = await client.post(f"/admin/imports/batch/{batch_id}/duplicates",
                              data={"_csrf_token": csrf_from(report.text), "apply_all": "merge"})
    assert saved.status_code == 303
    await commit(client, batch_id)
    assert await db.fetchval("SELECT employer FROM rec_person WHERE id = $1", cs) == "字节"


async def test_excel_serial_dates_and_dictionary_codes(as_user, db):
    client = await as_user("admin")
    headers = await template_headers(client)
    data = sheet(headers, [{"Name": "序列", "Birthday": 36925, "Gender": "2", "Political status": "群众",
                            "College": "EM", "Key alumni": "是", "Secrecy level": "Internal"}])
    batch_id = await upload_and_check(client, data)
    assert await row_errors(db, batch_id) == {}
    await commit(client, batch_id)
    row = await db.fetchrow("SELECT * FROM rec_person WHERE name = '序列'")
    assert row["birthday"] == date(2001, 2, 3) and row["gender"] == "2" and row["political_status"] == "13"
    assert row["is_key"] and row["secrecy"] == 1


async def test_large_file_is_refused_with_a_message(as_user):
    client = await as_user("admin")
    response = await upload(client, "big.xlsx", b"PK\x03\x04" + b"0" * (50 * 1024 * 1024))
    assert response.status_code == 422
    assert "The file is 50.0 MB; files up to 20 MB can be imported." in response.text


async def test_cs_admin_cannot_see_another_users_batch(as_user, db):
    client = await as_user("admin")
    headers = await template_headers(client)
    batch_id = await upload_and_check(client, sheet(headers, [{"Name": "某人", "College": "CS"}]))
    other = await as_user("cs_admin")
    assert (await other.get(f"/admin/imports/batch/{batch_id}")).status_code == 403
    liaison = await as_user("liaison")
    assert (await liaison.get("/admin/imports/alumni")).status_code == 403


async def test_a_crash_mid_chunk_leaves_no_half_chunk_and_the_retry_imports_every_row_once(as_user, db, monkeypatch):
    from app.core import imports
    from app.records import import_spec

    client = await as_user("admin")
    headers = await template_headers(client)
    batch_id = await upload_and_check(client, sheet(headers, [{"Name": "崩溃一", "College": "CS"},
                                                              {"Name": "崩溃二", "College": "CS"},
                                                              {"Name": "崩溃三", "College": "CS"},
                                                              {"Name": "崩溃四", "College": "CS"},
                                                              {"Name": "崩溃五", "College": "CS"}]))
    monkeypatch.setattr(imports.commit_job, "COMMIT_CHUNK", 2)  # chunks: rows 2-3, 4-5, 6
    real_create_many, calls = import_spec.ALUMNI.create_many, []

    async def crash_in_second_chunk(actor, rows, ctx):
        names = [r["name"] for r in rows]
        calls.append(names)
        ids = await real_create_many(actor, rows, ctx)  # persons, education, change log written…
        if names == ["崩溃三", "崩溃四"] and calls.count(names) == 1:
            raise RuntimeError("worker killed")  # …then the worker dies before the chunk commits
        return ids

    monkeypatch.setattr(import_spec.ALUMNI, "create_many", crash_in_second_chunk)
    await commit(client, batch_id)
    assert [r["name"] for r in await db.fetch("SELECT name FROM rec_person WHERE name LIKE '崩溃%' ORDER BY name")] \
        == ["崩溃一", "崩溃二", "崩溃五"]
    orphans = await db.fetchval("SELECT count(*) FROM rec_change c WHERE c.method = 'import' AND NOT EXISTS"
                                " (SELECT 1 FROM rec_person p WHERE p.id = c.person)")
    assert orphans == 0  # the second chunk's change log went with it
    assert await db.fetchval("SELECT count(*) FROM rec_education e JOIN rec_person p ON p.id = e.person"
                             " WHERE p.name LIKE '崩溃%'") == 3
    statuses = [r["status"] for r in await db.fetch("SELECT status FROM import_row WHERE batch = $1 ORDER BY row_no",
                                                    batch_id)]
    # the chunk written beside the failed one (two are written at once) is kept; the failed one stays whole
    assert statuses == ["imported", "imported", "ok", "ok", "imported"]
    await db.execute("UPDATE job SET run_at = now() WHERE kind = 'import.commit'")  # the retry comes due
    await jobs.drain()
    people = await db.fetch("SELECT id, name, name_terms, batch FROM rec_person WHERE name LIKE '崩溃%' ORDER BY id")
    assert sorted(p["name"] for p in people) == ["崩溃一", "崩溃三", "崩溃二", "崩溃五", "崩溃四"]
    assert all(p["batch"] is not None and "崩溃" in p["name_terms"] for p in people)
    assert calls[3:] == [["崩溃三", "崩溃四"]]  # the retry imports exactly the chunk that failed
    rows = await db.fetch("SELECT status, entity_id FROM import_row WHERE batch = $1 ORDER BY row_no", batch_id)
    assert [r["status"] for r in rows] == ["imported"] * 5
    assert sorted(int(r["entity_id"]) for r in rows) == [p["id"] for p in people]
    logged = await db.fetch("SELECT person, section, count(*) AS n FROM rec_change WHERE batch ="
                            " (SELECT id FROM rec_batch WHERE ref = $1) GROUP BY person, section", f"import:{batch_id}")
    assert sorted((r["person"], r["section"], r["n"]) for r in logged) == sorted(
        [(p["id"], "basic", 1) for p in people] + [(p["id"], "education", 1) for p in people])
    assert await db.fetchval("SELECT status FROM import_batch WHERE id = $1", batch_id) == "committed"


async def test_a_refused_row_in_a_chunk_gets_its_message_and_the_rest_is_imported(as_user, db, monkeypatch):
    """A row the set-based chunk cannot write (here: saved meanwhile with a clashing value) sends the chunk
    down the row-by-row path: the other rows are imported, the refused one gets its message."""
    from app.records import import_spec

    client = await as_user("admin")
    headers = await template_headers(client)
    batch_id = await upload_and_check(client, sheet(headers, [{"Name": "分块一", "College": "CS"},
                                                              {"Name": "分块二", "College": "CS"}]))
    real_create_many = import_spec.ALUMNI.create_many

    async def refuse(actor, rows, ctx):
        await real_create_many(actor, rows, ctx)
        from app.core.forms import Invalid
        raise Invalid("name", "refused")

    real_create = import_spec.ALUMNI.create

    async def refuse_second(actor, values):
        if values["name"] == "分块二":
            from app.core.forms import Invalid
            raise Invalid("name", "refused")
        return await real_create(actor, values)

    monkeypatch.setattr(import_spec.ALUMNI, "create_many", refuse)
    monkeypatch.setattr(import_spec.ALUMNI, "create", refuse_second)
    await commit(client, batch_id)
    assert [r["name"] for r in await db.fetch("SELECT name FROM rec_person WHERE name LIKE '分块%'")] == ["分块一"]
    assert {r["row_no"]: r["status"] for r in await db.fetch(
        "SELECT row_no, status FROM import_row WHERE batch = $1", batch_id)} == {2: "imported", 3: "error"}
    assert await row_errors(db, batch_id) == {3: {"name": "refused"}}
