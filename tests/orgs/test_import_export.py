"""Address-book import and export (ORG-04) through the core engines: per-row errors (unknown account, an org the
importer does not manage, a bad role), existing members as duplicates, rollback; the export masked for the viewer
with the exporter's watermark."""
import io
import json
import re

import openpyxl
import pytest

from app.orgs.member_import import MEMBER_IMPORT
from tests.helpers import csrf_from, post_form, xlsx
from tests.orgs.factories import make_user, org_id
from tests.support.test_user_import import commit, upload

HEADERS = ["Association address", "Account", "Role", "Phone in the address book", "Email in the address book",
           "Company", "Job title", "City", "Note"]


async def upload_and_check(client, rows: list[list]) -> int:
    response = await upload(client, "members.xlsx", xlsx([HEADERS, *rows]), kind="orgs_members")
    assert response.status_code == 303, response.text[:800]
    mapping_url = response.headers["location"]
    batch_id = int(re.search(r"/batch/(\d+)/mapping", mapping_url).group(1))
    page = await client.get(mapping_url)
    selects = re.findall(r'<select id="map-\w+" name="(map_\w+)"[^>]*>(.*?)</select>', page.text, re.S)
    chosen = {name: re.search(r'value="(\d+)" selected', body).group(1) for name, body in selects if "selected" in body}
    assert len(chosen) == len(MEMBER_IMPORT.columns)  # every column recognised from its header
    checked = await client.post(mapping_url, data={**chosen, "_csrf_token": csrf_from(page.text)})
    assert checked.status_code == 303
    return batch_id


@pytest.mark.req("ORG-04")
async def test_import_adds_members_reports_row_errors_and_rolls_back(as_user, db):
    newcomer, new_id = await make_user("导入新人", phone="13911112222")
    _other, other_id = await make_user("另一人")
    bj = await org_id(db, "bj")
    existing = await db.fetchval("SELECT u.username FROM orgs_member m JOIN app_user u ON u.id = m.\"user\""
                                 " WHERE m.org = $1 AND m.role = 'member' ORDER BY m.id LIMIT 1", bj)
    client = await as_user("bj_admin")
    batch_id = await upload_and_check(client, [
        ["bj", newcomer, "liaison", "", "", "导入科技", "工程师", "北京", "2008级"],
        ["bj", "nobody_here", "", "", "", "", "", "", ""],
        ["sh", newcomer, "", "", "", "", "", "", ""],
        ["bj", existing, "", "", "", "更新公司", "", "", ""],
        ["BJ", "13911112222", "boss", "", "", "", "", "", ""],
    ])
    errors = {r["row_no"]: json.loads(r["errors"]) for r in await db.fetch(
        "SELECT row_no, errors FROM import_row WHERE batch = $1 AND status = 'error'", batch_id)}
    text = json.dumps(errors, ensure_ascii=False)
    assert len(errors) == 3, errors
    assert "No account with this username" in text and "that you manage" in text and "member or liaison" in text
    duplicates = await db.fetch("SELECT row_no, data FROM import_row WHERE batch = $1 AND data ? 'dup'", batch_id)
    assert len(duplicates) == 1 and "already a member" in json.dumps(json.loads(duplicates[0]["data"]),
                                                                      ensure_ascii=False)
    await commit(client, batch_id)
    row = await db.fetchrow("SELECT * FROM orgs_member WHERE org = $1 AND \"user\" = $2", bj, new_id)
    assert (row["status"], row["role"], row["source"], row["company"], row["city"]) == (
        "active", "liaison", "import", "导入科技", "北京")
    assert row["phone"] == "13911112222"  # the account's own number, the file left it empty
    assert not await db.fetchval("SELECT 1 FROM orgs_member WHERE \"user\" = $1", other_id)
    assert await db.fetchval("SELECT company FROM orgs_member m JOIN app_user u ON u.id = m.\"user\""
                             " WHERE m.org = $1 AND u.username = $2", bj, existing) != "更新公司"  # skipped
    rollback = f"/admin/imports/batch/{batch_id}/rollback"
    await post_form(client, rollback, rollback, {})
    assert not await db.fetchval("SELECT 1 FROM orgs_member WHERE org = $1 AND \"user\" = $2", bj, new_id)


async def exported(client, url: str) -> list[list]:
    response = await client.get(url)
    assert response.status_code == 200, response.text[:500]
    assert "attachment" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return [[c.value for c in row] for row in book.worksheets[0].iter_rows()]


@pytest.mark.req("ORG-04")
async def test_export_is_masked_for_the_viewer_and_watermarked(as_user, db):
    bj = await org_id(db, "bj")
    member = await db.fetchrow("SELECT u.name, u.phone FROM orgs_member m JOIN app_user u ON u.id = m.\"user\""
                               " WHERE m.org = $1 AND m.role = 'member' ORDER BY m.id LIMIT 1", bj)
    hq = await as_user("hq")
    rows = await exported(hq, f"/admin/associations/{bj}/members/export")
    assert "Exported by" in rows[0][0] and rows[1][:2] == ["Name", "Username"]
    flat = json.dumps(rows, ensure_ascii=False, default=str)
    assert member["phone"] in flat and member["name"] in flat
    admin = await as_user("bj_admin")  # no clear-view permissions: masked like every other list
    rows = await exported(admin, f"/admin/associations/{bj}/members/export")
    flat = json.dumps(rows, ensure_ascii=False, default=str)
    assert member["phone"] not in flat and member["phone"][:3] + "****" + member["phone"][-4:] in flat
    assert member["name"] not in flat
