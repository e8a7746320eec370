"""Address books (SMS-08): org books shared down the tree, personal books for their owner only, contacts
CRUD with groups, groups offered on the send page, import through the engine with per-row results, and
the import history searchable by operator and time."""
import pytest

from app.core import jobs
from tests.helpers import csrf_from, xlsx
from tests.sms.console_helpers import hq_account, make_operator


@pytest.mark.req("SMS-08")
async def test_books_contacts_groups_and_visibility(db, as_user):
    bookop = await make_operator("bookop", org_code="CS", scope="self")
    await db.execute("INSERT INTO sms_account_member (account, \"user\") VALUES ($1, $2)", await hq_account(), bookop)
    await make_operator("classop", org_code="CS-2008-1", scope="self")
    await make_operator("emop", org_code="EM", scope="self")
    cs = await db.fetchval("SELECT id FROM org_node WHERE code = 'CS'")
    client = await as_user("bookop")
    page = await client.get("/admin/sms/contacts")
    token = csrf_from(page.text)
    bad = await client.post("/admin/sms/contacts/books", data={"name": "", "kind": "org", "_csrf_token": token})
    assert bad.status_code == 422 and "Enter a name." in bad.text
    made = await client.post("/admin/sms/contacts/books", data={"name": "计算机学院通讯录", "kind": "org",
                                                                "org": str(cs), "_csrf_token": token})
    assert made.status_code == 422  # a "self" scope may not own an org book
    made = await client.post("/admin/sms/contacts/books", data={"name": "我的通讯录", "kind": "personal",
                                                                "_csrf_token": token})
    assert made.status_code == 303
    personal = int(made.headers["location"].rsplit("/", 1)[1])
    org_book = await db.fetchval("INSERT INTO sms_contact_book (kind, org, name) VALUES ('org', $1, '计算机学院通讯录')"
                                 " RETURNING id", cs)
    bad_phone = await client.post(f"/admin/sms/contacts/books/{personal}", data={
        "name": "王五", "phone": "123", "_csrf_token": token})
    assert bad_phone.status_code == 422 and "Enter a valid mobile number." in bad_phone.text
    assert "王五" in bad_phone.text
    added = await client.post(f"/admin/sms/contacts/books/{personal}", data={
        "name": "王五", "phone": "138 0013 8000", "company": "同窗科技", "tags": "理事，北京", "_csrf_token": token})
    assert added.status_code == 303
    row = await db.fetchrow("SELECT id, phone, tags FROM sms_contact WHERE book = $1", personal)
    assert row["phone"] == "13800138000" and row["tags"] == ["理事", "北京"]
    book = await client.get(f"/admin/sms/contacts/books/{personal}?q=王")
    assert "王五" in book.text and "理事" in book.text
    edit = await client.post(f"/admin/sms/contacts/{row['id']}", data={"name": "王五", "phone": "13800138001",
                                                                        "tags": "理事", "_csrf_token": token})
    assert edit.status_code == 303
    assert await db.fetchval("SELECT phone FROM sms_contact WHERE id = $1", row["id"]) == "13800138001"
    send = await client.get("/admin/sms/send")
    assert f'value="t{personal}:理事"' in send.text

    # the class below CS sees the CS org book, not the personal one; another college sees neither
    other = await as_user("classop")
    listing = await other.get("/admin/sms/contacts")
    assert "计算机学院通讯录" in listing.text and "我的通讯录" not in listing.text
    assert (await other.get(f"/admin/sms/contacts/books/{personal}")).status_code == 404
    em = await as_user("emop")
    assert "计算机学院通讯录" not in (await em.get("/admin/sms/contacts")).text
    assert (await em.get(f"/admin/sms/contacts/books/{org_book}")).status_code == 404

    client = await as_user("bookop")
    confirm = await client.get(f"/admin/sms/contacts/{row['id']}/delete")
    gone = await client.post(f"/admin/sms/contacts/{row['id']}/delete", data={"_csrf_token": csrf_from(confirm.text)})
    assert gone.status_code == 303 and not await db.fetchval("SELECT 1 FROM sms_contact WHERE id = $1", row["id"])


@pytest.mark.req("SMS-08")
async def test_import_with_row_results_and_history(db, as_user):
    client = await as_user("admin")
    page = await client.get("/admin/sms/contacts")
    token = csrf_from(page.text)
    await client.post("/admin/sms/contacts/books", data={"name": "客户名单", "kind": "customer", "org": "",
                                                         "_csrf_token": token})
    start = await client.get("/admin/imports/sms_contacts")
    assert start.status_code == 200
    data = xlsx([["通讯录", "姓名", "手机", "单位", "分组"], ["客户名单", "赵一", "13800000011", "甲公司", "VIP"],
                 ["客户名单", "钱二", "not-a-phone", "", ""], ["不存在的通讯录", "孙三", "13800000013", "", ""]])
    up = await client.post("/admin/imports/sms_contacts", data={"_csrf_token": csrf_from(start.text)},
                           files={"file": ("contacts.xlsx", data, "application/octet-stream")})
    assert up.status_code == 303, up.text[:300]
    batch = int(up.headers["location"].split("/")[-2])
    mapping = await client.get(up.headers["location"])
    checked = await client.post(up.headers["location"], data={
        "map_book": "0", "map_name": "1", "map_phone": "2", "map_company": "3", "map_tags": "4", "map_note": "",
        "_csrf_token": csrf_from(mapping.text)})
    assert checked.status_code == 303
    report = await client.get(f"/admin/imports/batch/{batch}")
    assert "Enter a valid mobile number." in report.text and "不存在的通讯录" in report.text
    await client.post(f"/admin/imports/batch/{batch}/commit", data={"_csrf_token": csrf_from(report.text)})
    await jobs.drain()
    assert await db.fetchval("SELECT count(*) FROM sms_contact c JOIN sms_contact_book b ON b.id = c.book"
                             " WHERE b.name = '客户名单'") == 1
    history = await client.get("/admin/sms/contacts/imports?operator=admin")
    assert "contacts.xlsx" in history.text
    none = await client.get("/admin/sms/contacts/imports?operator=nobody")
    assert "contacts.xlsx" not in none.text


@pytest.mark.req("SMS-08")
async def test_books_list_is_paged_with_counts_per_book(db, as_user):
    owner = await make_operator("bookpager", org_code="CS", scope="self")
    ids = [await db.fetchval("INSERT INTO sms_contact_book (kind, owner, name) VALUES ('personal', $1, $2)"
                             " RETURNING id", owner, f"分页通讯录{i:02d}") for i in range(25)]
    await db.execute("INSERT INTO sms_contact (book, name, phone) VALUES ($1, '甲', '13800000001'),"
                     " ($1, '乙', '13800000002')", ids[0])
    client = await as_user("bookpager")
    first = await client.get("/admin/sms/contacts", params={"kind": "personal"})
    second = await client.get("/admin/sms/contacts", params={"kind": "personal", "page": 2})
    on_first = [i for i in ids if f'/admin/sms/contacts/books/{i}"' in first.text]
    on_second = [i for i in ids if f'/admin/sms/contacts/books/{i}"' in second.text]
    assert on_first == ids[:20] and on_second == ids[20:]  # by name, 20 a page
    assert "21–25 of 25" in second.text
    row = first.text.split(f'/admin/sms/contacts/books/{ids[0]}"', 1)[1].split("</tr>", 1)[0]
    assert '<td data-label="Contacts">2</td>' in row
