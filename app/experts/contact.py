"""What an admin sees of an expert's phone and email (EXP-17): the ONE rule every page, htmx fragment and export
of the pool applies.

Clear only when BOTH hold:
  1. the viewer has `exp.contact.view`, and
  2. now is inside the reveal window of one of the expert's reviews: from `experts.reveal_hours` (site setting,
     default 24) before the review opens until `experts.reveal_after_hours` (default 12) after it opened. A
     review is an accepted invitation (`exp_invitation`, status 'accepted', `opens_at`) or what the reviews
     module reports through `api.review_opens_at(expert_id)`.
Otherwise masked (`app.core.masking.mask`). Superusers follow the same rule — fairness: nobody, however
privileged, learns who was drawn (and how to reach them) before the window opens. The clear view of
`sup.field.clear.phone` does NOT apply to experts.

Batched: one query for a page of experts (raw contacts + the invitation window), never one per row."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from app.core import db, settings_store
from app.core.audit import Actor
from app.core.masking import mask
from app.experts import api

PERMISSION = "exp.contact.view"
DEFAULT_HOURS = 24
DEFAULT_AFTER_HOURS = 12
CONTACT_KINDS = {"phone": "phone", "email": "email"}


async def window_hours() -> tuple[int, int]:
    """(hours before the opening, hours after it) of the reveal window."""
    def hours(value, default: int) -> int:
        try:
            return max(0, min(24 * 30, int(value)))
        except (TypeError, ValueError):
            return default

    return (hours(await settings_store.get("experts.reveal_hours", DEFAULT_HOURS), DEFAULT_HOURS),
            hours(await settings_store.get("experts.reveal_after_hours", DEFAULT_AFTER_HOURS), DEFAULT_AFTER_HOURS))


def in_window(opens_at: datetime | None, now: datetime, before: int, after: int) -> bool:
    if opens_at is None:
        return False
    if opens_at.tzinfo is None:
        opens_at = opens_at.replace(tzinfo=UTC)
    return opens_at - timedelta(hours=before) <= now <= opens_at + timedelta(hours=after)


async def _load(ids: list[int], check_window: bool, before: int, after: int) -> dict[int, dict]:
    rows = await db.fetch(
        "SELECT e.id, e.phone, e.email,"
        " ($2 AND EXISTS (SELECT 1 FROM exp_invitation i WHERE i.expert = e.id AND i.status = 'accepted'"
        "   AND now() BETWEEN i.opens_at - make_interval(hours => $3) AND i.opens_at + make_interval(hours => $4)))"
        " AS in_window FROM exp_expert e WHERE e.id = ANY($1::bigint[])", ids, check_window, before, after)
    return {r["id"]: r for r in rows}


async def revealed(viewer: Actor | None, ids: Iterable[int]) -> dict[int, dict]:
    """expert id → {"phone", "email", "revealed"}: the contact values this viewer sees now."""
    ids = list(dict.fromkeys(int(i) for i in ids))
    if not ids:
        return {}
    may = viewer is not None and viewer.can(PERMISSION)
    before, after = await window_hours()
    rows = await _load(ids, may, before, after)
    now = datetime.now(UTC)
    out = {}
    for expert_id, row in rows.items():
        clear = bool(row["in_window"])
        if may and not clear:  # the reviews module's hook (no query when it is not registered)
            clear = in_window(await api.review_opens_at(expert_id), now, before, after)
        out[expert_id] = {"phone": row["phone"] if clear else mask("phone", row["phone"]),
                          "email": (row["email"] or "") if clear else mask("email", row["email"]),
                          "revealed": clear}
    return out


async def apply(viewer: Actor | None, rows: list[dict], id_key: str = "id") -> list[dict]:
    """The rows with `phone` / `email` replaced by what the viewer may see (and `contact_revealed`); rows
    without those keys get them. One query for the whole list."""
    shown = await revealed(viewer, [r[id_key] for r in rows])
    out = []
    for r in rows:
        seen = shown.get(r[id_key], {"phone": mask("phone", r.get("phone")), "email": mask("email", r.get("email")),
                                     "revealed": False})
        out.append({**r, "phone": seen["phone"], "email": seen["email"], "contact_revealed": seen["revealed"]})
    return out


async def apply_one(viewer: Actor | None, row: dict) -> dict:
    return (await apply(viewer, [row]))[0]


def history(rows: list[dict], revealed: bool) -> list[dict]:
    """The before/after history of one expert with the old and new phone/email masked unless revealed."""
    if revealed:
        return rows
    out = []
    for r in rows:
        r = dict(r)
        for side in ("before", "after"):
            r[side] = {k: (mask(CONTACT_KINDS[k], v) if k in CONTACT_KINDS and v else v) for k, v in r[side].items()}
        out.append(r)
    return out


def keep_hidden(submitted: dict, raw: dict, shown: dict) -> dict:
    """An edit form that showed masked contacts: a field sent back unchanged (still the masked text) keeps the
    stored value, so saving other fields never overwrites the phone with its mask."""
    out = dict(submitted)
    for key in CONTACT_KINDS:
        if not shown.get("contact_revealed") and out.get(key) == shown.get(key) and raw.get(key):
            out[key] = raw[key]
    return out
