"""The operations module's side of the orgs and classes modules: their pages' events sections (the org micro-site,
the class space) and the classes' cohesion factor "events" are filled from here (CLS-05, ORG-08)."""
from __future__ import annotations

from datetime import datetime

from app.core import db
from app.core.audit import Actor
from app.ops import events


async def org_events(org_id: int, viewer: Actor | None) -> list[dict]:
    return await events.owner_events(("org", org_id))


class ClassEvents:
    async def events(self, class_id: int, viewer: Actor | None) -> list[dict]:
        return await events.owner_events(("class", class_id))

    async def counts(self, class_ids: list[int], since: datetime) -> dict[int, int]:
        rows = await db.fetch("SELECT owner_id, count(*) AS n FROM ops_event WHERE owner_kind = 'class'"
                              " AND owner_id = ANY($1::bigint[]) AND status IN ('published', 'closed')"
                              " AND starts_at >= $2 GROUP BY owner_id", class_ids, since)
        return {r["owner_id"]: r["n"] for r in rows}


def register() -> None:
    from app.classes import api as classes
    from app.ops import interaction
    from app.orgs import api as orgs

    interaction.register()  # an event's wall and album live on the content platform
    orgs.register_event_source(org_events)
    classes.register_event_provider(ClassEvents())
