"""The live stream of one open page (IM-03, IM-13): events of the user's conversations, resumed from the last
event id the page saw (SSE Last-Event-ID) with nothing missed and nothing twice.

Per process, one realtime listener on channel "im" routes each notification by conversation to the local
streams of that conversation's members (`_by_conversation`), so a message into a 1,000-member group is one
notification and one database read per process, however many of its members are connected here. A stream
subscribes first, then reads the backlog from `im_event`, then serves live events it has not yet sent.
A stream that falls behind (its queue full) or a lost LISTEN connection turns into a resync from the log."""
from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from app.core import db, realtime
from app.im import conversations, messages
from app.im.conversations import CHANNEL

QUEUE_SIZE = 500
BACKLOG_LIMIT = 1000
PING_SECONDS = 25
FLUSH_SECONDS = 2  # how often a stream writes its "delivered" pointers
RESYNC = -1
LOOKBACK_SECONDS = 10
SEEN_SIZE = 5000
RECENT_MAX = 200  # ids in a cursor; past that a resume may repeat a few (the page drops them)


@dataclass(eq=False)
class Stream:
    user: int
    conversations: set[int]
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))

    def push(self, item) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:  # too slow a reader: drop the queue, read from the log instead
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(RESYNC)


_by_conversation: dict[int, set[Stream]] = {}
_by_user: dict[int, set[Stream]] = {}
_listening_on: realtime.Hub | None = None  # a hub belongs to one event loop: a new one (tests) is listened to again
# event id → (event row, message row): one read per process for everyone here who receives it
_cache: OrderedDict[tuple[int, str], tuple[dict, dict | None]] = OrderedDict()
_loading: dict[tuple[int, str], asyncio.Future] = {}
CACHE_SIZE = 2000


def _attach(stream: Stream, conversation: int) -> None:
    stream.conversations.add(conversation)
    _by_conversation.setdefault(conversation, set()).add(stream)


def _dispatch(_channel: str, payload: str) -> None:
    if not payload:  # the LISTEN connection was lost: every stream resyncs from the log
        for streams in list(_by_user.values()):
            for stream in streams:
                stream.push(RESYNC)
        return
    data = json.loads(payload)
    if data.get("k") == "join":
        for user in data.get("u", ()):
            for stream in _by_user.get(user, ()):
                _attach(stream, data["c"])
                stream.push(RESYNC)  # the events before the join notice arrived are in the log
        return
    item = (data["e"], str(data.get("t", "")))
    for stream in _by_conversation.get(data["c"], ()):
        stream.push(item)


async def _ensure_listening() -> None:
    global _listening_on
    hub = realtime.hub()
    if _listening_on is not hub:
        _listening_on = hub
        _cache.clear()
        _loading.clear()
        await hub.listen(CHANNEL, _dispatch)


async def _read(event_ids: list[int]) -> dict[int, tuple[dict, dict | None]]:
    rows = await db.fetch("SELECT id, conversation, kind, message FROM im_event WHERE id = ANY($1::bigint[])",
                          event_ids)
    found = await messages.by_ids([r["message"] for r in rows])
    return {r["id"]: (r, found.get(r["message"])) for r in rows}


async def _load_one(event_id: int, token: str) -> tuple[dict, dict | None] | None:
    """A live event, read once per process for all its local streams. The key carries the publish's token, so
    a database restored to an earlier state (tests) never serves an old event under a reused id."""
    key = (event_id, token)
    if key in _cache:
        return _cache[key]
    pending = _loading.get(key)
    if pending is None:
        pending = asyncio.get_running_loop().create_future()
        _loading[key] = pending
        try:
            item = (await _read([event_id])).get(event_id)
            if item is not None:
                _cache[key] = item
                while len(_cache) > CACHE_SIZE:
                    _cache.popitem(last=False)
            pending.set_result(item)
        except Exception as exc:
            pending.set_exception(exc)
        finally:
            _loading.pop(key, None)
    return await pending


def parse_cursor(text: str | None) -> tuple[int, set[int]]:
    """"<last id>" or "<last id>~<id>,<id>…" (the ids sent in the last LOOKBACK seconds) → (last id, those ids)."""
    head, _, recent = (text or "").partition("~")
    try:
        after = max(0, int(head or 0))
        have = {int(x) for x in recent.split(",") if x}
    except ValueError:
        return 0, set()
    return after, set(list(have)[:RECENT_MAX])


async def _backlog(user: int, after: int, have: set[int]) -> list[int]:
    # Event ids are taken at insert, not at commit: a transaction that began before `after`'s may commit after it.
    # So a resume also reads the last LOOKBACK seconds below `after`, minus the ids the page says it has.
    rows = await db.fetch(
        "SELECT e.id FROM im_member m JOIN im_event e ON e.conversation = m.conversation"
        " AND (e.id > $2 OR (e.id > $2 - 100000 AND e.created_at > now() - make_interval(secs => $4)"
        "      AND NOT e.id = ANY($5::bigint[])))"
        ' WHERE m."user" = $1 AND m.left_at IS NULL ORDER BY e.id LIMIT $3', user, after, BACKLOG_LIMIT,
        LOOKBACK_SECONDS if after else 0, list(have))
    return [r["id"] for r in rows]


async def last_event_id(user: int) -> int:
    return await db.fetchval(
        "SELECT coalesce(max(e.id), 0) FROM im_member m JOIN im_event e ON e.conversation = m.conversation"
        ' WHERE m."user" = $1 AND m.left_at IS NULL', user) or 0


async def page_cursor(user: int) -> str:
    """The cursor of a page rendered now: the newest event id and those of the last LOOKBACK seconds (the page
    shows them already)."""
    rows = await db.fetch(
        "SELECT e.id FROM im_member m JOIN im_event e ON e.conversation = m.conversation"
        " AND e.created_at > now() - make_interval(secs => $2)"
        ' WHERE m."user" = $1 AND m.left_at IS NULL ORDER BY e.id DESC LIMIT $3', user, LOOKBACK_SECONDS, RECENT_MAX)
    last = await last_event_id(user)
    recent = [r["id"] for r in rows if r["id"] <= last][::-1]
    return f"{last}~{','.join(map(str, recent))}" if recent else str(last)


class _Seen:
    """What one stream has sent: every id (the newest SEEN_SIZE), and those of the last LOOKBACK seconds that go
    into its cursor so a resume neither misses a late commit nor repeats what the page has."""

    def __init__(self, after: int, have: set[int]) -> None:
        self.ids: set[int] = set(have)
        self.order: deque[int] = deque(sorted(have))
        self.recent: deque[tuple[float, int]] = deque((time.monotonic(), i) for i in sorted(have))
        self.last = after

    def add(self, event_id: int) -> bool:
        if event_id in self.ids:
            return False
        self.ids.add(event_id)
        self.order.append(event_id)
        if len(self.order) > SEEN_SIZE:
            self.ids.discard(self.order.popleft())
        now = time.monotonic()
        self.recent.append((now, event_id))
        while self.recent and (self.recent[0][0] < now - LOOKBACK_SECONDS or len(self.recent) > RECENT_MAX):
            self.recent.popleft()
        self.last = max(self.last, event_id)
        return True

    def cursor(self) -> str:
        recent = ",".join(str(i) for _t, i in self.recent)
        return f"{self.last}~{recent}" if recent else str(self.last)


class _Delivered:
    """The newest message per conversation this stream handed to its page, written to the member's
    `delivered_upto` at most every FLUSH_SECONDS in one statement (receipts: "delivered", IM-05)."""

    def __init__(self, user: int) -> None:
        self.user, self.upto, self.flushed = user, {}, time.monotonic()

    def note(self, event: dict, message: dict | None) -> None:
        if message is not None and event["kind"] == "message" and message["sender"] != self.user:
            self.upto[event["conversation"]] = max(self.upto.get(event["conversation"], 0), message["id"])

    def due(self) -> float | None:
        """Seconds until the next write, or None when nothing waits."""
        return max(0.0, FLUSH_SECONDS - (time.monotonic() - self.flushed)) if self.upto else None

    async def flush(self) -> None:
        if self.upto:
            pairs, self.upto = self.upto, {}
            await messages.mark_delivered_many(self.user, list(pairs), list(pairs.values()))
        self.flushed = time.monotonic()


async def events(user: int, cursor: str | None) -> AsyncIterator[tuple[dict, dict | None, str] | None]:
    """(event, message, cursor) after the `cursor` a page last received (see parse_cursor), then live ones;
    None now and then (a keep-alive). Give the cursor back on a reconnect."""
    await _ensure_listening()
    after, have = parse_cursor(cursor)
    stream = Stream(user, set())
    _by_user.setdefault(user, set()).add(stream)
    for conversation in await conversations.conversation_ids(user):
        _attach(stream, conversation)
    seen, delivered, pinged = _Seen(after, have), _Delivered(user), time.monotonic()
    try:
        pending: list[int] = await _backlog(user, after, have)
        while True:
            while pending:
                chunk, pending = pending[:200], pending[200:]
                batch = await _read(chunk)
                for event_id in chunk:
                    if event_id in batch and seen.add(event_id):
                        delivered.note(*batch[event_id])
                        yield (*batch[event_id], seen.cursor())
                if not pending and len(chunk) == 200:
                    pending = await _backlog(user, seen.last, seen.ids)  # a long backlog: read on
            due = delivered.due()
            wait = PING_SECONDS - (time.monotonic() - pinged)
            try:
                got = await asyncio.wait_for(stream.queue.get(), max(0.05, min(wait, due) if due is not None
                                                                        else wait))
            except TimeoutError:
                if delivered.due() == 0:
                    await delivered.flush()
                if time.monotonic() - pinged >= PING_SECONDS:
                    pinged = time.monotonic()
                    yield None
                continue
            if got == RESYNC:
                pending = await _backlog(user, seen.last, {i for _t, i in seen.recent})
                continue
            event_id, token = got
            if event_id in seen.ids:
                continue
            item = await _load_one(event_id, token)
            if item is not None and seen.add(event_id):
                delivered.note(*item)
                yield (*item, seen.cursor())
    finally:
        with contextlib.suppress(Exception):  # what was handed over before the page went away
            await delivered.flush()
        _by_user.get(user, set()).discard(stream)
        for conversation in stream.conversations:
            with contextlib.suppress(KeyError):
                _by_conversation[conversation].discard(stream)
                if not _by_conversation[conversation]:
                    del _by_conversation[conversation]


def connected() -> int:
    return sum(len(s) for s in _by_user.values())
