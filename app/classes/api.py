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
