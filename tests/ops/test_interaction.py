"""An event's interaction (OPS-02): the wall on the content platform (attendees only, pre-moderated unless the
organisers switch it off, replies), tipping through points (once per form, never one's own post, tips off refused),
the album (attendees' photos wait for approval) and the big screen (signed link, SSE updates after a check-in,
meta refresh without JS)."""
import io

import pytest

from app.content import api as content
from app.core.audit import SYSTEM
from app.core.forms import Conflict, Invalid
from app.ops import checkin, interaction, registrations
from app.points import api as points
from tests.helpers import csrf_from, login
from tests.ops.factories import PASSWORD, make_event, make_user


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (60, 40), (20, 120, 200)).save(out, "PNG")
    return out.getvalue()


async def _attendee(db, event_id: int, ticket_id: int, name: str):
    person = await make_user(db, name)
    done = await registrations.signup(person, event_id, ticket_id, {})
    return person, done


@pytest.mark.req("OPS-02")
async def test_wall_is_for_attendees_and_moderated(db):
    event_id, ticket_id = await make_event("校友论坛")
    guest, _done = await _attendee(db, event_id, ticket_id, "嘉宾")
    stranger = await make_user(db, "路人")
    with pytest.raises(content.NotAllowed):
        await interaction.post_to_wall(stranger, event_id, "我也来说两句")
    with pytest.raises(Invalid):
        await interaction.post_to_wall(guest, event_id, "   ")
    assert await interaction.post_to_wall(guest, event_id, "母校越来越好！") == "pending"
    assert (await interaction.wall(stranger, event_id)).items == []  # not shown before approval
    post_id = (await interaction.wall(guest, event_id)).items[0]["id"]  # the author sees it, marked pending
    await content.approve(SYSTEM, "post", post_id)
    shown = (await interaction.wall(stranger, event_id)).items
    assert [p["body"] for p in shown] == ["母校越来越好！"]

    await interaction.set_interaction(SYSTEM, event_id, wall=True, tips=False, moderated=False)
    assert await interaction.post_to_wall(guest, event_id, "现场太热闹了", parent_id=None) == "published"
    assert await interaction.post_to_wall(guest, event_id, "同感", parent_id=post_id) == "published"
    first = next(p for p in (await interaction.wall(stranger, event_id)).items if p["id"] == post_id)
    assert [r["body"] for r in first["replies"]] == ["同感"]

    await interaction.set_interaction(SYSTEM, event_id, wall=False, tips=False, moderated=False)
    with pytest.raises(content.NotAllowed):
        await interaction.post_to_wall(guest, event_id, "墙关了")


@pytest.mark.req("OPS-02")
async def test_tipping_moves_points_once(db):
    event_id, ticket_id = await make_event("校友音乐节")
    author, _a = await _attendee(db, event_id, ticket_id, "歌手")
    fan, _f = await _attendee(db, event_id, ticket_id, "歌迷")
    await interaction.set_interaction(SYSTEM, event_id, wall=True, tips=False, moderated=False)
    await interaction.post_to_wall(author, event_id, "下一首献给母校")
    post_id = (await interaction.wall(fan, event_id)).items[0]["id"]
    await points.grant(fan.id, 30, key=f"test.grant:{fan.id}", reason="测试")
    with pytest.raises(Conflict):
        await interaction.tip(fan, event_id, post_id, 5, interaction.tip_nonce())  # tips are off
    await interaction.set_interaction(SYSTEM, event_id, wall=True, tips=True, moderated=False)
    nonce = interaction.tip_nonce()
    assert await interaction.tip(fan, event_id, post_id, 5, nonce) is True
    assert await interaction.tip(fan, event_id, post_id, 5, nonce) is False  # the same form again
    assert await points.balance(fan.id) == 25 and await points.balance(author.id) == 5
    with pytest.raises(Invalid):
        await interaction.tip(fan, event_id, post_id, 7, interaction.tip_nonce())
    with pytest.raises(Conflict):
        await interaction.tip(author, event_id, post_id, 1, interaction.tip_nonce())  # one's own post
    with pytest.raises(points.InsufficientPoints):
        await interaction.tip(fan, event_id, post_id, 50, interaction.tip_nonce())
    assert await points.balance(fan.id) == 25
    assert (await interaction.wall(fan, event_id)).items[0]["tips"] == 5
    assert await db.fetchval("SELECT count(*) FROM ops_tip WHERE event = $1", event_id) == 1


@pytest.mark.req("OPS-02")
async def test_album_photos_wait_for_the_organisers(db):
    event_id, ticket_id = await make_event("校友摄影展")
    guest, _g = await _attendee(db, event_id, ticket_id, "摄影师")
    with pytest.raises(Conflict):
        await interaction.add_album_photo(guest, event_id, "a.png", png())
    await interaction.album_id(SYSTEM, event_id, create=True)
    assert await interaction.add_album_photo(guest, event_id, "a.png", png(), "合影") is False
    with pytest.raises(Invalid):
        await interaction.add_album_photo(guest, event_id, "fake.png", b"<svg onload=alert(1)>")
    stranger = await make_user(db, "路人")
    _album, page = await interaction.album(stranger, event_id)
    assert page.items == []
    _album, mine = await interaction.album(guest, event_id)
    assert [p["status"] for p in mine.items] == ["pending"]


@pytest.mark.req("OPS-02")
async def test_big_screen_link_and_updates(client, db):
    event_id, ticket_id = await make_event("校友大会")
    guest, done = await _attendee(db, event_id, ticket_id, "代表")
    token = interaction.screen_token(event_id)
    assert (await client.get(f"/screen/events/{event_id}?t=forged")).status_code == 404
    assert (await client.get(f"/screen/events/{event_id + 1}?t={token}")).status_code == 404  # another event's link
    page = await client.get(f"/screen/events/{event_id}?t={token}")
    assert page.status_code == 200 and '<meta http-equiv="refresh" content="15">' in page.text
    assert 'id="scr-arrived">0<' in page.text and "js/ops-screen.js" in page.text

    updates = interaction.screen_updates(event_id, interval=0.05, lifetime=5)
    first = await anext(updates)
    assert first["arrived"] == 0 and first["expected"] == 1
    await checkin.check_in(SYSTEM, event_id, done.code)
    second = await anext(updates)
    assert second["arrived"] == 1 and second["version"] != first["version"]
    await updates.aclose()


@pytest.mark.req("OPS-02")
async def test_wall_pages_on_the_phone(client, db):
    event_id, ticket_id = await make_event("校友茶话会")
    guest, _g = await _attendee(db, event_id, ticket_id, "茶友")
    await interaction.set_interaction(SYSTEM, event_id, wall=True, tips=True, moderated=True)
    await login(client, guest.name, PASSWORD)
    page = await client.get(f"/h5/events/{event_id}/wall")
    assert page.status_code == 200 and 'id="wall-write"' in page.text
    token = csrf_from(page.text)
    empty = await client.post(f"/h5/events/{event_id}/wall", data={"_csrf_token": token, "body": ""})
    assert empty.status_code == 422 and "This field is required." in empty.text
    done = await client.post(f"/h5/events/{event_id}/wall", data={"_csrf_token": token, "body": "好茶！"})
    assert done.status_code == 303
    after = await client.get(f"/h5/events/{event_id}/wall")
    assert "好茶！" in after.text and "Waiting for approval" in after.text and "approved it" in after.text
    album = await client.get(f"/h5/events/{event_id}/album")
    assert album.status_code == 200 and "have not opened the album yet" in album.text
