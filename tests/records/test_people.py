"""Admin pages of person records (REC-01, REC-03): list, search, filters, paging, column chooser; the detail
with its sections; scope and secrecy as 404; key alumni details; create, edit and the change log; custom
fields; contact log; archive files."""
import re

import pytest

from tests.helpers import csrf_from

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def ids_on(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'<a href="/admin/records/(\d+)">', html)}


async def _person(db, college: str, **where) -> dict:
    extra = "".join(f" AND p.{k} = ${i + 2}" for i, k in enumerate(where))
    return await db.fetchrow(
        "SELECT p.id, p.name, p.phone, p.employer, e.college, e.entry_year, e.major FROM rec_person p"
        " JOIN rec_education e ON e.person = p.id JOIN org_node o ON o.id = e.college"
        f" WHERE o.code = $1 AND p.status = 'active' AND p.phone IS NOT NULL{extra} ORDER BY p.id LIMIT 1",
        college, *where.values())


async def _org(db, code: str) -> int:
    return await db.fetchval("SELECT id FROM org_node WHERE code = $1", code)


@pytest.mark.req("REC-01")
async def test_list_search_filters_and_paging(as_user, db):
    client = await as_user("admin")
    page = await client.get("/admin/records")
    assert page.status_code == 200
    total = await db.fetchval("SELECT count(*) FROM rec_person WHERE status = 'active'")
    assert f"{total} records" in page.text and len(ids_on(page.text)) == 20
    # default columns from the catalogue; the chooser offers every field incl. the ID number
    assert "<th scope=\"col\">" in page.text and 'value="id_number"' in page.text
    person = await _person(db, "CS", secrecy=0)
    by_name = await client.get("/admin/records", params={"q": person["name"]})
    assert person["id"] in ids_on(by_name.text)
    by_phone = await client.get("/admin/records", params={"q": person["phone"]})
    assert ids_on(by_phone.text) == {person["id"]}
    filtered = await client.get("/admin/records", params={"college": person["college"],
                                                          "entry_year": person["entry_year"]})
    expected = await db.fetchval("SELECT count(DISTINCT p.id) FROM rec_person p JOIN rec_education e ON e.person = p.id"
                                 " WHERE e.college = $1 AND e.entry_year = $2 AND p.status = 'active'",
                                 person["college"], person["entry_year"])
    assert person["id"] in ids_on(filtered.text) and len(ids_on(filtered.text)) == min(expected, 20)
    first = await client.get("/admin/records", params={"per_page": 50, "sort": "name"})
    second = await client.get("/admin/records", params={"page": 2, "per_page": 50, "sort": "name"})
    assert len(ids_on(second.text)) == 50 and not ids_on(second.text) & ids_on(first.text)
    assert "51–100 of" in second.text and 'rel="prev"' in second.text
    none = await client.get("/admin/records", params={"q": "不存在的名字"})
    assert "No records match" in none.text
    fragment = await client.get("/admin/records", params={"q": person["name"]},
                                headers={"hx-request": "true", "hx-target": "results"})
    assert "<html" not in fragment.text and person["id"] in ids_on(fragment.text)
    # chosen columns: dictionary codes shown as labels
    cols = await client.get("/admin/records", params={"q": person["phone"], "cols": ["name", "gender", "industry"]})
    gender = await db.fetchval("SELECT d.name_en FROM rec_person p JOIN dict_item d ON d.type_code = 'gender'"
                               " AND d.code = p.gender WHERE p.id = $1", person["id"])
    assert gender and f">{gender}<" in cols.text.replace("\n", "").replace(" <", "<").replace("> ", ">")


@pytest.mark.req("REC-01")
@pytest.mark.req("REC-03")
async def test_college_admin_sees_nothing_of_another_college(as_user, db):
    client = await as_user("cs_admin")
    em, cs = await _person(db, "EM", secrecy=0), await _person(db, "CS", secrecy=0)
    listing = await client.get("/admin/records", params={"per_page": 100})
    visible = await db.fetchval("SELECT count(*) FROM rec_person p JOIN org_node o ON o.id = p.org"
                                " WHERE o.path LIKE '/1/3/%' AND p.status = 'active' AND p.secrecy <= 1")
    assert f"{visible} records" in listing.text and em["id"] not in ids_on(listing.text)
    assert em["id"] not in ids_on((await client.get("/admin/records", params={"q": em["phone"]})).text)
    assert em["id"] not in ids_on((await client.get("/admin/records", params={"q": em["name"]})).text)
    assert "经济与管理学院" not in listing.text  # neither in the college filter nor in the tree
    for url in (f"/admin/records/{em['id']}", f"/admin/records/{em['id']}?tab=changes",
                f"/admin/records/{em['id']}/edit", f"/admin/records/{em['id']}/educations/new"):
        response = await client.get(url)
        assert response.status_code == 404 and em["name"] not in response.text, url
    mine = await client.get(f"/admin/records/{cs['id']}")
    assert mine.status_code == 200 and cs["name"] in mine.text
    assert cs["phone"] not in mine.text  # masked for a college admin (no clear phone permission)


@pytest.mark.req("REC-03")
async def test_secrecy_above_clearance_is_not_found(as_user, db):
    cs = await _person(db, "CS", secrecy=0)
    await db.execute("UPDATE rec_person SET secrecy = 2 WHERE id = $1", cs["id"])
    client = await as_user("cs_admin")  # clearance 1 (rec.secrecy.1)
    assert (await client.get(f"/admin/records/{cs['id']}")).status_code == 404
    assert cs["id"] not in ids_on((await client.get("/admin/records", params={"q": cs["phone"]})).text)
    admin = await as_user("admin")
    page = await admin.get(f"/admin/records/{cs['id']}")
    assert page.status_code == 200 and "Secrecy: Confidential" in page.text
    assert cs["id"] in ids_on((await admin.get("/admin/records", params={"q": cs["phone"]})).text)


@pytest.mark.req("REC-03")
async def test_key_alumni_details_need_permission(as_user, db):
    cs = await _person(db, "CS", secrecy=0)
    await db.execute("UPDATE rec_person SET is_key = TRUE, key_category = '两院院士', key_note = '每年春节拜访'"
                     " WHERE id = $1", cs["id"])
    client = await as_user("cs_admin")
    for tab in ("basic", "key"):
        page = await client.get(f"/admin/records/{cs['id']}?tab={tab}")
        assert "两院院士" not in page.text and "每年春节拜访" not in page.text
        assert f'<a href="/admin/records/{cs["id"]}?tab=key"' not in page.text
    listing = await client.get("/admin/records", params={"q": cs["phone"], "cols": ["name", "key_category"]})
    assert "两院院士" not in listing.text and 'type="checkbox" name="cols" value="key_category"' not in listing.text
    form = await client.get(f"/admin/records/{cs['id']}/edit")
    assert "每年春节拜访" not in form.text and 'name="is_key"' not in form.text
    admin = await as_user("admin")
    page = await admin.get(f"/admin/records/{cs['id']}?tab=key")
    assert "两院院士" in page.text and "每年春节拜访" in page.text
    assert "两院院士" in (await admin.get("/admin/records", params={"q": cs["phone"],
                                                                   "cols": ["name", "key_category"]})).text


@pytest.mark.req("REC-01")
async def test_create_edit_and_change_log(as_user, db):
    client = await as_user("admin")
    new = await client.get("/admin/records/new")
    token = csrf_from(new.text)
    cs = await _org(db, "CS")
    bad = await client.post("/admin/records", data={"_csrf_token": token, "name": "", "phone": "13800001111",
                                                     "kind": "alumni", "secrecy": "0", "edu.entry_year": "2010",
                                                     "edu.grad_year": "2008"})
    assert bad.status_code == 422 and "This field is required." in bad.text and 'value="13800001111"' in bad.text
    data = {"_csrf_token": token, "name": "欧阳测试", "kind": "alumni", "gender": "1", "phone": "13800001111",
            "employer": "同窗科技", "org": str(cs), "secrecy": "0", "edu.degree": "bk", "edu.college": str(cs),
            "edu.major": "软件工程", "edu.entry_year": "2010", "edu.grad_year": "2014"}
    created = await client.post("/admin/records", data=data)
    assert created.status_code == 303, re.findall(r"id=\"([^\"]*)-err\"", created.text)
    person_id = int(created.headers["location"].rsplit("/", 1)[1])
    row = await db.fetchrow("SELECT * FROM rec_person WHERE id = $1", person_id)
    assert row["name"] == "欧阳测试" and row["org"] == cs and row["employer"] == "同窗科技"
    assert await db.fetchval("SELECT major FROM rec_education WHERE person = $1", person_id) == "软件工程"
    edit = await client.get(f"/admin/records/{person_id}/edit")
    assert 'value="同窗科技"' in edit.text
    saved = await client.post(f"/admin/records/{person_id}/edit",
                              data={**data, "_csrf_token": csrf_from(edit.text), "employer": "同窗云"})
    assert saved.status_code == 303
    assert await db.fetchval("SELECT employer FROM rec_person WHERE id = $1", person_id) == "同窗云"
    log = await client.get(f"/admin/records/{person_id}?tab=changes")
    assert "Employer" in log.text and "<del>同窗科技</del> → <ins>同窗云</ins>" in log.text
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'rec_person' AND entity_id = $1",
                             str(person_id)) == 2
    education = await client.get(f"/admin/records/{person_id}?tab=education")
    assert "软件工程" in education.text and "Bachelor" in education.text


@pytest.mark.req("REC-03")
async def test_form_limits_org_and_secrecy_to_the_actor(as_user, db):
    client = await as_user("cs_admin")
    form = await client.get("/admin/records/new")
    em, cs = await _org(db, "EM"), await _org(db, "CS")
    orgs = form.text.split('name="org"')[1].split("</select>")[0]
    assert f'<option value="{cs}"' in orgs and f'<option value="{em}"' not in orgs
    assert '<option value="1">' in form.text.split('name="secrecy"')[1].split("</select>")[0]
    assert '<option value="2">' not in form.text.split('name="secrecy"')[1].split("</select>")[0]
    refused = await client.post("/admin/records", data={"_csrf_token": csrf_from(form.text), "name": "越权",
                                                         "kind": "alumni", "org": str(em), "secrecy": "2"})
    assert refused.status_code == 422
    assert not await db.fetchval("SELECT 1 FROM rec_person WHERE name = '越权'")


@pytest.mark.req("REC-01")
@pytest.mark.req("REC-02")
async def test_custom_field_values_saved_and_shown(as_user, db):
    await db.execute("INSERT INTO rec_field (code, section, label, label_en, kind, dict_type, required, sort)"
                     " VALUES ('hobby', 'basic', '爱好', 'Hobby', 'text', '', TRUE, 1),"
                     " ('member_level', 'contact', '会员等级', 'Member level', 'select', 'industry', FALSE, 2),"
                     " ('resume', 'work', '简历', 'Resume', 'file', '', FALSE, 3)")
    client = await as_user("admin")
    new = await client.get("/admin/records/new")
    assert 'name="custom.hobby"' in new.text and 'name="custom.member_level"' in new.text
    base = {"_csrf_token": csrf_from(new.text), "name": "自定义", "kind": "alumni", "secrecy": "0"}
    missing = await client.post("/admin/records", data=base)
    assert missing.status_code == 422 and "This field is required." in missing.text
    created = await client.post("/admin/records", data={**base, "custom.hobby": "围棋", "custom.member_level": "I"},
                                files={"custom.resume": ("cv.pdf", b"%PDF-1.4 test", "application/pdf")})
    assert created.status_code == 303, created.text[:2000]
    person_id = int(created.headers["location"].rsplit("/", 1)[1])
    custom = await db.fetchval("SELECT custom::text FROM rec_person WHERE id = $1", person_id)
    assert '"hobby": "围棋"' in custom and '"member_level": "I"' in custom and '"resume"' in custom
    detail = await client.get(f"/admin/records/{person_id}")
    assert "Hobby" in detail.text and "围棋" in detail.text
    resume = await client.get(f"/admin/records/{person_id}/custom-files/resume")
    assert resume.status_code == 200 and resume.content == b"%PDF-1.4 test"
    contact = await client.get(f"/admin/records/{person_id}?tab=contact")
    industry = await db.fetchval("SELECT name_en FROM dict_item WHERE type_code = 'industry' AND code = 'I'")
    assert industry in contact.text
    listing = await client.get("/admin/records", params={"q": "自定义", "cols": ["name", "hobby", "member_level"]})
    assert "围棋" in listing.text and industry in listing.text


@pytest.mark.req("REC-01")
async def test_contact_log_and_archive_files(as_user, db):
    cs, em = await _person(db, "CS", secrecy=0), await _person(db, "EM", secrecy=0)
    client = await as_user("cs_admin")
    page = await client.get(f"/admin/records/{cs['id']}?tab=contacts")
    token = csrf_from(page.text)
    empty = await client.post(f"/admin/records/{cs['id']}/contacts", data={"_csrf_token": token, "method": "phone",
                                                                          "summary": ""})
    assert empty.status_code == 422 and "This field is required." in empty.text
    added = await client.post(f"/admin/records/{cs['id']}/contacts",
                              data={"_csrf_token": token, "method": "visit", "contacted_on": "2026-03-01",
                                    "summary": "拜访并邀请参加校庆"})
    assert added.status_code == 303
    log = await client.get(f"/admin/records/{cs['id']}?tab=contacts")
    assert "拜访并邀请参加校庆" in log.text and "2026-03-01" in log.text
    outside = await client.post(f"/admin/records/{em['id']}/contacts",
                                data={"_csrf_token": token, "method": "phone", "summary": "越界"})
    assert outside.status_code == 404
    uploaded = await client.post(f"/admin/records/{cs['id']}/files", data={"_csrf_token": token, "kind": "photo",
                                                                          "title": "毕业照"},
                                 files={"file": ("grad.png", PNG, "image/png")})
    assert uploaded.status_code == 303
    file_id = await db.fetchval("SELECT id FROM rec_file WHERE person = $1", cs["id"])
    files = await client.get(f"/admin/records/{cs['id']}?tab=files")
    assert "毕业照" in files.text and f"/admin/records/{cs['id']}/files/{file_id}" in files.text
    download = await client.get(f"/admin/records/{cs['id']}/files/{file_id}")
    assert download.status_code == 200 and download.content == PNG
    fake = await client.post(f"/admin/records/{cs['id']}/files", data={"_csrf_token": token, "kind": "photo"},
                             files={"file": ("evil.png", b"MZ\x90\x00 not an image", "image/png")})
    assert fake.status_code == 422 and "does not match" in fake.text
    other = await as_user("em_admin")
    assert (await other.get(f"/admin/records/{cs['id']}/files/{file_id}")).status_code == 404
    assert await db.fetchval("SELECT count(*) FROM rec_change WHERE person = $1 AND section IN ('contact', 'file')",
                             cs["id"]) == 2


@pytest.mark.req("REC-01")
async def test_education_add_edit_delete(as_user, db):
    cs = await _person(db, "CS", secrecy=0)
    client = await as_user("cs_admin")
    form = await client.get(f"/admin/records/{cs['id']}/educations/new")
    token = csrf_from(form.text)
    bad = await client.post(f"/admin/records/{cs['id']}/educations", data={"_csrf_token": token, "major": "人工智能",
                                                                          "entry_year": "2020", "grad_year": "2019"})
    assert bad.status_code == 422 and 'value="人工智能"' in bad.text
    added = await client.post(f"/admin/records/{cs['id']}/educations",
                              data={"_csrf_token": token, "degree": "ss", "major": "人工智能", "entry_year": "2020",
                                    "grad_year": "2023"})
    assert added.status_code == 303
    edu = await db.fetchval("SELECT id FROM rec_education WHERE person = $1 AND major = '人工智能'", cs["id"])
    edited = await client.post(f"/admin/records/{cs['id']}/educations/{edu}",
                               data={"_csrf_token": token, "degree": "ss", "major": "机器学习", "entry_year": "2020",
                                     "grad_year": "2023"})
    assert edited.status_code == 303
    assert await db.fetchval("SELECT major FROM rec_education WHERE id = $1", edu) == "机器学习"
    confirm = await client.get(f"/admin/records/{cs['id']}/educations/{edu}/delete")
    assert confirm.status_code == 200 and "机器学习" in confirm.text
    deleted = await client.post(f"/admin/records/{cs['id']}/educations/{edu}/delete", data={"_csrf_token": token})
    assert deleted.status_code == 303 and not await db.fetchval("SELECT 1 FROM rec_education WHERE id = $1", edu)
    log = await client.get(f"/admin/records/{cs['id']}?tab=changes")
    assert "Deleted (Education)" in log.text and "机器学习" in log.text


@pytest.mark.req("REC-01")
async def test_masked_values_are_not_overwritten_by_an_edit(as_user, db):
    cs = await _person(db, "CS", secrecy=0)
    client = await as_user("cs_admin")  # sees names in clear, phones masked
    edit = await client.get(f"/admin/records/{cs['id']}/edit")
    assert cs["phone"] not in edit.text
    assert 'id="f-phone" name="phone"' in edit.text and "disabled" in edit.text.split('id="f-phone"')[1][:300]
    org = await db.fetchval("SELECT org FROM rec_person WHERE id = $1", cs["id"])
    saved = await client.post(f"/admin/records/{cs['id']}/edit",
                              data={"_csrf_token": csrf_from(edit.text), "name": cs["name"], "kind": "alumni",
                                    "employer": "新单位", "secrecy": "0", "org": str(org)})
    assert saved.status_code == 303
    row = await db.fetchrow("SELECT phone, employer FROM rec_person WHERE id = $1", cs["id"])
    assert row["phone"] == cs["phone"] and row["employer"] == "新单位"


@pytest.mark.req("REC-01")
@pytest.mark.req("REC-04")
async def test_college_and_year_list_newest_first_under_a_newer_cohort(as_user, db):
    """A cohort import puts many newer non-matching alumni on top; the college + entry year list still pages
    through exactly its matches, newest first, each person once (also with two matching education rows)."""
    from app.core.audit import SYSTEM
    from app.records import api

    client = await as_user("admin")
    cs = await _org(db, "CS")
    year = await db.fetchval("SELECT y FROM generate_series(1950, 1999) y WHERE NOT EXISTS (SELECT 1 FROM"
                             " rec_education WHERE college = $1 AND entry_year = y) LIMIT 1", cs)  # ours alone
    matching = [await api.create_person(SYSTEM, {"name": f"排序测试{i}", "org": cs},
                                            [{"college": cs, "entry_year": year}]) for i in range(25)]
    await api.add_education(SYSTEM, matching[3], {"college": cs, "entry_year": year, "major": "第二学位"})
    for i in range(40):
        await api.create_person(SYSTEM, {"name": f"新届{i}", "org": cs}, [{"college": cs, "entry_year": 2024}])
    expected = sorted(matching, reverse=True)

    def listed(page: str) -> list[int]:
        return [int(i) for i in re.findall(r'<a href="/admin/records/(\d+)">', page)]

    params = {"college": cs, "entry_year": year}  # 20 a page
    first = await client.get("/admin/records", params=params)
    second = await client.get("/admin/records", params={**params, "page": 2})
    assert listed(first.text) == expected[:20] and listed(second.text) == expected[20:]
    assert "25 records" in first.text
    by_name = await client.get("/admin/records", params={**params, "per_page": 50, "sort": "name"})
    names = {pid: await db.fetchval("SELECT name FROM rec_person WHERE id = $1", pid) for pid in matching}
    assert listed(by_name.text) == sorted(matching, key=lambda pid: (names[pid], pid))
