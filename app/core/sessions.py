"""Sessions as signed cookies, verified in memory (no database round trip per request).

The cookie carries [session id, user id, session version, issue time], signed with itsdangerous; the
signature's own timestamp is the last activity (re-signed every few minutes: the idle timeout slides).
Each web process caches per user: the CurrentUser (permissions, data scope), the session version, the
live session ids, and the shell data (menu, todo and inbox counts). A write that changes any of it
sends NOTIFY on CHANNEL inside its transaction; every process drops what it holds when the
notification arrives (after commit), and each entry expires after STATE_TTL seconds anyway, for a
notification missed while the listener reconnects.

Revocation: logout deletes the session row (the user's live set changes); password change, account
lockout and "log out everywhere" also bump `app_user.session_version`, so every cookie issued before
is refused. Role, data-scope and profile changes drop the cached user: the next request reloads it.
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature

from app.config import get_settings
from app.core import db
from app.core.permissions import CurrentUser, Scope
from app.core.security import new_token, serializer, token_hash

log = logging.getLogger(__name__)
CHANNEL = "tc_session"
STATE_TTL = float(os.environ.get("TC_SESSION_TTL", "30"))
SHELL_ENTRIES = 64  # per user
VERIFIED_ENTRIES = 20_000  # verified cookie texts remembered per process (10,000 online users, re-signs)
REFRESH_AFTER = 300  # seconds between re-signing a cookie (sliding idle timeout)

_USER_SQL = """
SELECT u.id, u.username, u.name, u.org, u.kind, u.is_superuser, u.lang, u.is_active, u.session_version,
       o.name AS org_name, o.path AS org_path,
       COALESCE((SELECT array_agg(DISTINCT p) FROM user_role ur JOIN role r ON r.id = ur.role,
                 unnest(r.permissions) p WHERE ur."user" = u.id), '{}') AS perms,
       COALESCE((SELECT json_agg(json_build_object('scope', r.data_scope, 'org', r.scope_org, 'path', so.path,
                 'name', r.name))
                 FROM user_role ur JOIN role r ON r.id = ur.role LEFT JOIN org_node so ON so.id = r.scope_org
                 WHERE ur."user" = u.id), '[]') AS roles,
       ARRAY(SELECT s.id FROM web_session s WHERE s."user" = u.id AND s.expires_at > now()) AS live
FROM app_user u LEFT JOIN org_node o ON o.id = u.org
WHERE u.id = $1
"""


@dataclass
class UserState:
    user: CurrentUser | None  # None: no such user, or disabled
    version: int
    live: frozenset[int]
    expires: float
    shell: dict = field(default_factory=dict)  # per-user shell data, see `shell_value`
    by_session: dict[int, CurrentUser] = field(default_factory=dict)
    dead: set[int] = field(default_factory=set)  # refused session ids, not reloaded for again


_states: dict[int, UserState] = {}
_loading: dict[int, asyncio.Future] = {}
_verified: dict[str, tuple[int, int, int, int, float]] = {}  # cookie text -> decoded, see `decode`
_generation = 0  # moves on with every "user changed": a load that overlapped one is not kept


def encode(session_id: int, user_id: int, version: int, issued: int) -> str:
    return serializer("session").dumps([session_id, user_id, version, issued])


def decode(cookie: str, idle_seconds: int) -> tuple[int, int, int, int, float] | None:
    """(session id, user id, version, issued, signed at) of a genuine cookie within the idle timeout.

    A cookie verified once is remembered by its exact text (signature included), so the HMAC runs once
    per cookie and process, not per request: a forged cookie never enters the memo, and the idle
    timeout is still checked against the signed time on every hit."""
    hit = _verified.get(cookie)
    if hit is None:
        try:
            payload, signed = serializer("session").loads(cookie, max_age=idle_seconds, return_timestamp=True)
            hit = (*(int(v) for v in payload), signed.timestamp())
            if len(hit) != 5:
                return None
        except (BadSignature, TypeError, ValueError):
            return None
        if len(_verified) >= VERIFIED_ENTRIES:
            del _verified[next(iter(_verified))]  # oldest first
        _verified[cookie] = hit
    elif time.time() - hit[4] > idle_seconds:
        del _verified[cookie]
        return None
    return hit  # type: ignore[return-value]


async def idle_seconds() -> int:
    from app.core import settings_store

    return int(await settings_store.get("login.idle_minutes")) * 60


def absolute_seconds() -> int:
    return get_settings().session_days * 86400


# --- the cached per-user state ---------------------------------------------------------------------

def _user_from_row(row: dict) -> CurrentUser:
    roles = json.loads(row["roles"]) if isinstance(row["roles"], str) else row["roles"]
    scope = Scope.from_roles(roles, row["id"], row["org"], row["org_path"], row["is_superuser"])
    return CurrentUser(id=row["id"], username=row["username"], name=row["name"], org_id=row["org"],
                       org_name=row["org_name"] or "", org_path=row["org_path"], kind=row["kind"],
                       is_superuser=row["is_superuser"], perms=frozenset(row["perms"]), scope=scope,
                       lang=row["lang"] or "", role_names=[r["name"] for r in roles])


async def _load(user_id: int) -> UserState:
    # read outside any transaction of the caller: the state is shared with every other request
    row = await db.detached(db.fetchrow(_USER_SQL, user_id))
    if row is None:
        return UserState(None, -1, frozenset(), time.monotonic() + STATE_TTL)
    user = _user_from_row(row) if row["is_active"] else None
    return UserState(user, row["session_version"], frozenset(row["live"]), time.monotonic() + STATE_TTL)


async def state(user_id: int, *, fresh: bool = False) -> UserState:
    """The user's cached state; concurrent requests of one user share one load."""
    current = _states.get(user_id)
    if not fresh and current is not None and current.expires > time.monotonic():
        return current
    if (pending := _loading.get(user_id)) is not None:
        return await asyncio.shield(pending)
    future = asyncio.get_running_loop().create_future()
    _loading[user_id] = future
    generation = _generation
    try:
        loaded = await _load(user_id)
    except BaseException as exc:
        future.set_exception(exc)
        future.exception()
        raise
    finally:
        _loading.pop(user_id, None)
    if generation == _generation:
        _states[user_id] = loaded
    future.set_result(loaded)
    return loaded


async def user_for(sid: int, uid: int, version: int) -> CurrentUser | None:
    """The user of a genuine cookie, or None when the session was revoked or the user disabled."""
    st = await state(uid)
    if st.version < version or (sid not in st.live and sid not in st.dead):
        # a session or version newer than what we hold (made by another process): reload once
        st = await state(uid, fresh=True)
        if sid not in st.live:
            st.dead.add(sid)
    if st.user is None or st.version != version or sid not in st.live:
        return None
    user = st.by_session.get(sid)
    if user is None:
        user = st.by_session[sid] = dataclasses.replace(st.user, session_id=sid)
    return user


async def shell_value(user_id: int, key: Any, compute: Callable[[], Awaitable[Any]]) -> Any:
    """Per-user shell data (menu, counts), computed once per user until a write drops it."""
    st = _states.get(user_id)
    if st is None or st.expires <= time.monotonic():
        return await compute()
    if key in st.shell:
        return st.shell[key]
    value = await compute()
    if len(st.shell) < SHELL_ENTRIES:  # menus per page: detail pages are many, keep the list pages
        st.shell[key] = value
    return value


def shell_forget(user_id: int, key: Any) -> None:
    """Drops one cached shell value of one user in this process (it was found out of date)."""
    st = _states.get(user_id)
    if st is not None:
        st.shell.pop(key, None)


# --- invalidation ----------------------------------------------------------------------------------

def _ids_payload(kind: str, user_ids: Iterable[int] | None) -> list[str]:
    if user_ids is None:
        return [f"{kind}:*"]
    ids = sorted(set(user_ids))
    # NOTIFY payloads must stay under 8000 bytes
    return [f"{kind}:" + ",".join(map(str, ids[i:i + 800])) for i in range(0, len(ids), 800)] if ids else []


def _apply(payload: str) -> None:
    global _generation
    kind, _, ids = payload.partition(":")
    if kind == "u":
        _generation += 1
    targets = list(_states) if ids == "*" else [int(i) for i in ids.split(",") if i.isdigit()]
    for uid in targets:
        if kind == "u":
            _states.pop(uid, None)
        elif kind == "s" and uid in _states:
            _states[uid].shell.clear()


async def _announce(kind: str, user_ids: Iterable[int] | None) -> None:
    for payload in _ids_payload(kind, user_ids):
        _apply(payload)  # this process at once; the others (and this one again) after commit
        await db.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)


async def user_changed(user_ids: Iterable[int] | None = None) -> None:
    """Permissions, data scope, profile or sessions of these users (None: everyone) changed."""
    await _announce("u", user_ids)


async def shell_changed(user_ids: Iterable[int] | None = None) -> None:
    """Menu, todo or inbox counts of these users (None: everyone) changed."""
    await _announce("s", user_ids)


def clear() -> None:
    global _generation
    _generation += 1
    _states.clear()
    _verified.clear()


# --- session lifecycle -----------------------------------------------------------------------------

async def create(user_id: int, ip: str, ua: str) -> str:
    """A new session row and its signed cookie value."""
    issued = datetime.now(UTC)
    expires = issued + timedelta(seconds=absolute_seconds())
    row = await db.fetchrow('INSERT INTO web_session (token_hash, "user", ip, ua, expires_at, data) '
                            "VALUES ($1, $2, $3, $4, $5, '{}'::jsonb) RETURNING id", token_hash(new_token()),
                            user_id, ip, ua[:500], expires)
    version = await db.fetchval("SELECT session_version FROM app_user WHERE id = $1", user_id)
    await user_changed([user_id])
    return encode(row["id"], user_id, version, int(issued.timestamp()))


async def end(session_id: int, user_id: int) -> None:
    await db.execute('DELETE FROM web_session WHERE id = $1 AND "user" = $2', session_id, user_id)
    await user_changed([user_id])


async def end_all(user_id: int, keep_session_id: int | None = None) -> None:
    """Log out everywhere (password change, lockout): every cookie issued before is refused."""
    await db.execute('DELETE FROM web_session WHERE "user" = $1 AND id IS DISTINCT FROM $2', user_id, keep_session_id)
    if keep_session_id is None:
        await db.execute("UPDATE app_user SET session_version = session_version + 1 WHERE id = $1", user_id)
    await user_changed([user_id])


async def resolve(cookie: str) -> tuple[CurrentUser | None, str | None]:
    """The user of a session cookie, and a re-signed cookie when the idle clock should be moved on."""
    decoded = decode(cookie, await idle_seconds())
    if decoded is None:
        return None, None
    sid, uid, version, issued, signed_at = decoded
    now = time.time()
    if now - issued > absolute_seconds():
        return None, None
    user = await user_for(sid, uid, version)
    if user is None:
        return None, None
    refreshed = encode(sid, uid, version, issued) if now - signed_at > REFRESH_AFTER else None
    return user, refreshed


# --- the listener: one connection per web process ---------------------------------------------------

class Listener:
    """LISTEN on CHANNEL; on a lost connection, forget everything (notifications may be missed) and
    reconnect."""

    def __init__(self, dsn: str):
        self.dsn = dsn
        self.task: asyncio.Task | None = None
        self.connected = asyncio.Event()

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def _run(self) -> None:
        import asyncpg

        while True:
            lost = asyncio.Event()
            try:
                con = await asyncpg.connect(self.dsn)
            except (OSError, asyncpg.PostgresError):
                log.warning("session listener cannot connect; retrying", exc_info=True)
                await asyncio.sleep(1)
                continue
            try:
                # bound now: the listener must set this connection's event, never a later loop's
                con.add_termination_listener(lambda _c, lost=lost: lost.set())
                await con.add_listener(CHANNEL, lambda _c, _pid, _ch, payload: _apply(payload))
                clear()  # whatever changed while not listening
                self.connected.set()
                await lost.wait()
            finally:
                self.connected.clear()
                if not con.is_closed():
                    await con.close()
            clear()
            await asyncio.sleep(0.2)


_listener: Listener | None = None


async def start_listener() -> Listener:
    global _listener
    _listener = Listener(db.engine().config["dsn"])
    _listener.start()
    try:
        await asyncio.wait_for(_listener.connected.wait(), 10)
    except TimeoutError:
        log.warning("session listener not connected yet; cached sessions expire after %ss", STATE_TTL)
    return _listener


async def stop_listener() -> None:
    if _listener is not None:
        await _listener.stop()
