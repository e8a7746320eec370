"""REC-10 export of alumni records: chosen columns, selected rows or the current filter, xlsx/csv,
masked per role, scope in the SQL, audited; big exports as a job."""
import csv
import io

import openpyxl
import pytest

from app.core import jobs
from app.records import export
from tests.helpers import csrf_from
from tests.records.merge_helpers import person

pytestmark = pytest.mark.req("REC-10")


async def post_export(client, query: str, data: dict):
    page = await client.get(f"/admin/records/export{query}")
    assert page.status_code == 200, page.text[:500]
    hidden = {}
    import re
    for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text):
        hidden.setdefault(name, []).append(value)
    return page, await client.post("/admin/records/export", data={**hidden, **data,
                                                                  "_csrf_token": csrf_from(page.text)})


def read_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


async def test_selected_rows_with_chosen_columns_csv(as_user, db):
    a = await person("导出甲", phone="13966660001", id_number="110105199001017777", gender="1")
    b = await person("导出乙", phone="13966660002")
    await person("导出丙")
    client = await as_user("hq")
    page, response = await post_export(client, f"?ids={a}&ids={b}", {
        "cols": ["name", "gender", "phone", "id_number", "college"], "format": "csv"})
    assert "2 selected records will be exported." in page.text
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    lines = read_csv(response.content)
    assert lines[0][0].startswith("Exported by")  # watermark
    assert lines[1] == ["Name", "Gender", "ID number", "Mobile phone", "College"]  # catalogue order
    body = {r[0]: r for r in lines[2:]}
    assert set(body) == {"导出甲", "导出乙"}
    assert body["导出甲"] == ["导出甲", "Male", "110105199001017777", "13966660001", "计算机科学与技术学院"]
    logged = await db.fetchrow("SELECT * FROM audit_log WHERE action = 'export' AND entity = 'rec_person'"
                               " ORDER BY id DESC LIMIT 1")
    assert logged["actor_name"] == "hq" and "2 rows" in logged["summary"]


async def test_cs_admin_gets_masked_rows_of_their_scope_only(as_user):
    await person("范围内", "CS", phone="13977770001", id_number="110105199001018888")
    await person("范围外", "EM", phone="13977770002")
    client = await as_user("cs_admin")
    _page, response = await post_export(client, "?q=范围", {"cols": ["name", "phone", "id_number"], "format": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [list(r) for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert values == [["范围内", "1101**********8888", "139****0001"]]  # clear names (role), masked phone/ID


async def test_filter_export_covers_the_whole_filter_and_no_em_rows(as_user, db):
    client = await as_user("cs_admin")
    college = await db.fetchval("SELECT id FROM org_node WHERE code = 'CS'")
    _page, response = await post_export(client, "", {"cols": ["name", "college"], "format": "csv"})
    lines = read_csv(response.content)[2:]
    expected = await db.fetchval("SELECT count(*) FROM rec_person p JOIN org_node o ON o.id = p.org"
                                 " WHERE o.path LIKE '/1/3/%' AND p.status = 'active' AND p.secrecy <= 1")
    assert len(lines) == expected > 0
    assert all(r[1] != "经济与管理学院" for r in lines)
    em = await db.fetchval("SELECT id FROM org_node WHERE code = 'EM'")
    _page, response = await post_export(client, f"?college={em}", {"cols": ["name"], "format": "csv"})
    assert read_csv(response.content)[2:] == []
    assert college


async def test_big_export_runs_as_a_job(as_user, db, monkeypatch):
    monkeypatch.setattr(export, "INLINE_LIMIT", 5)
    client = await as_user("hq")
    _page, response = await post_export(client, "", {"cols": ["name", "birthday"], "format": "xlsx"})
    assert response.status_code == 303
    job_url = response.headers["location"]
    waiting = await client.get(job_url)
    assert 'data-status="queued"' in waiting.text
    await jobs.drain()
    done = await client.get(job_url)
    assert 'id="download-link"' in done.text
    file = await client.get(job_url + "/download")
    sheet = openpyxl.load_workbook(io.BytesIO(file.content)).active
    total = await db.fetchval("SELECT count(*) FROM rec_person WHERE status = 'active'")
    assert sheet.max_row - 2 == total
    other = await as_user("admin")
    assert (await other.get(job_url)).status_code == 404  # only the requester


async def test_export_needs_the_permission(as_user):
    client = await as_user("liaison")
    assert (await client.get("/admin/records/export")).status_code == 403
