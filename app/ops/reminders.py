"""Event reminders (OPS-02): each event's offsets (reminder_minutes, e.g. a day and two hours before) go out
through the message service (in-site, SMS, email where the person has one) to everyone confirmed. The job runs
every few minutes; one UPDATE claims an offset for an event (reminders_sent), in the same transaction as the
messages, so a crash or two workers never send one reminder twice and a late run still sends it once."""
from __future__ import annotations

import json
from datetime import UTC, datetime

from app.core import db, notify
from app.core.i18n import lazy as L

TEMPLATE = "ops_event_reminder"
HORIZON_DAYS = 31  # the largest offset allowed is 30 days
notify.DEFAULT_TEMPLATES.setdefault(TEMPLATE, (L("Event reminder"), {
    "inbox": (L("Reminder: {{ title }}"), L("“{{ title }}” starts at {{ starts }} at {{ place }}. Your ticket code:"
                                             " show it at the door from My tickets.")),
    "sms": ("", L("Reminder: “{{ title }}” starts at {{ starts }} at {{ place }}. Show your e-ticket at the door.")),
    "email": (L("Reminder: {{ title }}"), L("“{{ title }}” starts at {{ starts }} at {{ place }}.\n\nShow your"
                                             " e-ticket (My tickets) at the door.")),
}))


async def send_due(now: datetime | None = None) -> dict:
    """Every reminder whose moment has come and that was not sent yet; returns counts."""
    now = now or datetime.now(UTC)
    events = await db.fetch(
        "SELECT id, title, place, starts_at, reminder_minutes, reminders_sent FROM ops_event WHERE status = 'published'"
        " AND starts_at > $1 AND starts_at < $1 + make_interval(days => $2)", now, HORIZON_DAYS)
    sent = reminders = 0
    for event in events:
        offsets = json.loads(event["reminder_minutes"]) if isinstance(event["reminder_minutes"], str) \
            else event["reminder_minutes"] or []
        done = json.loads(event["reminders_sent"]) if isinstance(event["reminders_sent"], str) \
            else event["reminders_sent"] or []
        due = [m for m in offsets if m not in done and (event["starts_at"] - now).total_seconds() <= m * 60]
        if not due:
            continue
        async with db.transaction():
            claimed = await db.fetchval(
                "UPDATE ops_event SET reminders_sent = reminders_sent || $2::jsonb WHERE id = $1"
                " AND NOT (reminders_sent @> $3::jsonb) RETURNING id", event["id"], json.dumps(due),
                json.dumps(due[:1]))
            if not claimed:
                continue
            rows = await db.fetch("SELECT DISTINCT \"user\" FROM ops_registration WHERE event = $1"
                                  " AND status = 'confirmed'", event["id"])
            users = [r["user"] for r in rows]
            data = {"title": event["title"], "place": event["place"],
                    "starts": f"{event['starts_at'].astimezone():%Y-%m-%d %H:%M}"}
            sent += await notify.notify(users, TEMPLATE, data, channels=("inbox", "sms"), url="/h5/tickets")
            reminders += 1
    return {"reminders": reminders, "messages": sent}
