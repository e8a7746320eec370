"""SUP-14 / SUP-16 audit log and personal data: entries about alumni records, address book contacts, buyers'
addresses and points accounts are masked as on those records' own pages, and entries about records the
viewer may not see (data scope, secrecy level) are neither listed, exported nor shown."""
import csv
import io
import re

import pytest

from app.core import sessions
from app.core.audit import Actor
from app.core.masking import mask
from tests.helpers import post_form


async def actor_of(db, username: str) -> Actor:
    """The seeded user as services see them (permissions, data scope)."""
    uid = await db.fetchval("SELECT id FROM app_user WHERE username = $1", username)
    return Actor.of((await sessions.state(uid, fresh=True)).user, "127.0.0.1")


async def org(db, code: str) -> int:
    return await db.fetchval("SELECT id FROM org_node WHERE code = $1", code)


async def entry_of(db, entity: str, entity_id, action: str) -> int:
    return await db.fetchval("SELECT max(id) FROM audit_log WHERE entity = $1 AND entity_id = $2 AND action = $3",
                             entity, str(entity_id), action)


def entry_ids(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'href="/admin/audit/(\d+)" class="audit-entry"', html)}


async def listed(client, **params) -> set[int]:
    response = await client.get("/admin/audit", params={"per_page": 100, **params})
    assert response.status_code == 200
    return entry_ids(response.text)


async def exported(client, **params) -> list[list[str]]:
    """The CSV export's data rows (after the watermark and header lines)."""
    response = await client.get("/admin/audit/export", params={"fmt": "csv", **params})
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[2:]


async def logout(client) -> None:
    await post_form(client, "/admin", "/logout", {})


PHONE, NEW_PHONE = "13912345678", "13987654321"
EMAIL, NEW_EMAIL = "privacy.person@example.com", "new.mail@example.com"
ID_NUMBER, NEW_ID = "110101199001011234", "110101199202022345"
NAME = "隐私测试"


async def person(db, admin: Actor, secrecy: int = 0, **values) -> int:
    from app.records import api

    return await api.create_person(admin, {"name": NAME, "kind": "alumni", "phone": PHONE, "email": EMAIL,
                                               "id_number": ID_NUMBER, "org": await org(db, "CS"),
                                               "secrecy": secrecy, **values})


@pytest.mark.req("SUP-14")
@pytest.mark.req("SUP-16")
async def test_record_entries_are_masked_as_on_the_record_pages(as_user, db):
    from app.records import api

    admin = await actor_of(db, "admin")
    pid = await person(db, admin)
    await api.update_person(admin, pid, {"phone": NEW_PHONE, "email": NEW_EMAIL, "id_number": NEW_ID})
    created, updated = await entry_of(db, "rec_person", pid, "create"), await entry_of(db, "rec_person", pid, "update")
    clear = (PHONE, NEW_PHONE, EMAIL, NEW_EMAIL, ID_NUMBER, NEW_ID)
    masked = [mask(kind, v) for kind, v in (("phone", PHONE), ("phone", NEW_PHONE), ("email", EMAIL),
                                            ("email", NEW_EMAIL), ("id_number", ID_NUMBER), ("id_number", NEW_ID))]

    cs = await as_user("cs_admin")  # sees names in clear, phone / email / ID number masked
    record_page = await cs.get(f"/admin/records/{pid}?tab=contact")
    assert record_page.status_code == 200 and NEW_PHONE not in record_page.text
    assert mask("phone", NEW_PHONE) in record_page.text
    assert {created, updated} <= await listed(cs, entity="rec_person", entity_id=str(pid))
    update_page = await cs.get(f"/admin/audit/{updated}")
    assert update_page.status_code == 200
    assert not [v for v in clear if v in update_page.text]
    assert all(m in update_page.text for m in masked)
    assert re.search(r'<tr class="changed">\s*<th scope="row">phone ', update_page.text)  # still marked as changed
    create_page = await cs.get(f"/admin/audit/{created}")
    assert PHONE not in create_page.text and mask("phone", PHONE) in create_page.text
    assert EMAIL not in create_page.text and ID_NUMBER not in create_page.text and NAME in create_page.text
    await logout(cs)

    auditor = await as_user("auditor")  # scope "all", no clear view at all
    rows = [r for r in await exported(auditor, entity="rec_person") if r[6] == str(pid)]
    assert {r[4] for r in rows} == {"create", "update"}
    assert not [v for r in rows for cell in r for v in (*clear, NAME) if v in cell]
    assert {r[7] for r in rows} == {mask("name", NAME)}  # the summary is the person's name
    assert mask("phone", NEW_PHONE) in rows[0][10] + rows[1][10]
    detail = await auditor.get(f"/admin/audit/{created}")
    assert NAME not in detail.text and mask("name", NAME) in detail.text
    # Names hidden from the viewer cannot be found through the summary search either.
    assert not {created, updated} & await listed(auditor, q=NAME)
    await logout(auditor)
    admin_client = await as_user("admin")
    assert {created, updated} <= await listed(admin_client, q=NAME)
    assert NEW_PHONE in (await admin_client.get(f"/admin/audit/{updated}")).text  # the clear view stays clear


@pytest.mark.req("SUP-14")
@pytest.mark.req("REC-03")
async def test_entries_about_records_the_viewer_cannot_open_are_hidden(as_user, db):
    from app.records import api, work

    admin = await actor_of(db, "admin")
    secret = await person(db, admin, secrecy=2, name="密级二人")  # cs_admin's clearance is 1, the auditor's 0
    public = await person(db, admin, name="公开校友")
    await api.update_person(admin, secret, {"phone": NEW_PHONE})
    entries = {}
    for pid in (secret, public):
        work_id = await work.add_work(admin, pid, {"employer": f"单位{pid}", "job_title": "工程师"})
        await work.delete_work(admin, pid, work_id)  # the deleted row is found through the change log
        entries[pid] = {await entry_of(db, "rec_person", pid, "create"),
                        await entry_of(db, "rec_work", work_id, "create"),
                        await entry_of(db, "rec_work", work_id, "delete")}
    entries[secret].add(await entry_of(db, "rec_person", secret, "update"))

    cs = await as_user("cs_admin")
    assert (await cs.get(f"/admin/records/{secret}")).status_code == 404  # the record's own page
    seen = await listed(cs)
    assert entries[public] <= seen and not entries[secret] & seen
    assert not entries[secret] & await listed(cs, entity="rec_person", entity_id=str(secret))
    for entry in entries[secret]:
        assert (await cs.get(f"/admin/audit/{entry}")).status_code == 404
    for entry in entries[public]:
        assert (await cs.get(f"/admin/audit/{entry}")).status_code == 200
    await logout(cs)

    auditor = await as_user("auditor")
    ids = {int(r[6]) for r in await exported(auditor, entity="rec_person") if r[6].isdigit()}
    assert public in ids and secret not in ids
    assert not entries[secret] & await listed(auditor)
    await logout(auditor)
    admin_client = await as_user("admin")  # full clearance: everything
    assert entries[secret] | entries[public] <= await listed(admin_client)


@pytest.mark.req("SUP-14")
@pytest.mark.req("SMS-08")
async def test_address_book_entries_masked_and_limited_to_books_the_viewer_sees(as_user, db):
    from app.sms import contacts

    admin = await actor_of(db, "admin")
    org_book = await contacts.create_book(admin, {"name": "学院通讯录", "kind": "org", "org": await org(db, "CS")})
    kept = await contacts.save_contact(admin, org_book, {"name": "联系人甲", "phone": "13712345678"})
    gone = await contacts.save_contact(admin, org_book, {"name": "联系人乙", "phone": "13722223333"})
    await contacts.delete_contact(admin, gone)
    own_book = await contacts.create_book(admin, {"name": "我的通讯录", "kind": "personal"})
    private = await contacts.save_contact(admin, own_book, {"name": "私人联系人", "phone": "13733334444"})
    visible = {await entry_of(db, "sms_contact", kept, "sms.contact.create"),
               await entry_of(db, "sms_contact", gone, "sms.contact.create"),
               await entry_of(db, "sms_contact", gone, "sms.contact.delete")}
    hidden = {await entry_of(db, "sms_contact", private, "sms.contact.create")}

    auditor = await as_user("auditor")  # data scope "all", but a personal book is its owner's only
    assert visible <= await listed(auditor, entity="sms_contact") and not hidden & await listed(auditor)
    for entry in hidden:
        assert (await auditor.get(f"/admin/audit/{entry}")).status_code == 404
    for entry in visible:
        page = await auditor.get(f"/admin/audit/{entry}")
        assert page.status_code == 200
        assert not [v for v in ("13712345678", "13722223333", "联系人甲", "联系人乙") if v in page.text]
    deleted = await auditor.get(f"/admin/audit/{max(visible)}")
    assert mask("phone", "13722223333") in deleted.text and mask("name", "联系人乙") in deleted.text
    rows = await exported(auditor, entity="sms_contact")
    assert rows and not [r for r in rows if "1373333" in "".join(r) or "137123" in "".join(r)]
    await logout(auditor)
    owner = await as_user("admin")
    assert hidden <= await listed(owner, entity="sms_contact")


@pytest.mark.req("SUP-16")
@pytest.mark.req("SUP-14")
async def test_buyer_address_entries_hide_the_street(as_user, db):
    from app.mall import addresses
    from tests.mall.factories import buyer

    who = await buyer(db, balance=0)
    await addresses.delete(who["actor"], who["address"])
    entry = await entry_of(db, "mall_address", who["address"], "mall.address.delete")
    auditor = await as_user("auditor")
    page = await auditor.get(f"/admin/audit/{entry}")
    assert page.status_code == 200 and "同窗路" not in page.text and "****" in page.text
    assert not [r for r in await exported(auditor, entity="mall_address") if "同窗路" in "".join(r)]
    await logout(auditor)
    admin = await as_user("admin")
    assert "同窗路 1 号" in (await admin.get(f"/admin/audit/{entry}")).text


@pytest.mark.req("SUP-14")
@pytest.mark.req("SUP-03")
async def test_points_entries_follow_the_members_scope(as_user, db):
    from app.points import api as points

    member = await db.fetchrow("SELECT u.id, u.name, u.org, u.kind, u.email, u.phone FROM app_user u JOIN org_node o"
                               " ON o.id = u.org WHERE o.code = 'CS' AND u.kind = 'alumni' ORDER BY u.id LIMIT 1")
    cs_actor = await actor_of(db, "cs_admin")
    row = await points.grant(member["id"], 50, key="audit-privacy-grant", reason="test", actor=cs_actor)
    entry = await entry_of(db, "pts_ledger", row.id, "points.grant")
    cs = await as_user("cs_admin")
    assert entry in await listed(cs, entity="pts_ledger")
    await db.execute("UPDATE app_user SET org = $2 WHERE id = $1", member["id"], await org(db, "EM"))
    # The member now belongs to another college: their ledger is outside cs_admin's scope, so is the entry.
    assert entry not in await listed(cs, entity="pts_ledger")
    assert (await cs.get(f"/admin/audit/{entry}")).status_code == 404
