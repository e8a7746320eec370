"""Phone pages for admins (REC-18): combined search, detail, edits and contact log as a phone inside
WeChat, with the admin pages' permissions, scope and masking (404 outside scope)."""
import re

import pytest

from tests.helpers import csrf_from

pytestmark = pytest.mark.req("REC-18")
WECHAT = {"user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
                        "Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN"}


async def _person(db, college: str) -> dict:
    return await db.fetchrow(
        "SELECT p.id, p.name, p.phone, e.id AS education, e.entry_year, e.college FROM rec_person p"
        " JOIN rec_education e ON e.person = p.id JOIN org_node o ON o.id = e.college"
        " WHERE o.code = $1 AND p.secrecy = 0 AND p.status = 'active' AND p.phone IS NOT NULL ORDER BY p.id LIMIT 1",
        college)


async def test_search_combines_conditions_within_scope(as_user, db):
    client = await as_user("cs_admin")
    cs = await _person(db, "CS")
    url = f"/h5/records?college={cs['college']}&entry_year={cs['entry_year']}&kind="
    page = await client.get(url, headers=WECHAT)
    assert page.status_code == 200 and 'class="h5 wechat"' in page.text
    ids = {int(i) for i in re.findall(r'href="/h5/records/(\d+)"', page.text)}
    expected = {r["id"] for r in await db.fetch(
        "SELECT DISTINCT p.id FROM rec_person p JOIN rec_education e ON e.person = p.id WHERE e.college = $1"
        " AND e.entry_year = $2 AND p.status = 'active' AND p.secrecy <= 1 ORDER BY p.id DESC LIMIT 20",
        cs["college"], cs["entry_year"])}
    assert cs["id"] in ids and ids == expected
    em = await _person(db, "EM")
    outside = await client.get(f"/h5/records?college={em['college']}", headers=WECHAT)
    assert "No records match" in outside.text  # EM records are outside a CS admin's scope
    by_name = await client.get(f"/h5/records?q={cs['name']}", headers=WECHAT)
    assert f'href="/h5/records/{cs["id"]}"' in by_name.text
    fragment = await client.get(url, headers={**WECHAT, "hx-request": "true", "hx-target": "results"})
    assert "<html" not in fragment.text and f'href="/h5/records/{cs["id"]}"' in fragment.text


async def test_detail_masks_and_refuses_outside_scope(as_user, db):
    client = await as_user("cs_admin")
    cs, em = await _person(db, "CS"), await _person(db, "EM")
    await db.execute("INSERT INTO rec_interaction (person, kind, title) VALUES ($1, 'event', '2025 校庆')", cs["id"])
    page = await client.get(f"/h5/records/{cs['id']}", headers=WECHAT)
    assert page.status_code == 200
    for anchor in ("basic", "education", "work", "interactions", "contacts", "classmates", "photos", "files"):
        assert f'id="{anchor}"' in page.text
    assert "2025 校庆" in page.text
    assert cs["phone"] not in page.text and cs["phone"][:3] + "****" + cs["phone"][-4:] in page.text
    assert (await client.get(f"/h5/records/{em['id']}", headers=WECHAT)).status_code == 404
    assert (await client.get(f"/h5/records/{em['id']}/edit/basic", headers=WECHAT)).status_code == 404
    admin = await as_user("admin")
    assert cs["phone"] in (await admin.get(f"/h5/records/{cs['id']}", headers=WECHAT)).text


async def test_edit_basic_work_and_education(as_user, db):
    client = await as_user("cs_admin")
    cs = await _person(db, "CS")
    form = await client.get(f"/h5/records/{cs['id']}/edit/basic", headers=WECHAT)
    assert form.status_code == 200
    assert re.search(r'<input type="text" id="f-phone" name="phone" value="[^"]*\*{4}[^"]*"[^>]* disabled', form.text)
    response = await client.post(f"/h5/records/{cs['id']}/edit/basic", headers=WECHAT, data={
        "_csrf_token": csrf_from(form.text), "name": cs["name"], "gender": "2", "wechat": "wx_h5_test",
        "phone": "13000000000"})  # a masked field is never written, whatever is posted
    assert response.status_code == 303 and response.headers["location"] == f"/h5/records/{cs['id']}"
    row = await db.fetchrow("SELECT gender, wechat, phone FROM rec_person WHERE id = $1", cs["id"])
    assert (row["gender"], row["wechat"], row["phone"]) == ("2", "wx_h5_test", cs["phone"])
    assert await db.fetchval("SELECT count(*) FROM rec_change WHERE person = $1 AND field = 'wechat'", cs["id"]) == 1

    bad = await client.post(f"/h5/records/{cs['id']}/edit/basic", headers=WECHAT,
                            data={"_csrf_token": csrf_from(form.text), "name": "", "birthday": "1990-13-01"})
    assert bad.status_code == 422
    assert "This field is required." in bad.text and "Enter a date as YYYY-MM-DD." in bad.text

    work = await client.get(f"/h5/records/{cs['id']}/edit/work", headers=WECHAT)
    response = await client.post(f"/h5/records/{cs['id']}/edit/work", headers=WECHAT, data={
        "_csrf_token": csrf_from(work.text), "employer": "同窗科技", "job_title": "架构师", "industry": "I"})
    assert response.status_code == 303
    assert await db.fetchval("SELECT employer FROM rec_person WHERE id = $1", cs["id"]) == "同窗科技"

    edu_url = f"/h5/records/{cs['id']}/education/{cs['education']}"
    edu = await client.get(edu_url, headers=WECHAT)
    assert edu.status_code == 200
    response = await client.post(edu_url, headers=WECHAT, data={
        "_csrf_token": csrf_from(edu.text), "college": str(cs["college"]), "major": "人工智能",
        "entry_year": str(cs["entry_year"]), "grad_year": str(cs["entry_year"] - 1)})
    assert response.status_code == 422 and "The graduation year cannot be before the entry year." in response.text
    response = await client.post(edu_url, headers=WECHAT, data={
        "_csrf_token": csrf_from(edu.text), "college": str(cs["college"]), "major": "人工智能",
        "entry_year": str(cs["entry_year"]), "grad_year": str(cs["entry_year"] + 4)})
    assert response.status_code == 303
    assert await db.fetchval("SELECT major FROM rec_education WHERE id = $1", cs["education"]) == "人工智能"


async def test_contact_log_entry_from_the_phone(as_user, db):
    client = await as_user("cs_admin")
    cs = await _person(db, "CS")
    page = await client.get(f"/h5/records/{cs['id']}", headers=WECHAT)
    empty = await client.post(f"/h5/records/{cs['id']}/contacts", headers=WECHAT,
                              data={"_csrf_token": csrf_from(page.text), "method": "visit", "summary": " "})
    assert empty.status_code == 422 and "This field is required." in empty.text
    response = await client.post(f"/h5/records/{cs['id']}/contacts", headers=WECHAT, data={
        "_csrf_token": csrf_from(page.text), "method": "visit", "summary": "上门拜访，谈校庆捐赠意向"})
    assert response.status_code == 303
    row = await db.fetchrow("SELECT method, summary, staff_name FROM rec_contact_log WHERE person = $1", cs["id"])
    assert dict(row) == {"method": "visit", "summary": "上门拜访，谈校庆捐赠意向", "staff_name": "cs_admin"}
    assert "上门拜访，谈校庆捐赠意向" in (await client.get(f"/h5/records/{cs['id']}", headers=WECHAT)).text
    em = await _person(db, "EM")
    outside = await client.post(f"/h5/records/{em['id']}/contacts", headers=WECHAT, data={
        "_csrf_token": csrf_from(page.text), "method": "visit", "summary": "越权"})
    assert outside.status_code == 404
    assert await db.fetchval("SELECT count(*) FROM rec_contact_log WHERE person = $1", em["id"]) == 0


async def test_permissions_are_those_of_the_admin_pages(as_user, db):
    cs = await _person(db, "CS")
    bj = await as_user("bj_admin")  # no records permission at all
    assert (await bj.get("/h5/records", headers=WECHAT)).status_code == 403
    assert (await bj.get(f"/h5/records/{cs['id']}", headers=WECHAT)).status_code == 403
    anonymous_client = bj
    anonymous_client.cookies.clear()
    response = await anonymous_client.get("/h5/records", headers=WECHAT)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
