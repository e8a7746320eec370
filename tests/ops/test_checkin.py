"""The door on a phone (OPS-02): door staff only; a typed code checks in once, the second time "Already checked
in"; another event's ticket, a made-up code and a forged QR are refused with their message and audited; the
signed QR works; the offline queue's sync endpoint replayed with the same refs counts each scan once."""
import json

import pytest

from app.core.audit import SYSTEM
from app.ops import registrations
from app.support import roles
from tests.helpers import csrf_from, login
from tests.ops.factories import PASSWORD, make_event, make_user


async def door_staff(db):
    staff = await make_user(db, "门口志愿者")
    role = await roles.ensure_role(SYSTEM, code="ops_door_test", name="签到员", permissions=["ops.checkin"],
                                   data_scope="self", scope_org=None)
    await roles.grant_role(SYSTEM, staff.id, role)
    return staff


def result_box(html: str) -> str:
    return html.split('id="checkin-result"', 1)[1].split("</div>\n</div>", 1)[0]


@pytest.mark.req("OPS-02")
async def test_code_entry_once_then_already_and_bad_tickets_refused(client, db):
    event_id, ticket_id = await make_event("返校日签到", quota=10)
    other_event, other_ticket = await make_event("别的活动", quota=10)
    guest, outsider = await make_user(db, "来宾"), await make_user(db, "路人")
    mine = await registrations.signup(guest, event_id, ticket_id, {})
    second = await registrations.signup(outsider, event_id, ticket_id, {})
    elsewhere = await registrations.signup(guest, other_event, other_ticket, {})
    staff = await door_staff(db)

    await login(client, outsider.name, PASSWORD)
    assert (await client.get(f"/h5/checkin/{event_id}")).status_code == 403  # an alumnus is no door staff

    await login(client, staff.name, PASSWORD)
    door = await client.get(f"/h5/checkin/{event_id}")
    assert door.status_code == 200 and "js/ops-checkin.js" in door.text
    assert "camera=(self)" in door.headers["permissions-policy"]  # the QR scanner may use the camera here
    assert 'id="count-expected">2<' in door.text and 'id="count-arrived">0<' in door.text
    token = csrf_from(door.text)
    url = f"/h5/checkin/{event_id}"

    ok = await client.post(url, data={"_csrf_token": token, "code": mine.code.lower()})
    assert ok.status_code == 200 and "ops-result ok" in ok.text and "Checked in" in result_box(ok.text)
    assert "来宾" in result_box(ok.text) and 'id="count-arrived">1<' in ok.text
    again = await client.post(url, data={"_csrf_token": token, "code": mine.code})
    assert "ops-result refused" in again.text and "Already checked in" in result_box(again.text)

    refused = {
        elsewhere.code: "This ticket is for another event",
        "ZZZZ9999ZZ": "No such ticket",
        "eyJyIjoxLCJjIjoiQUJDIn0.forged.signature-abcdef": "No such ticket",
    }
    for code, message in refused.items():
        page = await client.post(url, data={"_csrf_token": token, "code": code})
        assert "ops-result refused" in page.text and message in result_box(page.text), code
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'checkin_refused' AND entity_id = $1",
                             str(event_id)) == 4  # "already" and the three bad ones
    assert await db.fetchval("SELECT checked_in_at FROM ops_registration WHERE id = $1", elsewhere.registration_id) \
        is None

    reg = await db.fetchrow("SELECT * FROM ops_registration WHERE id = $1", second.registration_id)
    qr = await client.post(url, data={"_csrf_token": token, "code": registrations.ticket_token(reg)})
    assert "ops-result ok" in qr.text and "路人" in result_box(qr.text) and 'id="count-arrived">2<' in qr.text
    assert "Already checked in" in (await client.get(url)).text.split('id="recent"', 1)[1]


@pytest.mark.req("OPS-02")
async def test_offline_sync_replayed_twice_counts_once(client, db):
    event_id, ticket_id = await make_event("离线签到", quota=10)
    people = [await make_user(db, f"来宾{i}") for i in range(3)]
    tickets = [await registrations.signup(p, event_id, ticket_id, {}) for p in people]
    staff = await door_staff(db)
    await login(client, staff.name, PASSWORD)
    await client.get(f"/h5/checkin/{event_id}")  # sets the CSRF cookie, as the page does for its script
    headers = {"x-csrftoken": client.cookies["tc_csrf"], "content-type": "application/json"}
    scans = [{"code": tickets[0].code, "ref": "door1-a", "at": "2026-01-01T00:00:00Z"},
             {"code": tickets[1].code, "ref": "door1-b"},
             {"code": "NOSUCHCODE", "ref": "door1-c"}]
    url = f"/h5/checkin/{event_id}/sync"
    assert (await client.post(url, content=json.dumps(scans), headers={"content-type": "application/json"})) \
        .status_code == 403  # no CSRF header: refused
    first = await client.post(url, content=json.dumps(scans), headers=headers)
    assert first.status_code in (200, 201), first.text
    body = first.json()
    assert [r["result"] for r in body["results"]] == ["ok", "ok", "unknown"]
    assert body["counts"] == {"expected": 3, "arrived": 2}
    replay = await client.post(url, content=json.dumps({"scans": scans}), headers=headers)
    assert [r["ref"] for r in replay.json()["results"]] == ["door1-a", "door1-b", "door1-c"]
    assert replay.json()["counts"]["arrived"] == 2
    assert await db.fetchval("SELECT count(*) FROM ops_checkin WHERE event = $1", event_id) == 3
    assert await db.fetchval("SELECT count(*) FROM ops_checkin WHERE event = $1 AND result = 'ok'", event_id) == 2
    bad = await client.post(url, content=json.dumps({"scans": "nope"}), headers=headers)
    assert bad.status_code == 400
