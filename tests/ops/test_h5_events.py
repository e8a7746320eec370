"""Events on the phone (OPS-02): the list and an event's page with its share card, signup with the event's own
form (a required agreement, a conditional question, an image upload: 422 with messages keeping what was typed,
then success), the e-ticket's QR only once confirmed, another person's ticket 404, and a cancellation that
promotes the first person waiting."""
import io
import re

import pytest

from app.core.audit import SYSTEM
from app.ops import custom_forms, events, registrations
from tests.helpers import csrf_from, login
from tests.ops.factories import PASSWORD, make_event, make_user


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


async def form_event(quota: int = 20) -> tuple[int, int]:
    event_id, ticket_id = await make_event("校友徒步", quota=quota, summary="香山徒步，欢迎家属")
    form_id = (await events.get_event(event_id))["form"]
    for q in ({"key": "agree", "label": "我同意活动安全须知", "kind": "agreement", "required": True},
              {"key": "family", "label": "是否携带家属", "kind": "choice", "options": "是\n否", "required": True},
              {"key": "family_n", "label": "家属人数", "kind": "number", "required": True,
               "show_if_field": "family", "show_if_values": "是"},
              {"key": "note", "label": "备注", "kind": "text"},
              {"key": "photo", "label": "近照", "kind": "image"}):
        await custom_forms.add_question(SYSTEM, form_id, q)
    return event_id, ticket_id


@pytest.mark.req("OPS-02")
async def test_list_detail_and_signup_with_custom_form(client, db):
    event_id, ticket_id = await form_event()
    other_id, _ = await make_event("别的分类活动")
    category = await events.save_category(SYSTEM, "户外")
    await db.execute("UPDATE ops_event SET category = $2 WHERE id = $1", event_id, category)
    person = await make_user(db, "徒步者")
    assert (await client.get("/h5/events")).status_code == 303  # the guard: log in first
    await login(client, person.name, PASSWORD)

    listing = await client.get("/h5/events")
    assert listing.status_code == 200 and "校友徒步" in listing.text and "别的分类活动" in listing.text
    filtered = await client.get(f"/h5/events?category={category}")
    assert "校友徒步" in filtered.text and "别的分类活动" not in filtered.text
    assert "No upcoming events" in (await client.get("/h5/events?category=999999")).text

    detail = await client.get(f"/h5/events/{event_id}")
    assert detail.status_code == 200 and '<meta property="og:title" content="校友徒步">' in detail.text
    assert '<meta property="og:description" content="香山徒步，欢迎家属">' in detail.text
    assert "20 places left" in detail.text and f"/h5/events/{event_id}/signup?ticket={ticket_id}" in detail.text

    url = f"/h5/events/{event_id}/signup?ticket={ticket_id}"
    form = await client.get(url)
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    assert "data-show-if=" in form.text and "Only when “是否携带家属” is 是." in form.text  # condition shown, no JS
    assert "js/ops-forms.js" in form.text
    assert (await client.get(f"/h5/events/{event_id}/signup?ticket={ticket_id + 999}")).status_code == 404
    token = csrf_from(form.text)

    bad = await client.post(url, data={"_csrf_token": token, "q_family": "是", "q_note": "带两瓶水"})
    assert bad.status_code == 422
    assert "Please accept this to continue." in bad.text and "This field is required." in bad.text
    assert 'value="带两瓶水"' in bad.text and re.search(r'<option value="是" selected>', bad.text)
    assert await db.fetchval("SELECT count(*) FROM ops_registration WHERE event = $1", event_id) == 0

    done = await client.post(url, data={"_csrf_token": token, "q_agree": "on", "q_family": "是", "q_family_n": "2",
                                        "q_note": "带两瓶水"}, files={"q_photo": ("me.png", png(), "image/png")})
    assert done.status_code == 303, done.text[:2000]
    reg_id = int(done.headers["location"].rsplit("/", 1)[-1])
    reg = await db.fetchrow("SELECT status, response FROM ops_registration WHERE id = $1", reg_id)
    assert reg["status"] == "confirmed"
    answers = await custom_forms.response(reg["response"])
    assert answers["agree"] is True and answers["family_n"] == 2 and answers["photo"]["name"]
    ticket = await client.get(done.headers["location"])
    assert "You are registered" in ticket.text  # the flash
    again = await client.get(f"/h5/events/{event_id}")
    assert "My registrations" in again.text and "19 places left" in again.text
    limit = await client.post(url, data={"_csrf_token": token, "q_agree": "on", "q_family": "否"})
    assert limit.status_code == 422 and "the most one person may" in limit.text


@pytest.mark.req("OPS-02")
async def test_eticket_qr_only_when_confirmed_and_cancel_promotes(client, db):
    event_id, ticket_id = await make_event("小型沙龙", quota=1)
    first, second = await make_user(db, "甲"), await make_user(db, "乙")
    held = await registrations.signup(first, event_id, ticket_id, {})
    waiting = await registrations.signup(second, event_id, ticket_id, {})
    assert waiting.status == "waitlisted"

    await login(client, second.name, PASSWORD)
    mine = await client.get(f"/h5/tickets/{waiting.registration_id}")
    assert mine.status_code == 200 and waiting.code in mine.text and "On the waiting list" in mine.text
    assert "qr-svg" not in mine.text
    assert (await client.get(f"/h5/tickets/{held.registration_id}")).status_code == 404  # not theirs
    listing = await client.get("/h5/tickets")
    assert "小型沙龙" in listing.text and f"/h5/tickets/{waiting.registration_id}" in listing.text

    await login(client, first.name, PASSWORD)
    own = await client.get(f"/h5/tickets/{held.registration_id}")
    assert "qr-svg" in own.text and held.code in own.text and "Confirmed" in own.text
    assert f'hx-post="/h5/tickets/{held.registration_id}/cancel"' in own.text and "hx-confirm=" in own.text
    confirm = await client.get(f"/h5/tickets/{held.registration_id}/cancel")
    assert confirm.status_code == 200 and f'action="/h5/tickets/{held.registration_id}/cancel"' in confirm.text
    cancelled = await client.post(f"/h5/tickets/{held.registration_id}/cancel",
                                  data={"_csrf_token": csrf_from(confirm.text)})
    assert cancelled.status_code == 303
    after = await client.get(f"/h5/tickets/{held.registration_id}")
    assert "Registration cancelled." in after.text and "qr-svg" not in after.text

    await login(client, second.name, PASSWORD)
    promoted = await client.get(f"/h5/tickets/{waiting.registration_id}")
    assert "Confirmed" in promoted.text and "qr-svg" in promoted.text
