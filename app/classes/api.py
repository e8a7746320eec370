"""What other modules may call in the classes module (through the import-linter contract, once it names the
edge). Today: the class events hook (CLS-05) the operations module will register its class events with, and
the classes a user belongs to."""
from __future__ import annotations

from app.classes import events
from app.classes.events import EventProvider


def register_event_provider(provider: EventProvider) -> None:
    """Class events (sign-up, check-in …) of another module appear on the class page and in the cohesion
    factor "events": see app/classes/events.py for the two coroutines a provider has."""
    events.register(provider)


async def classes_of_user(user_id: int) -> list[dict]:
    """The classes a user is a member or liaison of: [{id, name, college_name, entry_year}]."""
    from app.classes import classes

    return [{k: row[k] for k in ("id", "name", "college_name", "entry_year")}
            for row in await classes.my_classes(user_id)]


async def member_user_ids(class_id: int) -> list[int]:
    """The login accounts of the class's active members and its liaisons (mass messaging, OPS-01)."""
    from app.core import db

    return [r["user"] for r in await db.fetch(
        "SELECT \"user\" FROM classes_member WHERE class_id = $1 AND status = 'active'"
        " UNION SELECT \"user\" FROM classes_liaison WHERE class_id = $1", class_id)]


async def class_choices(limit: int = 2000) -> list[tuple[int, str]]:
    """(id, "name · college · entry year") of the active classes, newest cohorts first — for pickers."""
    from app.core import db

    rows = await db.fetch("SELECT c.id, c.name, c.entry_year, o.name AS college_name FROM classes_class c"
                          " LEFT JOIN org_node o ON o.id = c.college WHERE c.status = 'active'"
                          " ORDER BY c.entry_year DESC NULLS LAST, c.name, c.id LIMIT $1", limit)
    return [(r["id"], " · ".join(str(x) for x in (r["name"], r["college_name"], r["entry_year"]) if x))
            for r in rows]
