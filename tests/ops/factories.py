"""Events, tickets and alumni for the ops tests, built through the services."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from app.core.audit import SYSTEM, Actor
from app.core.security import hash_password
from app.ops import events, tickets

PASSWORD = "Ops2026pass!"


async def make_user(db, name: str = "校友", perms: tuple[str, ...] = ()) -> Actor:
    username = f"o{uuid.uuid4().hex[:10]}"
    user_id = await db.fetchval("INSERT INTO app_user (username, name, kind, phone, password_hash) VALUES"
                                " ($1, $2, 'alumni', $3, $4) RETURNING id", username, name,
                                "139" + str(uuid.uuid4().int)[:8], hash_password(PASSWORD))
    return Actor(user_id, username, perms=frozenset(perms))


async def make_event(title: str = "校友返校日", *, quota: int = 50, kind: str = "free", price: int = 0,
                     per_person: int = 1, needs_approval: bool = False, owner=("hq", 0), starts_in_days: int = 7,
                     **values) -> tuple[int, int]:
    """A published HQ event with one ticket type (a paid ticket's price in fen); returns (event id, ticket type
    id)."""
    start = datetime.now(UTC) + timedelta(days=starts_in_days)
    event_id = await events.create_event(SYSTEM, owner, {"title": title, "starts_at": start,
                                                         "ends_at": start + timedelta(hours=3), "place": "大礼堂",
                                                         "needs_approval": needs_approval, **values})
    ticket_id = (await tickets.ticket_types(event_id))[0]["id"]
    await tickets.save_ticket_type(SYSTEM, event_id, {"name": "普通票", "kind": kind, "price": price, "quota": quota,
                                                      "per_person": per_person, "price_yuan": f"{price / 100:.2f}"},
                                   ticket_id)
    await events.set_status(SYSTEM, event_id, "published")
    return event_id, ticket_id
