"""OPS-05, OPS-07, OPS-08 and the big screen (OPS-02) in a real browser, JavaScript on and off: a survey with skip
logic filled on a WeChat phone and its chart seen by the organiser; a lucky draw on the phone; a coupon issued on
check-in, shown in the wallet and redeemed once by counter staff; the big screen at 1920×1080 and 3840×1080 with no
overflow, updating over SSE after a check-in."""
from __future__ import annotations

import pytest

from app.core.audit import SYSTEM
from app.ops import checkin, coupons, custom_forms, interaction, lottery, registrations, surveys
from app.support import roles
from e2e.helpers import zh
from e2e.ops.test_event_flow import password_login, press
from tests.ops.factories import make_event, make_user


async def staff_with(db, name: str, code: str, permissions: list[str]):
    person = await make_user(db, name)
    role = await roles.ensure_role(SYSTEM, code=code, name=code, permissions=permissions, data_scope="self",
                                   scope_org=None)
    await roles.grant_role(SYSTEM, person.id, role)
    return person


@pytest.mark.req("OPS-05")
async def test_survey_with_skip_logic_on_a_phone_and_its_chart(phone, db):
    survey_id = await surveys.create(SYSTEM, {"title": f"校友服务满意度{phone.mode}"})
    form_id = (await surveys.get(survey_id))["form"]
    for q in ({"label": "您对校友会的服务满意吗", "key": "sat", "kind": "choice", "options": "满意\n不满意",
               "required": True},
              {"label": "请说明不满意的原因", "key": "why", "kind": "textarea", "required": True,
               "show_if_field": "sat", "show_if_values": "不满意"}):
        await custom_forms.add_question(SYSTEM, form_id, q)
    await surveys.set_status(SYSTEM, survey_id, "open")
    alumnus = await make_user(db, f"e2e_survey_{phone.mode}")
    organiser = await staff_with(db, f"e2e_survey_admin_{phone.mode}", "ops_manager_e2e", ["ops.event.manage"])

    await password_login(phone, alumnus.name)
    await phone.goto(f"/h5/surveys/{survey_id}")
    why = phone.locator("[data-show-if]")
    if phone.mode == "js":
        await why.wait_for(state="hidden", timeout=5000)  # asked only after 不满意
    else:
        assert await why.is_visible()
    await phone.select_option("#f-q_sat", "不满意")
    await why.wait_for(state="visible")
    await press(phone, "form button[type=submit]")
    await phone.wait_for_selector("text=" + zh("This field is required."))
    assert await phone.locator("#f-q_sat").input_value() == "不满意"
    await phone.fill("#f-q_why", "活动离得太远")
    await press(phone, "form button[type=submit]")
    await phone.wait_for_selector("text=" + zh("Thank you for your answers."))

    await password_login(phone, organiser.name)
    await phone.goto(f"/admin/ops/surveys/{survey_id}")
    await phone.wait_for_selector("svg")
    assert "活动离得太远" in await phone.content()


@pytest.mark.req("OPS-07")
async def test_lucky_draw_on_a_phone(phone, db):
    lottery_id = await lottery.create(SYSTEM, {"title": f"校庆转盘{phone.mode}", "style": "wheel", "per_user": 1,
                                               "per_day": 1})
    await lottery.add_prize(SYSTEM, lottery_id, "纪念T恤", 5, 10000)  # everyone wins
    await lottery.open_lottery(SYSTEM, lottery_id)
    alumnus = await make_user(db, f"e2e_lottery_{phone.mode}")
    await password_login(phone, alumnus.name)
    await phone.goto(f"/h5/lottery/{lottery_id}")
    await phone.wait_for_selector("#lot-board")
    await phone.click("form[action$='/draw'] button[type=submit]")
    await phone.wait_for_selector("#lot-result:has-text('纪念T恤')", timeout=15000)
    assert await db.fetchval("SELECT count(*) FROM ops_lottery_draw WHERE lottery = $1", lottery_id) == 1
    await phone.goto(f"/h5/lottery/{lottery_id}")
    assert await phone.locator("form[action$='/draw'] button[disabled]").count() == 1  # the allowance is used


@pytest.mark.req("OPS-08")
async def test_coupon_issued_on_check_in_and_redeemed_by_staff(phone, db):
    event_id, ticket_id = await make_event(f"校友午宴{phone.mode}", quota=10)
    counter = await make_user(db, f"e2e_counter_{phone.mode}")  # a redeemer of this coupon type, no role
    await coupons.save_type(SYSTEM, {"name": "午餐券", "kind": "meal", "issue_on": "checkin", "event": event_id,
                                     "redeemers": [counter.id]})
    guest = await make_user(db, f"e2e_guest_{phone.mode}")
    reg = await registrations.signup(guest, event_id, ticket_id, {})
    await checkin.check_in(SYSTEM, event_id, reg.code)

    await password_login(phone, guest.name)
    await phone.goto("/h5/coupons")
    await phone.wait_for_selector("text=午餐券")
    code = (await coupons.wallet(guest.id))[0]["code"]

    await password_login(phone, counter.name)
    await phone.goto("/h5/coupons/redeem")
    await phone.fill("#f-code", code)
    await press(phone, "form[action='/h5/coupons/redeem'] button[type=submit]")
    await phone.wait_for_selector("p.ok[role=status]")
    await phone.fill("#f-code", code)
    await press(phone, "form[action='/h5/coupons/redeem'] button[type=submit]")
    await phone.wait_for_selector("p.error[role=alert]")
    assert await db.fetchval("SELECT status FROM ops_coupon WHERE code = $1", code) == "redeemed"


@pytest.mark.req("OPS-02")
@pytest.mark.parametrize("page", ["js", "nojs"], indirect=True)
async def test_big_screen_fits_and_updates(page, db):
    event_id, ticket_id = await make_event(f"校友大会{page.mode}")
    guest = await make_user(db, f"e2e_screen_{page.mode}")
    reg = await registrations.signup(guest, event_id, ticket_id, {})
    url = f"/screen/events/{event_id}?t={interaction.screen_token(event_id)}"
    for width, height in ((1920, 1080), (3840, 1080), (1366, 768)):
        await page.set_viewport_size({"width": width, "height": height})
        await page.goto(url)
        await page.wait_for_selector("#scr-arrived")
        box = await page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight,"
                                  " innerWidth, innerHeight]")
        assert box[0] <= box[2] and box[1] <= box[3], (width, height, box)  # nothing spills off the screen
    assert (await page.locator("#scr-arrived").inner_text()).strip() == "0"
    await checkin.check_in(SYSTEM, event_id, reg.code)
    if page.mode == "js":
        await page.wait_for_selector("#scr-arrived:text-is('1')", timeout=10000)  # pushed over SSE, no reload
    else:
        assert await page.locator("meta[http-equiv=refresh]").count() == 1
        await page.reload()
        assert (await page.locator("#scr-arrived").inner_text()).strip() == "1"
