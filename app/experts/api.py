"""What other modules (the coming reviews / draws modules) may call (EXP-14, EXP-17, DRW draw input).

- `eligible(field_ids, exclude_experts=…, avoid_units=…)`: formal experts filed under any of the fields (or
  below them), never deleted or blacklisted ones, minus the excluded experts and anyone whose employer is one
  of the units to avoid.
- `register_review_opening(fn)`: the reviews module tells the pool when an expert's next review opens, so
  contact data is revealed only `experts.reveal_hours` before it (see masking.py).
- `invite(actor, expert_id, project_ref, title, opens_at, …)` / `invitations_of(expert_id, project_ref)`: the
  reviews module's invitations (invitations.py), answered by the expert on the phone."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime

from app.core import db
from app.experts import experts, taxonomy

# async fn(expert_id) -> datetime | None: when the next review this expert is drawn for opens
_review_opening: list[Callable[[int], Awaitable[datetime | None]]] = []


def register_review_opening(fn: Callable[[int], Awaitable[datetime | None]]) -> None:
    _review_opening[:] = [fn]


async def review_opens_at(expert_id: int) -> datetime | None:
    return await _review_opening[0](expert_id) if _review_opening else None


async def eligible(field_ids: list[int], *, exclude_experts: list[int] | None = None,
                   avoid_units: list[str] | None = None, on: date | None = None, limit: int = 1000) -> list[dict]:
    """Candidates for a draw on day `on` (today): id, name, employer, title, fields — no contact data. Not on
    leave that day, not employed by nor avoiding any of `avoid_units`."""
    ids = await taxonomy.subtree_ids(field_ids)
    if not ids:
        return []
    return await db.fetch(
        "SELECT e.id, e.name, e.employer, e.title, e.fields FROM exp_expert e WHERE e.status = 'formal'"
        " AND e.fields && $1::bigint[] AND NOT (e.id = ANY($2::bigint[])) AND NOT (e.employer = ANY($3::text[]))"
        " AND NOT EXISTS (SELECT 1 FROM exp_leave l WHERE l.expert = e.id AND $5::date BETWEEN l.starts_on"
        " AND l.ends_on)"
        " AND NOT EXISTS (SELECT 1 FROM exp_avoid_unit u WHERE u.expert = e.id AND u.unit = ANY($3::text[]))"
        " ORDER BY e.id LIMIT $4", ids, exclude_experts or [], avoid_units or [], limit, on or date.today())


async def is_drawable(expert_id: int) -> bool:
    """False for deleted and blacklisted experts: they are never drawn and cannot accept invitations."""
    return await experts.is_drawable(expert_id)


async def invite(actor, expert_id: int, project_ref: str, title: str, opens_at: datetime, *,
                 department: int | None = None, place: str = "", files: list | None = None) -> int:
    """Invite a formal expert to a project (`project_ref` like "reviews:12"; files as (name, bytes) pairs). Raises
    app.core.forms.Invalid (deleted/blacklisted expert, already invited, opening in the past). See invitations.py."""
    from app.experts import invitations

    return await invitations.invite(actor, expert_id, project_ref, title, opens_at, department, place, files or [])


async def invitations_of(expert_id: int, project_ref: str | None = None) -> list[dict]:
    """The expert's invitations (optionally of one project), newest opening first: id, project_ref,
    project_title, opens_at, status (invited/accepted/declined/left/cancelled/attended), fee_status."""
    from app.experts import invitations

    return await invitations.invitations_of(expert_id, project_ref)
