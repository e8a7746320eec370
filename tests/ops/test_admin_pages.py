"""The events on the desktop (OPS-02): an event manager creates an event, sets up a points ticket and a form with
a conditional question, publishes it; the registrations list masks phones, approves and bulk-checks in; bad input
re-renders with field messages."""
import pytest

from app.core.audit import SYSTEM
from app.ops import access, custom_forms, events, registrations
from tests.helpers import csrf_from, login
from tests.ops.factories import PASSWORD, make_event, make_user


@pytest.mark.req("OPS-02")
async def test_manager_creates_sets_up_and_publishes(as_user, db):
    admin = await as_user("admin")
    page = await admin.get("/admin/ops/events/new")
    assert page.status_code == 200 and 'type="datetime-local"' in page.text
    token = csrf_from(page.text)
    bad = await admin.post("/admin/ops/events", data={"_csrf_token": token, "title": "",
                                                      "starts_at": "2027-05-01T09:00",
                                                      "ends_at": "2027-04-01T09:00", "seating": "none"})
    assert bad.status_code == 422 and "This field is required." in bad.text and "2027-05-01T09:00" in bad.text
    made = await admin.post("/admin/ops/events", data={
        "_csrf_token": token, "title": "2027校友返校日", "starts_at": "2027-05-01T09:00", "ends_at": "2027-05-01T17:00",
        "place": "主楼广场", "seating": "none", "table_size": "10", "reminder_minutes": "1440, 60",
        "body_html": '<p onclick="x()">欢迎<script>alert(1)</script></p>'})
    assert made.status_code == 303
    event_id = int(made.headers["location"].rsplit("/", 1)[-1])
    event = await events.get_event(event_id)
    assert event["status"] == "draft" and event["reminder_minutes"] == [1440, 60]
    assert "script" not in event["body_html"] and "onclick" not in event["body_html"]
    setup = await admin.get(f"/admin/ops/events/{event_id}/setup")
    assert setup.status_code == 200 and "Admission" in setup.text
    ticket_id = (await db.fetchrow("SELECT id FROM ops_ticket_type WHERE event = $1", event_id))["id"]
    saved = await admin.post(f"/admin/ops/events/{event_id}/tickets", data={
        "_csrf_token": token, "id": str(ticket_id), "name": "积分票", "kind": "points", "price": "0", "quota": "30",
        "per_person": "1"})
    assert saved.status_code == 422 and "at least 1 point" in saved.text
    await admin.post(f"/admin/ops/events/{event_id}/tickets", data={
        "_csrf_token": token, "id": str(ticket_id), "name": "积分票", "kind": "points", "price": "20", "quota": "30",
        "per_person": "1"})
    row = await db.fetchrow("SELECT kind, price, quota FROM ops_ticket_type WHERE id = $1", ticket_id)
    assert (row["kind"], row["price"], row["quota"]) == ("points", 20, 30)
    for q in ({"label": "是否携带家属", "key": "family", "kind": "choice", "options": "是\n否", "required": "on"},
              {"label": "家属人数", "key": "family_n", "kind": "number", "show_if_field": "family",
               "show_if_values": "是"}):
        added = await admin.post(f"/admin/ops/events/{event_id}/questions", data={"_csrf_token": token, **q})
        assert added.status_code == 303, added.text
    bad_q = await admin.post(f"/admin/ops/events/{event_id}/questions", data={
        "_csrf_token": token, "label": "单选", "key": "Bad Key", "kind": "choice", "options": "一"})
    assert bad_q.status_code == 422 and "lower-case letters" in bad_q.text
    items = await custom_forms.questions(event["form"])
    assert [q.key for q in items] == ["family", "family_n"] and items[1].show_if == {"field": "family",
                                                                                    "values": ["是"]}
    confirm = await admin.get(f"/admin/ops/events/{event_id}/status/publish")
    assert confirm.status_code == 200
    await admin.post(f"/admin/ops/events/{event_id}/status/publish", data={"_csrf_token": token})
    assert (await events.get_event(event_id))["status"] == "published"
    listing = await admin.get("/admin/ops/events?q=返校")
    assert "2027校友返校日" in listing.text


@pytest.mark.req("OPS-02")
async def test_registrations_approve_mask_and_bulk_checkin(client, db):
    event_id, ticket_id = await make_event("理事会年会", quota=10, needs_approval=True)
    people = [await make_user(db, n) for n in ("张三", "李四")]
    regs = [await registrations.signup(p, event_id, ticket_id, {}) for p in people]
    manager = await make_user(db, "活动专员")  # may run events, may not see phones in clear
    role = await db.fetchval("INSERT INTO role (code, name, permissions, data_scope) VALUES ('ops_test', '活动专员',"
                             " ARRAY['ops.event.manage'], 'all') RETURNING id")
    await db.execute("INSERT INTO user_role (\"user\", role) VALUES ($1, $2)", manager.id, role)
    await login(client, manager.name, PASSWORD)  # Actor.name is the username
    admin = client
    page = await admin.get(f"/admin/ops/events/{event_id}/registrations")
    assert page.status_code == 200, page.text[:300]
    phone = await db.fetchval("SELECT phone FROM app_user WHERE id = $1", people[0].id)
    assert phone not in page.text and phone[:3] + "****" + phone[-4:] in page.text
    token = csrf_from(page.text)
    refused = await admin.post(f"/admin/ops/events/{event_id}/registrations/{regs[1].registration_id}/decide",
                               data={"_csrf_token": token, "decision": "reject", "reason": ""})
    assert refused.status_code == 422 and "Give a reason." in refused.text
    for reg in regs:
        await admin.post(f"/admin/ops/events/{event_id}/registrations/{reg.registration_id}/decide",
                         data={"_csrf_token": token, "decision": "approve"})
    done = await admin.post(f"/admin/ops/events/{event_id}/registrations/checkin",
                            data={"_csrf_token": token, "ids": [str(r.registration_id) for r in regs]})
    assert done.status_code == 303
    assert await db.fetchval("SELECT count(*) FROM ops_registration WHERE event = $1 AND checked_in_at IS NOT NULL",
                             event_id) == 2
    outsider = await make_user(db, "路人")
    assert not await access.may_manage(outsider, await events.get_event(event_id))
    assert SYSTEM.can(access.MANAGE)


@pytest.mark.req("OPS-02")
async def test_registrations_export_has_answers_and_masked_phones(client, db):
    import io

    from openpyxl import load_workbook

    event_id, ticket_id = await make_event("导出测试", quota=5)
    event = await events.get_event(event_id)
    await custom_forms.add_question(SYSTEM, event["form"], {"label": "单位", "key": "company", "kind": "text"})
    person = await make_user(db, "导出人")
    await registrations.signup(person, event_id, ticket_id, {"q_company": "清华同方"})
    manager = await make_user(db, "导出专员")
    role = await db.fetchval("INSERT INTO role (code, name, permissions, data_scope) VALUES ('ops_exp', '导出',"
                             " ARRAY['ops.event.manage'], 'all') RETURNING id")
    await db.execute("INSERT INTO user_role (\"user\", role) VALUES ($1, $2)", manager.id, role)
    await login(client, manager.name, PASSWORD)
    answer = await client.get(f"/admin/ops/events/{event_id}/registrations/export")
    assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(answer.content)).active
    text = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)
    phone = await db.fetchval("SELECT phone FROM app_user WHERE id = $1", person.id)
    assert "清华同方" in text and "单位" in text and phone not in text and phone[:3] + "****" in text
