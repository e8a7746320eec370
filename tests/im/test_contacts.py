"""Contacts, friends, presence (IM-08): directory counts against a direct count, friend requests accepted and
declined, remarks beside the original name, the rate limit, the security code and its reset, someone else's
request id, removing a friend behind a confirm step."""
import re

import pytest

from app.core.forms import Conflict
from app.im import contacts, presence
from tests.helpers import csrf_from, post_form
from tests.im.helpers import actor_of


def _flat(nodes):
    for n in nodes:
        yield n
        yield from _flat(n["children"])


@pytest.mark.req("IM-08")
async def test_directory_counts_match_a_direct_count_with_two_online(as_user, db):
    presence.forget()
    hq, cs, liaison = await actor_of("hq"), await actor_of("cs_admin"), await actor_of("liaison")
    assert await presence.touch(hq.id) and await presence.touch(cs.id)
    assert not await presence.touch(hq.id)  # throttled: one write per 20 s per process
    await db.execute("INSERT INTO im_presence (\"user\", seen_at) VALUES ($1, now() - interval '5 minutes')",
                     liaison.id)  # seen, but not lately
    assert await presence.online([hq.id, cs.id, liaison.id]) == {hq.id, cs.id}
    assert await presence.online_count([hq.id, cs.id, liaison.id]) == 2

    nodes = list(_flat(await contacts.directory()))
    assert nodes
    for n in nodes:
        members, online = (await db.fetchrow(
            "SELECT count(*) AS members, count(*) FILTER (WHERE u.id = ANY($2::bigint[])) AS online FROM app_user u"
            " JOIN org_node o ON o.id = u.org JOIN org_node n ON n.id = $1 WHERE u.is_active AND o.enabled"
            " AND o.path LIKE n.path || '%'", n["id"], [hq.id, cs.id])).values()
        assert (n["members"], n["online"]) == (members, online), n["name"]
    root = next(n for n in nodes if n["parent"] is None and n["online"])
    assert root["online"] == 2 and root["members"] > 2
    cs_node = await db.fetchval('SELECT org FROM app_user WHERE id = $1', cs.id)
    assert next(n for n in nodes if n["id"] == cs_node)["online"] >= 1

    client = await as_user("alumnus")
    page = await client.get("/h5/im/contacts")
    assert page.status_code == 200 and f'id="node-{root["id"]}"' in page.text
    assert f"2 online / {root['members']} members" in page.text
    people = await client.get(f"/h5/im/contacts/org/{cs_node}")
    assert people.status_code == 200 and f'id="person-{cs.id}"' in people.text and "● Online" in people.text
    assert 'action="/h5/im/direct"' in people.text and 'value="cs_admin"' in people.text
    found = await client.get("/h5/im/contacts", params={"q": "王总"})
    assert f'id="person-{hq.id}"' in found.text and f'id="person-{cs.id}"' not in found.text
    assert (await client.get("/h5/im/contacts/org/999999")).status_code == 404
    assert 'href="/h5/im/contacts"' in (await client.get("/h5/im")).text


@pytest.mark.req("IM-08")
async def test_request_accept_remark_and_remove(as_user, db):
    alumnus, hq = await actor_of("alumnus"), await actor_of("hq")
    client = await as_user("alumnus")
    card = await client.get(f"/h5/im/people/{hq.id}")
    assert card.status_code == 200 and "王总会" in card.text
    phone = await db.fetchval("SELECT phone FROM app_user WHERE id = $1", hq.id)
    assert phone and phone not in card.text and "hq@tongchuang.local" not in card.text  # no phone, no e-mail
    sent = await client.post(f"/h5/im/people/{hq.id}/request",
                             data={"_csrf_token": csrf_from(card.text), "message": "我是张同学"})
    assert sent.status_code == 303
    assert 'id="im-request-sent"' in (await client.get(f"/h5/im/people/{hq.id}")).text
    again = await post_form(client, f"/h5/im/people/{hq.id}", f"/h5/im/people/{hq.id}/request", {})
    assert again.status_code == 422  # one pending request per direction
    assert await db.fetchval("SELECT count(*) FROM im_friend_request") == 1

    client = await as_user("hq")
    inbox = await client.get("/h5/im/friends/requests")
    request_id = await db.fetchval("SELECT id FROM im_friend_request WHERE sender = $1", alumnus.id)
    assert f'id="request-{request_id}"' in inbox.text and "张同学" in inbox.text and "我是张同学" in inbox.text
    detail = await client.get(f"/h5/im/friends/requests/{request_id}")
    assert detail.status_code == 200 and "张同学" in detail.text and "alumnus@alumni.example.cn" not in detail.text
    accepted = await client.post(f"/h5/im/friends/requests/{request_id}/accept",
                                 data={"_csrf_token": csrf_from(detail.text)})
    assert accepted.status_code == 303
    rows = await db.fetch('SELECT "user", friend FROM im_friend ORDER BY "user"')
    assert {(r["user"], r["friend"]) for r in rows} == {(alumnus.id, hq.id), (hq.id, alumnus.id)}
    assert await db.fetchval("SELECT status FROM im_friend_request WHERE id = $1", request_id) == "accepted"

    listing = await client.get("/h5/im/friends")
    saved = await client.post(f"/h5/im/friends/{alumnus.id}/remark",
                              data={"_csrf_token": csrf_from(listing.text), "remark": "老张"})
    assert saved.status_code == 303
    listing = await client.get("/h5/im/friends")
    item = listing.text.split(f'id="friend-{alumnus.id}"')[1].split("</li>")[0]
    assert "老张" in item and "(张同学)" in item  # the remark, and the original name beside it
    assert 'id="im-original-name"' in (await client.get(f"/h5/im/people/{alumnus.id}")).text
    too_long = await client.post(f"/h5/im/friends/{alumnus.id}/remark",
                                 data={"_csrf_token": csrf_from(listing.text), "remark": "长" * 33})
    assert too_long.status_code == 422
    audited = {r["action"] for r in await db.fetch(
        "SELECT action FROM audit_log WHERE entity IN ('im_friend_request', 'im_friend')")}
    assert {"create", "accept", "remark"} <= audited

    confirm = await client.get(f"/h5/im/friends/{alumnus.id}/remove")
    assert confirm.status_code == 200 and "老张" in confirm.text
    gone = await client.post(f"/h5/im/friends/{alumnus.id}/remove", data={"_csrf_token": csrf_from(confirm.text)})
    assert gone.status_code == 303
    assert await db.fetchval("SELECT count(*) FROM im_friend") == 0
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'im_friend' AND action = 'delete'") == 1
    assert (await client.get(f"/h5/im/friends/{alumnus.id}/remove")).status_code == 404


@pytest.mark.req("IM-08")
async def test_decline_makes_no_friends(db):
    alumnus, liaison = await actor_of("alumnus"), await actor_of("liaison")
    request_id = await contacts.send_request(alumnus, liaison.id, "hi")
    await contacts.answer(liaison, request_id, False)
    assert await db.fetchval("SELECT status FROM im_friend_request WHERE id = $1", request_id) == "declined"
    assert await db.fetchval("SELECT count(*) FROM im_friend") == 0
    with pytest.raises(Conflict):
        await contacts.answer(liaison, request_id, True)  # answered already
    assert (await contacts.profile(alumnus.id, liaison.id))["relation"] == "none"
    assert await contacts.send_request(alumnus, liaison.id)  # may ask again later


@pytest.mark.req("IM-08")
async def test_friend_requests_are_rate_limited(as_user, db, monkeypatch):
    monkeypatch.setattr(contacts, "REQUEST_LIMIT", (2, 3600))
    alumnus = await actor_of("alumnus")
    await contacts.send_request(alumnus, (await actor_of("hq")).id)
    await contacts.send_request(alumnus, (await actor_of("cs_admin")).id)
    em = await actor_of("em_admin")
    client = await as_user("alumnus")
    refused = await post_form(client, f"/h5/im/people/{em.id}", f"/h5/im/people/{em.id}/request", {"message": "x"})
    assert refused.status_code == 429 and "Too many friend requests" in refused.text
    assert await db.fetchval("SELECT count(*) FROM im_friend_request WHERE receiver = $1", em.id) == 0
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'im_friend_request'"
                             " AND action = 'refused'") == 1


@pytest.mark.req("IM-08")
async def test_security_code_opens_the_card_and_a_reset_refuses_the_old_one(as_user, db):
    alumnus = await actor_of("alumnus")
    client = await as_user("alumnus")
    page = await client.get("/h5/im/my-code")
    assert page.status_code == 200 and "<svg" in page.text
    old = re.search(r'id="im-code-link" readonly value="[^"]*(/h5/im/add/[^"]+)"', page.text).group(1)
    reset = await client.post("/h5/im/my-code/reset", data={"_csrf_token": csrf_from(page.text)})
    assert reset.status_code == 303
    new = re.search(r'value="[^"]*(/h5/im/add/[^"]+)"', (await client.get("/h5/im/my-code")).text).group(1)
    assert new != old

    client = await as_user("hq")
    opened = await client.get(new)
    assert opened.status_code == 200 and "张同学" in opened.text and 'id="im-request-form"' in opened.text
    assert f'action="/h5/im/people/{alumnus.id}/request"' in opened.text
    refused = await client.get(old)
    assert refused.status_code == 404 and "This code is not valid" in refused.text
    forged = await client.get("/h5/im/add/" + new.rsplit("/", 1)[1][:-3] + "abc")
    assert forged.status_code == 404
    assert await contacts.code_owner(new.rsplit("/", 1)[1]) == alumnus.id
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'im_friend_code'") == 1


@pytest.mark.req("IM-08")
async def test_someone_elses_request_id_is_not_found(as_user, db):
    alumnus, hq = await actor_of("alumnus"), await actor_of("hq")
    request_id = await contacts.send_request(alumnus, hq.id)
    client = await as_user("cs_admin")
    page = await client.get("/h5/im/friends")
    assert (await client.get(f"/h5/im/friends/requests/{request_id}")).status_code == 404
    for action in ("accept", "decline"):
        response = await client.post(f"/h5/im/friends/requests/{request_id}/{action}",
                                     data={"_csrf_token": csrf_from(page.text)})
        assert response.status_code == 404
    assert await db.fetchval("SELECT status FROM im_friend_request WHERE id = $1", request_id) == "pending"
    assert await db.fetchval("SELECT count(*) FROM im_friend") == 0
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'im_friend_request'"
                             " AND action = 'refused'") == 3
    assert (await client.get("/h5/im/people/99999999")).status_code == 404


@pytest.mark.req("IM-08")
async def test_an_open_stream_and_its_pings_mark_the_user_online(db, monkeypatch):
    from types import SimpleNamespace

    from app.im.routes.h5 import stream as stream_route

    presence.forget()
    hq = await actor_of("hq")

    async def events(user, cursor):  # the stream's keep-alive: one ping, then the client goes away
        yield None

    monkeypatch.setattr(stream_route.stream, "events", events)
    touched = []
    real_touch = presence.touch

    async def spy(user_id):
        touched.append(user_id)
        return await real_touch(user_id)

    monkeypatch.setattr(stream_route.presence, "touch", spy)
    request = SimpleNamespace(user=SimpleNamespace(id=hq.id), query_params={}, headers={})
    response = await stream_route.live.fn(request=request)
    assert [chunk async for chunk in response.iterator]
    assert touched == [hq.id, hq.id]  # on open and on the ping (the second one throttled)
    assert await presence.online([hq.id]) == {hq.id}
