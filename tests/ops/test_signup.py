"""Signups (OPS-02): places taken up to the quota and never beyond, even with 200 people at once; the waiting list
promotes the longest-waiting person when a place frees; per-person limits; approval; points tickets paid and
refunded through the points API."""
import asyncio

import pytest

from app.core.audit import SYSTEM
from app.core.forms import Conflict
from app.ops import registrations, tickets
from app.points import api as points
from tests.ops.factories import make_event, make_user


@pytest.mark.req("OPS-02")
async def test_200_concurrent_signups_for_50_places_never_oversell(db):
    event_id, ticket_id = await make_event("抢票测试", quota=50)
    people = [await make_user(db, f"校友{i}") for i in range(200)]
    results = await asyncio.gather(*(registrations.signup(p, event_id, ticket_id, {}) for p in people))
    statuses = [r.status for r in results]
    assert statuses.count("confirmed") == 50 and statuses.count("waitlisted") == 150
    row = await db.fetchrow("SELECT taken, quota FROM ops_ticket_type WHERE id = $1", ticket_id)
    assert row["taken"] == 50 == await db.fetchval(
        "SELECT count(*) FROM ops_registration WHERE ticket_type = $1 AND holds_place", ticket_id)
    assert len({r.code for r in results}) == 200


@pytest.mark.req("OPS-02")
async def test_waiting_list_promotes_in_order_and_limits_hold(db):
    event_id, ticket_id = await make_event("小型沙龙", quota=2)
    a, b, c, d = [await make_user(db, n) for n in ("甲", "乙", "丙", "丁")]
    first = await registrations.signup(a, event_id, ticket_id, {})
    await registrations.signup(b, event_id, ticket_id, {})
    third = await registrations.signup(c, event_id, ticket_id, {})
    fourth = await registrations.signup(d, event_id, ticket_id, {})
    assert (third.status, fourth.status) == ("waitlisted", "waitlisted")
    with pytest.raises(Conflict, match="already hold"):
        await registrations.signup(a, event_id, ticket_id, {})
    await registrations.cancel(a, first.registration_id)
    assert await db.fetchval("SELECT status FROM ops_registration WHERE id = $1", third.registration_id) == "confirmed"
    waiting = await db.fetchval("SELECT status FROM ops_registration WHERE id = $1", fourth.registration_id)
    assert waiting == "waitlisted"
    inbox = await db.fetchval("SELECT count(*) FROM inbox_message WHERE \"user\" = $1 AND template_code ="
                              " 'ops_registration_promoted'", c.id)
    assert inbox == 1
    await tickets.save_ticket_type(SYSTEM, event_id, {"name": "普通票", "quota": 3}, ticket_id)
    await registrations.promote(ticket_id)
    assert await db.fetchval("SELECT status FROM ops_registration WHERE id = $1", fourth.registration_id) == "confirmed"
    assert await db.fetchval("SELECT taken FROM ops_ticket_type WHERE id = $1", ticket_id) == 3
    with pytest.raises(Conflict):
        await registrations.cancel(a, first.registration_id)  # already cancelled


@pytest.mark.req("OPS-02")
async def test_points_ticket_is_paid_and_refunded_and_approval_waits(db):
    event_id, ticket_id = await make_event("积分讲座", quota=5, kind="points", price=30)
    rich, poor = await make_user(db, "富"), await make_user(db, "穷")
    await points.grant(rich.id, 100, key=f"test:{rich.id}", reason="test")
    done = await registrations.signup(rich, event_id, ticket_id, {})
    assert done.status == "confirmed" and await points.balance(rich.id) == 70
    with pytest.raises(points.InsufficientPoints):
        await registrations.signup(poor, event_id, ticket_id, {})
    assert await db.fetchval("SELECT taken FROM ops_ticket_type WHERE id = $1", ticket_id) == 1  # rolled back
    await registrations.cancel(rich, done.registration_id)
    assert await points.balance(rich.id) == 100

    approval_id, approval_ticket = await make_event("需审核", quota=5, needs_approval=True)
    pending = await registrations.signup(poor, approval_id, approval_ticket, {})
    assert pending.status == "pending"
    await registrations.decide(SYSTEM, pending.registration_id, True)
    assert await db.fetchval("SELECT status FROM ops_registration WHERE id = $1", pending.registration_id) \
        == "confirmed"


@pytest.mark.req("OPS-02")
async def test_reminders_go_once_at_each_offset(db):
    from datetime import UTC, datetime, timedelta

    from app.ops import reminders

    event_id, ticket_id = await make_event("提醒测试", quota=5, reminder_minutes="1440, 60")
    person = await make_user(db, "提醒")
    await registrations.signup(person, event_id, ticket_id, {})
    start = await db.fetchval("SELECT starts_at FROM ops_event WHERE id = $1", event_id)
    assert (await reminders.send_due(start - timedelta(days=3)))["reminders"] == 0
    first = await reminders.send_due(start - timedelta(hours=23))
    assert first == {"reminders": 1, "messages": 2}  # in-site and SMS
    assert (await reminders.send_due(start - timedelta(hours=22)))["reminders"] == 0  # not twice
    assert (await reminders.send_due(start - timedelta(minutes=30)))["reminders"] == 1
    assert await db.fetchval("SELECT count(*) FROM inbox_message WHERE \"user\" = $1 AND template_code ="
                             " 'ops_event_reminder'", person.id) == 2
    assert datetime.now(UTC) < start
