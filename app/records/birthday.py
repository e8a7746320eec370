"""Birthday greetings (REC-14): settings (on/off, channels, send hour), the message template
"rec_birthday" in the message api (editable at /admin/messages/templates) and the daily run that
greets each active person with an account or an email once per year (rec_birthday_sent)."""
from __future__ import annotations

import calendar
from collections.abc import Awaitable, Callable
from datetime import date, datetime

from app.core import audit, db, jobs, notify, settings_store
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.records import visibility

TEMPLATE = "rec_birthday"
CHANNELS = {"inbox": L("In-site message"), "email": L("Email"), "sms": L("SMS")}
KEYS = {"enabled": "rec.birthday.enabled", "channels": "rec.birthday.channels", "hour": "rec.birthday.hour"}
DEFAULTS = {"enabled": False, "channels": ["inbox", "email"], "hour": 9}
BATCH = 200

notify.DEFAULT_TEMPLATES.setdefault(TEMPLATE, (L("Birthday greeting"), {
    "inbox": (L("Happy birthday, {{ name }}!"),
              L("Dear {{ name }},\n\n{{ school }} wishes you a happy birthday and every success in the year ahead.")),
    "email": (L("Happy birthday, {{ name }}!"),
              L("Dear {{ name }},\n\n{{ school }} wishes you a happy birthday and every success in the year ahead.\n\n"
                "Your alma mater is always glad to hear from you.")),
    "sms": (L("Happy birthday"),
            L("[{{ school }}] Dear {{ name }}, happy birthday! Best wishes from your alma mater.")),
}))
try:  # sample values for the template preview in the message api
    from app.support import messages

    messages.SAMPLE_DATA.setdefault(TEMPLATE, {"name": "张三", "school": "同窗大学"})
except ImportError:  # pragma: no cover - the support module is always installed
    pass


def channel_choices() -> list[dict]:
    """Every greeting channel and whether it can deliver here (SMS needs the SMS module's channel)."""
    return [{"code": code, "label": str(label), "available": notify.channel_available(code)}
            for code, label in CHANNELS.items()]


async def get_settings() -> dict:
    out = {}
    for name, key in KEYS.items():
        out[name] = await settings_store.get(key, DEFAULTS[name])
    return out


async def save_settings(actor: Actor, enabled: bool, channels: list[str], hour) -> None:
    try:
        hour = int(hour)
    except (TypeError, ValueError):
        raise Invalid("hour", _("Choose an hour between 0 and 23.")) from None
    if not 0 <= hour <= 23:
        raise Invalid("hour", _("Choose an hour between 0 and 23."))
    channels = [c for c in CHANNELS if c in set(channels or [])]
    unavailable = [c for c in channels if not notify.channel_available(c)]
    if unavailable:
        raise Invalid("channels", _("This channel is not available: %(channel)s.",
                                    channel=", ".join(str(CHANNELS[c]) for c in unavailable)))
    if enabled and not channels:
        raise Invalid("channels", _("Choose at least one channel."))
    new = {"enabled": bool(enabled), "channels": channels, "hour": hour}
    async with db.transaction():
        before = await get_settings()
        for name, key in KEYS.items():
            await settings_store.put(key, new[name], actor.id)
        await audit.record(actor, "update", "rec_birthday_settings", "", before=before, after=new,
                           summary=_("Birthday greetings"))


def birthdays_of(day: date) -> list[tuple[int, int]]:
    """(month, day) pairs greeted on `day`: 29 February birthdays on 28 February of common years."""
    pairs = [(day.month, day.day)]
    if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
        pairs.append((2, 29))
    return pairs


async def due_people(day: date, limit: int = BATCH) -> list[dict]:
    """Active persons born on this day, reachable (account or email), not yet greeted this year."""
    pairs = birthdays_of(day)
    return await db.fetch(
        "SELECT p.id, p.name, p.email, p.\"user\" AS user_id FROM rec_person p"
        " WHERE p.status = 'active' AND (EXTRACT(MONTH FROM p.birthday), EXTRACT(DAY FROM p.birthday))"
        " IN (SELECT * FROM unnest($1::int[], $2::int[]))"
        " AND (p.\"user\" IS NOT NULL OR p.email IS NOT NULL)"
        " AND NOT EXISTS (SELECT 1 FROM rec_birthday_sent s WHERE s.person = p.id AND s.year = $3)"
        " ORDER BY p.id LIMIT $4", [m for m, _d in pairs], [d for _m, d in pairs], day.year, limit)


async def greet(person: dict, year: int, channels: list[str], school: str) -> int:
    """Greet one person once for `year` (the claim row and the messages commit together)."""
    async with db.transaction():
        claimed = await db.fetchval("INSERT INTO rec_birthday_sent (person, year, channels) VALUES ($1, $2, $3)"
                                    " ON CONFLICT (person, year) DO NOTHING RETURNING id", person["id"], year, channels)
        if claimed is None:
            return 0  # another run got there first
        data = {"name": person["name"], "school": school}
        if person["user_id"]:
            count = await notify.notify([person["user_id"]], TEMPLATE, data, channels, url="/h5")
        elif "email" in channels and await notify.notify_address("email", person["email"], TEMPLATE, data):
            count = 1
        else:
            count = 0
        await db.execute("UPDATE rec_birthday_sent SET deliveries = $2 WHERE id = $1", claimed, count)
    return count


async def run(day: date | None = None, *, now: datetime | None = None, force: bool = False,
              progress: Callable[[int, int | None, str], Awaitable[None]] | None = None) -> dict:
    """The daily run: nothing when disabled, or before the send hour unless forced; idempotent."""
    settings = await get_settings()
    now = now or datetime.now().astimezone()
    day = day or now.date()
    if not settings["enabled"]:
        return {"skipped": "disabled"}
    if now.hour < int(settings["hour"]) and not force:
        return {"skipped": "before send hour", "hour": settings["hour"]}
    channels = [c for c in settings["channels"] if notify.channel_available(c)]
    school = await settings_store.get("site.name") or ""
    greeted = deliveries = 0
    while True:
        people = await due_people(day)
        if not people:
            break
        for person in people:
            sent = await greet(person, day.year, channels, school)
            greeted += 1
            deliveries += sent
        if progress:
            await progress(greeted, None, _("%(n)s people greeted", n=greeted))
    return {"day": day.isoformat(), "greeted": greeted, "deliveries": deliveries, "channels": channels}


async def start_run(user_id: int) -> int:
    """Greet today's birthdays now, whatever the send hour (still once per person and year): a job."""
    return await jobs.enqueue("rec.birthday", {"day": date.today().isoformat(), "force": True}, created_by=user_id)


async def recent(actor: Actor, limit: int = 20) -> list[dict]:
    """The latest greetings among the persons this admin may see, names masked for them."""
    args: list = [limit]
    rows = await db.fetch(f"SELECT s.*, p.name FROM rec_birthday_sent s JOIN rec_person p ON p.id = s.person"
                          f" WHERE {visibility.visible(actor, args)} ORDER BY s.sent_at DESC, s.id DESC LIMIT $1",
                          *args)
    return [visibility.mask_row(actor, r) for r in rows]


async def today_count(day: date | None = None) -> int:
    pairs = birthdays_of(day or date.today())
    return await db.fetchval(
        "SELECT count(*) FROM rec_person p WHERE p.status = 'active' AND (EXTRACT(MONTH FROM p.birthday),"
        " EXTRACT(DAY FROM p.birthday)) IN (SELECT * FROM unnest($1::int[], $2::int[]))"
        " AND (p.\"user\" IS NOT NULL OR p.email IS NOT NULL)", [m for m, _d in pairs], [d for _m, d in pairs])
