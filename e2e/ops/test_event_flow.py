"""OPS-02 in a real browser on a WeChat phone, JavaScript on and off: an alumnus opens an event, signs up with its
form (a required agreement, a conditional question) → the e-ticket with its QR → door staff on a phone check the
code in → a second entry is refused (with JS, a scan made offline waits on the phone and is sent when the network
is back); a full event's waiting list promotes after a cancellation."""
from __future__ import annotations

import pytest

from app.core.audit import SYSTEM
from app.ops import custom_forms, events, registrations
from app.support import roles
from e2e.helpers import zh
from tests.ops.factories import PASSWORD, make_event, make_user


async def password_login(page, username: str) -> None:
    """The password form, as a fresh visitor (another person picks up the phone: no earlier session)."""
    await page.context.clear_cookies()
    await page.goto("/login?password=1")
    await page.fill("#f-username", username)
    await page.fill("#f-password", PASSWORD)
    await page.click("form[action='/login'] button[type=submit]")
    await page.wait_for_load_state("networkidle")


async def press(page, selector: str) -> None:
    await page.click(selector)
    await page.wait_for_load_state("networkidle")


async def door_staff(db, name: str):
    staff = await make_user(db, name)
    role = await roles.ensure_role(SYSTEM, code="ops_door_e2e", name="签到员", permissions=["ops.checkin"],
                                   data_scope="self", scope_org=None)
    await roles.grant_role(SYSTEM, staff.id, role)
    return staff


async def check_in(page, code: str) -> str:
    await page.fill("#f-code", code)
    await page.click("#checkin-form button[type=submit]")
    await page.wait_for_selector("#checkin-result .ops-result:not(.queued)")
    text = await page.locator("#checkin-result").inner_text()
    return text


@pytest.mark.req("OPS-02")
async def test_signup_with_form_eticket_and_door_check_in(phone, db):
    event_id, ticket_id = await make_event(f"校友返校日{phone.mode}", quota=30, summary="欢迎回家")
    form_id = (await events.get_event(event_id))["form"]
    for q in ({"key": "agree", "label": "我同意活动须知", "kind": "agreement", "required": True},
              {"key": "family", "label": "是否携带家属", "kind": "choice", "options": "是\n否", "required": True},
              {"key": "family_n", "label": "家属人数", "kind": "number", "required": True,
               "show_if_field": "family", "show_if_values": "是"}):
        await custom_forms.add_question(SYSTEM, form_id, q)
    alumnus = await make_user(db, f"e2e_ops_{phone.mode}")
    staff = await door_staff(db, f"e2e_door_{phone.mode}")

    await password_login(phone, alumnus.name)
    await phone.goto("/h5/events")
    await press(phone, f"a[href='/h5/events/{event_id}']")
    await phone.wait_for_selector(f"h1:has-text('校友返校日{phone.mode}')")
    await press(phone, f"a[href='/h5/events/{event_id}/signup?ticket={ticket_id}']")
    conditional = phone.locator("[data-show-if]")
    await phone.wait_for_selector("form.ops-signup")
    if phone.mode == "js":
        await conditional.wait_for(state="hidden", timeout=5000)  # ops-forms.js hides it until 是 is chosen
    else:
        assert await conditional.is_visible()
    await phone.select_option("#f-q_family", "是")
    await conditional.wait_for(state="visible")
    await press(phone, "form.ops-signup button[type=submit]")
    await phone.wait_for_selector("text=" + zh("Please accept this to continue."))
    await phone.wait_for_selector("#f-q_family_n-err")  # 家属人数 is required once 是 is chosen
    assert await phone.locator("#f-q_family").input_value() == "是"  # nothing typed is lost
    await phone.fill("#f-q_family_n", "2")
    await phone.check("#f-q_agree")
    await press(phone, "form.ops-signup button[type=submit]")
    await phone.wait_for_selector("#ticket-code")
    code = (await phone.locator("#ticket-code").inner_text()).strip()
    assert await phone.locator(".ops-qr svg").count() == 1
    reg = await db.fetchrow("SELECT id, status FROM ops_registration WHERE code = $1", code)
    assert reg["status"] == "confirmed"

    await password_login(phone, staff.name)
    await phone.goto(f"/h5/checkin/{event_id}")
    first = await check_in(phone, code.lower())
    assert zh("Checked in") in first and f"e2e_ops_{phone.mode}" in first
    assert await phone.locator("#checkin-result .ops-result.ok").count() == 1
    second = await check_in(phone, code)
    assert zh("Already checked in") in second
    assert await phone.locator("#checkin-result .ops-result.refused").count() == 1
    assert (await phone.locator("#count-arrived").inner_text()).strip() == "1"

    if phone.mode == "js":  # the network drops at the door: the scan waits on the phone, then counts once
        late = await registrations.signup(await make_user(db, "迟到校友"), event_id, ticket_id,
                                          {"q_agree": "on", "q_family": "否"})
        await phone.context.set_offline(True)
        await phone.fill("#f-code", late.code)
        await phone.click("#checkin-form button[type=submit]")
        await phone.wait_for_selector("#checkin-result .ops-result.queued")
        await phone.wait_for_selector("#queue-card:not([hidden]) #queue li")
        await phone.context.set_offline(False)
        await phone.wait_for_selector("#count-arrived:text-is('2')")
        await phone.wait_for_selector("#queue-card[hidden]", state="attached")
        assert await db.fetchval("SELECT method FROM ops_checkin WHERE registration = $1", late.registration_id) \
            == "offline"
    assert await db.fetchval("SELECT count(*) FROM ops_registration WHERE event = $1 AND checked_in_at IS NOT NULL",
                             event_id) == (2 if phone.mode == "js" else 1)


@pytest.mark.req("OPS-02")
async def test_full_event_waiting_list_promotes_after_a_cancellation(phone, db):
    event_id, ticket_id = await make_event(f"小型沙龙{phone.mode}", quota=1)
    holder, waiting = await make_user(db, f"e2e_hold_{phone.mode}"), await make_user(db, f"e2e_wait_{phone.mode}")
    held = await registrations.signup(holder, event_id, ticket_id, {})

    await password_login(phone, waiting.name)
    await phone.goto(f"/h5/events/{event_id}")
    await press(phone, f"a[href='/h5/events/{event_id}/signup?ticket={ticket_id}']")
    await press(phone, "form.ops-signup button[type=submit]")
    await phone.wait_for_selector("#ticket-code")
    assert await phone.locator(".ops-qr svg").count() == 0
    assert zh("On the waiting list") in await phone.locator("#ticket-status").inner_text()

    await password_login(phone, holder.name)
    await phone.goto(f"/h5/tickets/{held.registration_id}")
    if phone.mode == "js":
        phone.once("dialog", lambda dialog: dialog.accept())  # hx-confirm
        await press(phone, f"a[hx-post='/h5/tickets/{held.registration_id}/cancel']")
    else:
        await press(phone, f"a[href='/h5/tickets/{held.registration_id}/cancel']")
        await press(phone, f"form[action='/h5/tickets/{held.registration_id}/cancel'] button[type=submit]")
    await phone.wait_for_selector(f"#ticket-status:has-text('{zh('Cancelled')}')")

    await password_login(phone, waiting.name)
    await phone.goto("/h5/tickets")
    await press(phone, f"a:has-text('小型沙龙{phone.mode}')")
    await phone.wait_for_selector(f"#ticket-status:has-text('{zh('Confirmed')}')")
    assert await phone.locator(".ops-qr svg").count() == 1
