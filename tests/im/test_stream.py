"""The live stream (IM-03, IM-13): a page resuming from the cursor it last received gets everything after it
exactly once — a message whose transaction commits late included; live events arrive through the realtime hub
(PostgreSQL LISTEN/NOTIFY); another user's conversation never shows up in a stream."""
import asyncio
import contextlib

import pytest

from app.im import conversations, messages, stream
from tests.im.helpers import actor_of


async def _take(agen, n: int, timeout: float = 5) -> list:
    got = []
    while len(got) < n:
        item = await asyncio.wait_for(agen.__anext__(), timeout)
        if item is not None:
            got.append(item)
    return got


@pytest.mark.req("IM-03", "IM-13")
async def test_resume_from_last_event_id_nothing_missed_nothing_twice(db):
    me, other, stranger = await actor_of("alumnus"), await actor_of("hq"), await actor_of("cs_admin")
    chat = await conversations.direct(me, other.id)
    elsewhere = await conversations.direct(other, stranger.id)
    first = [await messages.send(other, chat, f"消息{i}") for i in range(3)]
    await messages.send(other, elsewhere, "与你无关")
    agen = stream.events(me.id, "0")
    try:
        got = await _take(agen, 3)
    finally:
        await agen.aclose()
    assert [m["id"] for _e, m, _c in got] == first
    cursor = got[-1][2]

    # while the page was offline, five more came and one was recalled
    later = [await messages.send(other, chat, f"离线{i}") for i in range(5)]
    await messages.recall(other, later[0])
    agen = stream.events(me.id, cursor)
    try:
        backlog = await _take(agen, 6)
        assert [m["id"] for e, m, _c in backlog if e["kind"] == "message"] == later
        assert [(e["kind"], m["id"]) for e, m, _c in backlog][-1] == ("recall", later[0])
        assert all(e["conversation"] == chat for e, _m, _c in backlog)

        # now live: a new message arrives over LISTEN/NOTIFY, once; other people's chats never
        live = await messages.send(other, chat, "实时")
        (_event, message, cursor), = await _take(agen, 1)
        assert message["id"] == live and message["body"] == "实时"
        await messages.send(other, elsewhere, "仍与你无关")
        with pytest.raises(TimeoutError):
            await _take(agen, 1, timeout=1.0)
    finally:
        await agen.aclose()
    agen = stream.events(me.id, cursor)  # reconnecting with nothing new: nothing comes again
    try:
        with pytest.raises(TimeoutError):
            await _take(agen, 1, timeout=1.0)
    finally:
        await agen.aclose()


@pytest.mark.req("IM-03")
async def test_a_late_committing_message_is_still_delivered_on_resume(db):
    """An event id is taken at insert: one that commits after a higher id was sent comes on the next resume."""
    me, other = await actor_of("alumnus"), await actor_of("hq")
    chat = await conversations.direct(me, other.id)
    await messages.send(other, chat, "一")
    held = await db.fetchval("SELECT nextval(pg_get_serial_sequence('im_event', 'id'))")  # a transaction's id
    await messages.send(other, chat, "二")
    agen = stream.events(me.id, "0")
    try:
        got = await _take(agen, 2)
    finally:
        await agen.aclose()
    assert got[-1][0]["id"] > held
    late = await messages.send(other, chat, "三")  # ... whose event row now commits with the held, lower id
    await db.execute("UPDATE im_event SET id = $1 WHERE message = $2", held, late)
    agen = stream.events(me.id, got[-1][2])
    try:
        (event, message, _cursor), = await _take(agen, 1)
        assert event["id"] == held and message["body"] == "三"
        with pytest.raises(TimeoutError):
            await _take(agen, 1, timeout=1.0)
    finally:
        await agen.aclose()


@pytest.mark.req("IM-02", "IM-13")
async def test_joining_a_group_while_connected_starts_its_events(db):
    owner, me = await actor_of("hq"), await actor_of("alumnus")
    agen = stream.events(me.id, await stream.page_cursor(me.id))
    try:
        waiting = asyncio.ensure_future(_take(agen, 1))
        await asyncio.sleep(0.3)
        group = await conversations.create_group(owner, "新群", [me.id])
        await messages.send(owner, group, "欢迎")
        (event, message, _cursor), = await asyncio.wait_for(waiting, 5)
        assert message["body"] == "欢迎" and event["conversation"] == group
    finally:
        await agen.aclose()


@pytest.mark.req("IM-05")
async def test_a_message_handed_to_the_receivers_stream_counts_as_delivered_not_read(db):
    me, other = await actor_of("alumnus"), await actor_of("hq")
    chat = await conversations.direct(me, other.id)
    agen = stream.events(me.id, await stream.page_cursor(me.id))
    try:
        waiting = asyncio.ensure_future(_take(agen, 1))
        await asyncio.sleep(0.3)
        sent = await messages.send(other, chat, "到了吗")
        await asyncio.wait_for(waiting, 5)
        waiting = asyncio.ensure_future(_take(agen, 1, timeout=10))
        await asyncio.sleep(stream.FLUSH_SECONDS + 1)  # the stream writes its delivered pointer in batches
        receipt = (await messages.receipts(chat, other.id, [sent]))[sent]
        assert receipt["delivered"] == 1 and receipt["read"] == 0
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
    finally:
        await agen.aclose()
