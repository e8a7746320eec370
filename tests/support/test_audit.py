"""SUP-14 audit log: search, before/after detail, export, and the viewer's data scope."""
import csv
import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from app.core import audit
from app.core.audit import Actor
from tests.helpers import post_form


async def user_in(db, org_code: str) -> dict:
    """A demo alumnus (no roles) of one org node."""
    return await db.fetchrow("SELECT u.id, u.name, u.email, u.phone, u.org, u.kind FROM app_user u JOIN org_node o "
                             "ON o.id = u.org WHERE o.code = $1 AND u.kind = 'alumni' ORDER BY u.id LIMIT 1", org_code)


async def edit_user(client, target: dict, *, full: bool = True, **changes) -> int:
    """Submit the user edit form as the browser would; `full=False` for editors who see email/phone masked
    (those inputs are disabled, so the browser does not send them). Returns the new audit entry id."""
    from app.core import db

    data = {"name": target["name"], "org": target["org"], "kind": target["kind"], "is_active": "on"}
    if full:
        data.update(email=target["email"] or "", phone=target["phone"] or "")
    data.update(changes)
    response = await post_form(client, f"/admin/users/{target['id']}", f"/admin/users/{target['id']}", data)
    assert response.status_code == 303, response.text[:400]
    return await db.fetchval("SELECT max(id) FROM audit_log WHERE entity = 'user' AND action = 'update'")


def entry_ids(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'href="/admin/audit/(\d+)" class="audit-entry"', html)}


@pytest.mark.req("SUP-14")
async def test_search_filters(as_user, db):
    cs = await db.fetchval("SELECT id FROM org_node WHERE code = 'CS'")
    # The demo data's own entries go further back than the oldest one made here, so this test's entries fill
    # the first page whatever the modules' demos audited.
    await db.execute("UPDATE audit_log SET at = at - interval '400 days'")
    client = await as_user("admin")
    target = await user_in(db, "CS")
    edited = await edit_user(client, target, name="改名测试")
    await audit.record(Actor(None, "zz_robot"), "import", "alumnus", "777", summary="导入 3 条 zz-batch", org_id=cs)
    robot = await db.fetchval("SELECT max(id) FROM audit_log")
    await db.execute("INSERT INTO audit_log (at, actor_name, action, entity, entity_id, summary) "
                     "VALUES (now() - interval '40 days', 'zz_old', 'delete', 'org_node', '5', 'old zz-thing')")
    old = await db.fetchval("SELECT max(id) FROM audit_log")

    async def found(**params) -> set[int]:
        response = await client.get("/admin/audit", params={"per_page": 100, **params})
        assert response.status_code == 200
        return entry_ids(response.text) & {edited, robot, old}

    assert await found() == {edited, robot, old}
    assert await found(actor="admin") == {edited}
    assert await found(actor="系统管理员") == {edited}  # the actor's real name
    assert await found(entity="user", entity_id=str(target["id"])) == {edited}
    assert await found(action="import") == {robot}
    assert await found(q="zz-batch") == {robot}
    assert await found(**{"from": (date.today() - timedelta(days=1)).isoformat()}) == {edited, robot}
    assert await found(to=(date.today() - timedelta(days=30)).isoformat()) == {old}
    page = await client.get("/admin/audit")
    assert '<option value="alumnus">' in page.text and '<option value="import">' in page.text
    fragment = await client.get("/admin/audit?action=import", headers={"hx-request": "true", "hx-target": "results"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and entry_ids(fragment.text) >= {robot}


@pytest.mark.req("SUP-14")
async def test_detail_shows_before_and_after_with_changes_marked(as_user, db):
    client = await as_user("admin")
    target = await user_in(db, "EM")
    entry = await edit_user(client, target, name="新名字甲", phone="13800001111")
    detail = await client.get(f"/admin/audit/{entry}")
    assert detail.status_code == 200
    rows = {m[0]: m[1] for m in re.findall(r'<tr class="(?:changed|same)">\s*<th scope="row">(\w+).*?</th>(.*?)</tr>',
                                              detail.text, re.S)}
    assert f"<del><mark>{target['name']}</mark></del>" in rows["name"]
    assert "<ins><mark>新名字甲</mark></ins>" in rows["name"]
    assert f"<del><mark>{target['phone']}</mark></del>" in rows["phone"] and "13800001111" in rows["phone"]
    assert "<mark>" not in rows["kind"] and "alumni" in rows["kind"]  # unchanged fields are shown plainly
    assert re.search(r'<tr class="changed">\s*<th scope="row">name ', detail.text)
    assert re.search(r'<tr class="same">\s*<th scope="row">kind<', detail.text)
    assert "admin" in detail.text and "127.0.0.1" in detail.text  # who and from where
    assert (await client.get("/admin/audit/999999")).status_code == 404


@pytest.mark.req("SUP-14")
async def test_export_contains_the_filtered_rows(as_user, db):
    client = await as_user("admin")
    target = await user_in(db, "CS")
    entry = await edit_user(client, target, name="导出测试")
    xlsx = await client.get("/admin/audit/export", params={"entity": "user", "fmt": "xlsx"})
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx.headers["content-type"]
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert "admin" in str(values[0][0])  # watermark: who exported it
    header = values[1]
    body = values[2:]
    expected = await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'user'")
    assert len(body) == expected >= 1
    assert len(header) == 11  # time, actor, name, IP, action, entity, entity id, summary, changed, before, after
    row = next(r for r in body if r[6] == str(target["id"]))
    assert row[4] == "update" and row[8] == "name" and target["name"] in row[9] and "导出测试" in row[10]
    assert {r[5] for r in body} == {"user"}
    exported = await client.get("/admin/audit/export", params={"action": "update", "fmt": "csv"})
    text = exported.content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert any("导出测试" in cell for line in lines[2:] for cell in line)
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'export' AND entity = 'audit_log'") == 2
    assert entry


@pytest.mark.req("SUP-14")
async def test_scoped_viewer_sees_only_own_colleges_entries(as_user, db):
    em = await as_user("em_admin")
    em_entry = await edit_user(em, await user_in(db, "EM"), full=False, name="经管改名")
    await post_form(em, "/admin", "/logout", {})
    admin = await as_user("admin")
    class_user = await user_in(db, "CS-2008-1")
    admin_cs_entry = await edit_user(admin, class_user, phone="13912345678")  # inside the CS subtree
    settings_page = await admin.get("/admin/settings")
    assert settings_page.status_code == 200
    await audit.record(Actor(None, "system"), "update", "site_setting", "site", after={"x": 1})  # no org
    global_entry = await db.fetchval("SELECT max(id) FROM audit_log")
    await post_form(admin, "/admin", "/logout", {})
    cs = await as_user("cs_admin")
    own_entry = await edit_user(cs, await user_in(db, "CS"), full=False, name="计算机改名")

    listing = await cs.get("/admin/audit", params={"per_page": 100})
    seen = entry_ids(listing.text)
    assert {own_entry, admin_cs_entry} <= seen
    assert em_entry not in seen and global_entry not in seen
    assert (await cs.get(f"/admin/audit/{em_entry}")).status_code == 403
    assert (await cs.get("/admin/audit", params={"entity": "user", "entity_id": ""})).status_code == 200
    detail = await cs.get(f"/admin/audit/{admin_cs_entry}")
    assert detail.status_code == 200
    assert "13912345678" not in detail.text and class_user["phone"] not in detail.text  # phones stay masked
    assert "139****5678" in detail.text
    assert (await cs.get("/admin/audit/export")).status_code == 403  # no export permission
    await post_form(cs, "/admin", "/logout", {})
    auditor = await as_user("auditor")  # data scope "all"
    assert {em_entry, own_entry, admin_cs_entry, global_entry} <= entry_ids(
        (await auditor.get("/admin/audit", params={"per_page": 100})).text)
