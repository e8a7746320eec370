"""Mass messaging (OPS-01, 群发 / 消息推送): a campaign sends one text (or a message template) to an audience —
members of an association or a class, users with a role, a records query or tag (their linked accounts), or an
uploaded list of phones and emails — by in-site message, email, SMS or WeChat through the message service
(app.core.notify). Count and sample are shown before sending; sending is immediate or scheduled and throttled
(messages per minute) by the `ops.campaigns.tick` job; every email and SMS carries a signed unsubscribe link.

Exactly once: recipients are materialised once (one unique row per recipient and channel, INSERT … ON CONFLICT DO
NOTHING); a batch marks its rows and creates their deliveries in ONE transaction, so a job that dies half way
leaves each row either sent (with its delivery) or queued (without one), and the resumed job sends the rest.
HQ (ops.campaign.send with an unrestricted data scope) may target anyone; an org admin only the orgs they manage."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from app.classes import api as classes_api
from app.core import audit, db, import_files, masking, notify, phones
from app.core.audit import Actor
from app.core.forms import EMAIL_RE, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest
from app.core.security import sign, unsign
from app.core.urls import absolute
from app.ops.access import NotAllowed, NotFound
from app.orgs import api as orgs_api
from app.records import api as records_api

PERM = "ops.campaign.send"
TEMPLATE = "ops_campaign"
notify.DEFAULT_TEMPLATES.setdefault(TEMPLATE, (L("Mass message"), {
    channel: (L("{{ title }}"), L("{{ body }}")) for channel in notify.CHANNELS}))
CHANNELS = {"inbox": L("In-site message"), "email": L("Email"), "sms": L("SMS"),
            "wechat": L("WeChat template message")}
STATUSES = {"draft": L("Draft"), "scheduled": L("Scheduled"), "sending": L("Sending"), "done": L("Sent"),
            "cancelled": L("Cancelled")}
RECIPIENT_STATUSES = {"queued": L("Waiting to send"), "sent": L("Handed to the channel"),
                      "failed": L("Failed"), "skipped_unsubscribed": L("Skipped: unsubscribed"),
                      "skipped_no_address": L("Skipped: no address")}
AUDIENCES = {"org": L("Members of an association"), "class": L("Members of a class"),
             "role": L("Users with a role"), "records": L("Alumni records query"),
             "tag": L("Alumni records tag"), "upload": L("Uploaded list of phones and emails")}
UNSUBSCRIBE = "ops.unsubscribe"
UNSUBSCRIBE_DAYS = 180
BATCH = 50  # rows per transaction while sending
SAMPLE = 10


@dataclass
class Audience:
    """Who a campaign reaches: user ids, or bare (address, channel) pairs of an uploaded list."""
    user_ids: list[int] = field(default_factory=list)
    addresses: list[tuple[str, str]] = field(default_factory=list)


def is_hq(actor: Actor) -> bool:
    return actor.is_superuser or (actor.can(PERM) and actor.scope.all)


# --- audience ------------------------------------------------------------------------------------------

def parse_list(lines: list[tuple[int, Any]]) -> tuple[list[dict], list[dict]]:
    """Rows of an uploaded list (row number, value) → (accepted [{address, channel}], refused [{row, value,
    reason}]): a mainland mobile number (app.core.phones) goes by SMS, an email by email; duplicates refused."""
    accepted, refused, seen = [], [], set()
    for row, raw in lines:
        value = str(raw or "").strip()
        if not value:
            continue
        if "@" in value:
            address, channel = value.lower(), "email"
            if not EMAIL_RE.match(value) or len(value) > 254:
                refused.append({"row": row, "value": value, "reason": _("Not a valid email address.")})
                continue
        else:
            address, channel = phones.normalise(value), "sms"
            if address is None:
                refused.append({"row": row, "value": value,
                                "reason": _("Not a mainland China mobile number (11 digits starting with 1).")})
                continue
        if address in seen:
            refused.append({"row": row, "value": value, "reason": _("Duplicate of an earlier row.")})
            continue
        seen.add(address)
        accepted.append({"address": address, "channel": channel})
    return accepted, refused


def read_upload(filename: str, data: bytes) -> list[tuple[int, Any]]:
    """The first column of an uploaded xlsx/csv (first row: a header) as (row number, value)."""
    sheet = import_files.read_file(import_files.check_file(filename, data, 10), data)
    return [(number, (record["cells"] or [None])[0]) for number, record in sheet.rows]


def audience_spec(kind: str, values: dict, upload_rows: list[tuple[int, Any]] | None = None) -> dict:
    """The stored audience of a campaign from the form's values (Invalid names the field to fix)."""
    if kind not in AUDIENCES:
        raise Invalid("audience", _("Choose who receives the message."))
    if kind in ("org", "class", "tag"):
        if not values.get(kind):
            raise Invalid(kind, _("This field is required."))
        return {"kind": kind, kind: int(values[kind])}
    if kind == "role":
        if not values.get("role"):
            raise Invalid("role", _("This field is required."))
        return {"kind": "role", "role": str(values["role"])}
    if kind == "records":
        query = (values.get("records_query") or "").strip()
        query = query.split("?", 1)[1] if "?" in query else query
        if not query:
            raise Invalid("records_query", _("Paste the filters of the records list (its address)."))
        return {"kind": "records", "query": query[:500]}
    accepted, refused = parse_list(upload_rows or [])
    if not accepted:
        raise Invalid("upload", _("The list holds no valid phone number or email address."))
    return {"kind": "upload", "addresses": accepted, "refused": refused[:500], "refused_count": len(refused)}


def _records_filters(query: str) -> records_api.PersonFilters:
    from urllib.parse import parse_qsl

    return records_api.PersonFilters.from_query(dict(parse_qsl(query, keep_blank_values=False)))


async def check_audience(actor: Actor, spec: dict) -> None:
    """HQ may target anyone; an org admin only the members of an org they manage."""
    if is_hq(actor):
        return
    if not actor.can(PERM) or spec.get("kind") != "org":
        raise NotAllowed()
    managed = await orgs_api.managed_org_ids(actor)
    if managed is not None and spec["org"] not in managed:
        raise NotAllowed()


async def resolve(actor: Actor, spec: dict, channels: list[str]) -> Audience:
    kind = spec.get("kind")
    if kind == "upload":
        return Audience(addresses=[(a["address"], a["channel"]) for a in spec["addresses"]
                                   if a["channel"] in channels])
    if kind == "org":
        ids = await orgs_api.member_user_ids(spec["org"])
    elif kind == "class":
        ids = await classes_api.member_user_ids(spec["class"])
    elif kind == "role":
        ids = [r["user"] for r in await db.fetch(
            'SELECT DISTINCT ur."user" FROM user_role ur JOIN role r ON r.id = ur.role WHERE r.code = $1',
            spec["role"])]
    elif kind == "tag":
        ids = await records_api.linked_user_ids(actor, records_api.PersonFilters(tag=spec["tag"]))
    elif kind == "records":
        ids = await records_api.linked_user_ids(actor, _records_filters(spec["query"]))
    else:
        ids = []
    active = await db.fetch("SELECT id FROM app_user WHERE id = ANY($1::bigint[]) AND is_active ORDER BY id",
                            list(ids))
    return Audience(user_ids=[r["id"] for r in active])


async def audience_label(spec: dict) -> str:
    kind = spec.get("kind")
    label = str(AUDIENCES.get(kind, ""))
    if kind == "org":
        names = dict(await orgs_api.org_choices([spec["org"]]))
        return f"{label}: {names.get(spec['org'], spec['org'])}"
    if kind == "class":
        names = dict(await classes_api.class_choices())
        return f"{label}: {names.get(spec['class'], spec['class'])}"
    if kind == "role":
        name = await db.fetchval("SELECT name FROM role WHERE code = $1", spec["role"])
        return f"{label}: {name or spec['role']}"
    if kind == "records":
        return f"{label}: {spec['query']}"
    if kind == "upload":
        return f"{label}: {len(spec['addresses'])}"
    return f"{label}: #{spec.get(kind)}"


# --- messages --------------------------------------------------------------------------------------------

def unsubscribe_token(campaign_id: int, user_id: int | None, address: str, channel: str) -> str:
    return sign(UNSUBSCRIBE, {"k": campaign_id, "u": user_id, "a": address, "c": channel})


def unsubscribe_url(campaign_id: int, user_id: int | None, address: str, channel: str) -> str:
    return absolute(f"/h5/unsubscribe/{unsubscribe_token(campaign_id, user_id, address, channel)}")


async def _texts(campaign: dict, channel: str, cache: dict) -> tuple[str, str] | None:
    if not campaign["template_code"]:
        return campaign["subject"] or campaign["title"], campaign["body"]
    if channel not in cache:
        cache[channel] = await notify.template_for(campaign["template_code"], channel)
    return cache[channel]


async def render_message(campaign: dict, channel: str, name: str, link: str, cache: dict | None = None
                         ) -> tuple[str, str] | None:
    """(subject, body) for one recipient; email and SMS end with the unsubscribe link when the text has none."""
    texts = await _texts(campaign, channel, {} if cache is None else cache)
    if texts is None:
        return None
    data = {"name": name or "", "unsubscribe_url": link, "title": campaign["title"]}
    subject, body = notify.render_text(texts[0], data), notify.render_text(texts[1], data)
    if channel in ("email", "sms") and link not in body:
        body = f"{body}\n\n" + _("Unsubscribe: %(url)s", url=link)
    return subject.strip()[:200], body


def check_texts(values: dict) -> None:
    """Refuse a subject or body Jinja cannot render, before anything is sent."""
    for key in ("subject", "body"):
        try:
            notify.render_text(values.get(key) or "", {"name": "", "unsubscribe_url": "", "title": ""})
        except Exception as exc:  # any template error is the author's to fix
            raise Invalid(key, _("The text cannot be rendered: %(error)s", error=str(exc)[:200])) from None


# --- campaigns ---------------------------------------------------------------------------------------------

async def form_choices(actor: Actor) -> dict:
    """The pickers of the new campaign form; an org admin sees only the org audience and their own orgs."""
    hq = is_hq(actor)
    managed = None if hq else await orgs_api.managed_org_ids(actor)
    templates = [(code, str(entry[0])) for code, entry in sorted(notify.DEFAULT_TEMPLATES.items())
                 if code != TEMPLATE]
    roles = await db.fetch("SELECT code, name FROM role ORDER BY name, id") if hq else []
    return {"templates": templates, "orgs": await orgs_api.org_choices(managed),
            "audiences": list(AUDIENCES.items()) if hq else [("org", AUDIENCES["org"])],
            "classes": await classes_api.class_choices() if hq else [],
            "roles": [(r["code"], r["name"]) for r in roles],
            "tags": await records_api.tag_choices(actor) if hq else []}


def _decode(row: dict | None) -> dict | None:
    if row is not None and isinstance(row.get("audience"), str):
        row["audience"] = json.loads(row["audience"])
    return row


async def create(actor: Actor, values: dict, spec: dict) -> int:
    """A draft campaign; sending starts with `confirm`."""
    await check_audience(actor, spec)
    channels = [c for c in notify.CHANNELS if c in (values.get("channels") or [])]
    if not channels:
        raise Invalid("channels", _("Choose at least one."))
    if not values.get("template_code") and not (values.get("body") or "").strip():
        raise Invalid("body", _("Write the message or choose a message template."))
    check_texts(values)
    label = await audience_label(spec)
    async with db.transaction():
        campaign_id = await db.fetchval(
            "INSERT INTO ops_campaign (title, channels, subject, body, template_code, audience, audience_label,"
            " scheduled_at, throttle, created_by, updated_by) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9,"
            " $10, $10) RETURNING id", values["title"], channels, values.get("subject") or "",
            values.get("body") or "", values.get("template_code") or "", json.dumps(spec, ensure_ascii=False),
            label[:300], values.get("scheduled_at"), values.get("throttle") or 600, actor.id)
        await audit.record(actor, "create", "ops_campaign", campaign_id, summary=values["title"],
                           after={"channels": channels, "audience": label, "throttle": values.get("throttle")})
    return campaign_id


def _visible_sql(actor: Actor, args: list, managed: list[int] | None) -> str:
    if is_hq(actor):
        return "TRUE"
    args.append(actor.id)
    own = f"c.created_by = ${len(args)}"
    if not managed:
        return own
    args.append(list(managed))
    return f"({own} OR (c.audience->>'kind' = 'org' AND (c.audience->>'org')::bigint = ANY(${len(args)})))"


async def get(actor: Actor, campaign_id: int) -> dict:
    """The campaign (404 missing, 403 not theirs)."""
    row = _decode(await db.fetchrow("SELECT * FROM ops_campaign WHERE id = $1", campaign_id))
    if row is None:
        raise NotFound()
    if not is_hq(actor):
        await check_audience(actor, row["audience"])
    return row


async def list_campaigns(actor: Actor, q: str, status: str, req: PageRequest) -> Page:
    args: list = []
    where = [_visible_sql(actor, args, None if is_hq(actor) else await orgs_api.managed_org_ids(actor))]
    if q:
        args.append(f"%{q.strip()[:100]}%")
        where.append(f"c.title ILIKE ${len(args)}")
    if status in STATUSES:
        args.append(status)
        where.append(f"c.status = ${len(args)}")
    sql = " AND ".join(where)
    total = await db.fetchval(f"SELECT count(*) FROM ops_campaign c WHERE {sql}", *args)
    rows = await db.fetch(f"SELECT c.* FROM ops_campaign c WHERE {sql} ORDER BY c.id DESC"
                          f" LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page([_decode(r) for r in rows], total, req.page, req.per_page)


async def preview(actor: Actor, campaign: dict) -> dict:
    """What the confirm page shows: people and messages counted, 10 masked samples, each channel's availability
    and reach, refused upload rows, and the message as the first recipient will read it."""
    audience = await resolve(actor, campaign["audience"], campaign["channels"])
    channels = campaign["channels"]
    if audience.addresses:
        people = len(audience.addresses)
        messages = people
        sample = [{"name": "", "address": masking.mask("email" if ch == "email" else "phone", a), "channel": ch}
                  for a, ch in audience.addresses[:SAMPLE]]
        first = {"name": "", "user_id": None, "address": audience.addresses[0][0]}
        reach = {ch: sum(1 for _a, c in audience.addresses if c == ch) for ch in channels}
    else:
        people = len(audience.user_ids)
        messages = people * len(channels)
        rows = await db.fetch("SELECT id, name, email, phone FROM app_user WHERE id = ANY($1::bigint[]) ORDER BY id",
                              audience.user_ids[:SAMPLE])
        sample = [{"name": masking.mask("name", r["name"]), "address": " · ".join(
            x for x in (masking.mask("phone", r["phone"]), masking.mask("email", r["email"])) if x)} for r in rows]
        first = {"name": rows[0]["name"], "user_id": rows[0]["id"], "address": ""} if rows else None
        counts = await db.fetchrow("SELECT count(email) AS email, count(phone) AS sms FROM app_user"
                                   " WHERE id = ANY($1::bigint[])", audience.user_ids)
        reach = {ch: counts.get(ch, people) if ch in ("email", "sms") else people for ch in channels}
    rendered = []
    if first is not None:
        cache: dict = {}
        for ch in channels:
            link = unsubscribe_url(campaign["id"], first["user_id"], first["address"], ch)
            message = await render_message(campaign, ch, first["name"], link, cache)
            rendered.append({"channel": ch, "subject": message[0] if message else "",
                             "body": message[1] if message else "", "missing": message is None})
    return {"people": people, "messages": messages, "sample": sample, "reach": reach, "rendered": rendered,
            "available": {ch: notify.channel_available(ch) for ch in channels},
            "refused": campaign["audience"].get("refused", []),
            "refused_count": campaign["audience"].get("refused_count", 0)}


async def confirm(actor: Actor, campaign_id: int, now: datetime | None = None) -> dict:
    """Send now (a tick is queued at once) or at the campaign's time. Refused when a channel cannot deliver."""
    campaign = await get(actor, campaign_id)
    missing = [str(CHANNELS[ch]) for ch in campaign["channels"] if not notify.channel_available(ch)]
    if missing:
        raise Invalid("", _("These channels are not set up here: %(channels)s", channels="、".join(missing)))
    from app.core import jobs

    now = now or datetime.now(UTC)
    async with db.transaction():
        row = await db.fetchrow(
            "UPDATE ops_campaign SET status = 'scheduled', scheduled_at = COALESCE(scheduled_at, $2),"
            " updated_at = now(), updated_by = $3 WHERE id = $1 AND status = 'draft' RETURNING *",
            campaign_id, now, actor.id)
        if row is None:
            raise Invalid("", _("This campaign was already sent or cancelled."))
        if row["scheduled_at"] <= now:
            await jobs.enqueue("ops.campaigns.tick", {"campaign": campaign_id}, dedupe_key=f"campaign:{campaign_id}")
        await audit.record(actor, "send", "ops_campaign", campaign_id, summary=campaign["title"],
                           after={"scheduled_at": row["scheduled_at"]})
    row = _decode(row)
    row["started"] = row["scheduled_at"] <= now
    return row


async def cancel(actor: Actor, campaign_id: int) -> None:
    """Stop a draft, scheduled or sending campaign: its waiting recipients are never sent."""
    campaign = await get(actor, campaign_id)
    async with db.transaction():
        done = await db.fetchval(
            "UPDATE ops_campaign SET status = 'cancelled', cancelled_at = now(), updated_at = now(), updated_by = $2"
            " WHERE id = $1 AND status IN ('draft', 'scheduled', 'sending') RETURNING id", campaign_id, actor.id)
        if done is None:
            raise Invalid("", _("Only a campaign that is not finished can be cancelled."))
        await audit.record(actor, "cancel", "ops_campaign", campaign_id, summary=campaign["title"],
                           before={"status": campaign["status"]}, after={"status": "cancelled"})


# --- unsubscribe ---------------------------------------------------------------------------------------------

def read_unsubscribe(token: str) -> dict:
    """The token's {campaign, user_id, address, channel}; TokenInvalid / TokenExpired pass to the caller."""
    data = unsign(UNSUBSCRIBE, token, max_age=UNSUBSCRIBE_DAYS * 86400)
    return {"campaign": data.get("k"), "user_id": data.get("u"), "address": data.get("a") or "",
            "channel": data.get("c") if data.get("c") in notify.CHANNELS else "all"}


async def unsubscription_target(token: str) -> dict:
    """What the unsubscribe page shows: the masked address or account and the channel."""
    target = read_unsubscribe(token)
    shown = target["address"]
    if target["user_id"]:
        user = await db.fetchrow("SELECT name, email, phone FROM app_user WHERE id = $1", target["user_id"])
        shown = (user or {}).get("email" if target["channel"] == "email" else "phone") or (user or {}).get("name")
    kind = "email" if "@" in (shown or "") else ("phone" if (shown or "").isdigit() else "name")
    target["shown"] = masking.mask(kind, shown or "")
    target["done"] = await db.fetchval(
        "SELECT 1 FROM ops_unsubscription WHERE user_id IS NOT DISTINCT FROM $1 AND address = $2"
        " AND channel IN ($3, 'all')", target["user_id"], target["address"], target["channel"]) is not None
    return target


async def unsubscribe(actor: Actor, token: str, everything: bool) -> dict:
    """Record the unsubscription (once); later campaigns skip this user or address."""
    target = read_unsubscribe(token)
    channel = "all" if everything else target["channel"]
    async with db.transaction():
        added = await db.fetchval(
            "INSERT INTO ops_unsubscription (user_id, address, channel, campaign) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT DO NOTHING RETURNING id", target["user_id"], target["address"], channel,
            target["campaign"])
        if added:
            await audit.record(actor, "unsubscribe", "ops_unsubscription", added,
                               after={"user_id": target["user_id"], "channel": channel,
                                      "campaign": target["campaign"]})
    return target


# --- sending (the ops.campaigns.tick job) ---------------------------------------------------------------------

async def run_tick(now: datetime | None = None, campaign_id: int | None = None) -> dict:
    """Start due scheduled campaigns and send the next throttled share of every sending one."""
    now = now or datetime.now(UTC)
    due = await db.fetch("SELECT id FROM ops_campaign WHERE (status = 'sending' OR (status = 'scheduled'"
                         " AND scheduled_at <= $1)) AND ($2::bigint IS NULL OR id = $2) ORDER BY id", now, campaign_id)
    sent = 0
    for row in due:
        sent += await send_share(row["id"], now)
    return {"campaigns": len(due), "sent": sent}


async def _start(campaign_id: int, now: datetime) -> dict | None:
    """Mark a due campaign sending and materialise its recipients, once (the row lock serialises ticks)."""
    async with db.transaction():
        campaign = _decode(await db.fetchrow("SELECT * FROM ops_campaign WHERE id = $1 FOR UPDATE", campaign_id))
        if campaign is None or campaign["status"] not in ("scheduled", "sending"):
            return None
        if campaign["status"] == "scheduled":
            if campaign["scheduled_at"] > now:
                return None
            campaign = _decode(await db.fetchrow(
                "UPDATE ops_campaign SET status = 'sending', started_at = $2 WHERE id = $1 RETURNING *",
                campaign_id, now))
        if campaign["materialised_at"] is None:
            await _materialise(campaign)
            campaign = _decode(await db.fetchrow(
                "UPDATE ops_campaign SET materialised_at = $2, total = (SELECT count(*) FROM ops_campaign_recipient"
                " WHERE campaign = $1) WHERE id = $1 RETURNING *", campaign_id, now))
    return campaign


async def _materialise(campaign: dict) -> None:
    creator = await _creator(campaign["created_by"])
    audience = await resolve(creator, campaign["audience"], campaign["channels"])
    if audience.addresses:
        await db.execute(
            "INSERT INTO ops_campaign_recipient (campaign, user_id, address, channel)"
            " SELECT $1, NULL, a, c FROM unnest($2::varchar[], $3::varchar[]) AS t(a, c)"
            " ON CONFLICT DO NOTHING", campaign["id"], [a for a, _c in audience.addresses],
            [c for _a, c in audience.addresses])
    else:
        await db.execute(
            "INSERT INTO ops_campaign_recipient (campaign, user_id, address, channel)"
            " SELECT $1, u, '', c FROM unnest($2::bigint[]) AS u, unnest($3::varchar[]) AS c"
            " ORDER BY u, array_position($3::varchar[], c) ON CONFLICT DO NOTHING",
            campaign["id"], audience.user_ids, campaign["channels"])


async def _creator(user_id: int | None) -> Actor:
    """Who created the campaign, with today's permissions and data scope (a records audience is theirs)."""
    from app.core import sessions

    user = (await sessions.state(user_id)).user if user_id else None
    return Actor.of(user) if user is not None else Actor(None, "system", perms=frozenset())


async def send_share(campaign_id: int, now: datetime) -> int:
    """Send what the throttle allows now: throttle × started minutes since the start, minus what is done."""
    campaign = await _start(campaign_id, now)
    if campaign is None:
        return 0
    processed = await db.fetchval("SELECT count(*) FROM ops_campaign_recipient WHERE campaign = $1"
                                  " AND status <> 'queued'", campaign_id)
    minutes = int(max(0.0, (now - campaign["started_at"]).total_seconds()) // 60) + 1
    allowance = campaign["throttle"] * minutes - processed
    sent, cache = 0, {}
    while allowance > 0:
        done = await _send_batch(campaign, min(BATCH, allowance), cache)
        if done == 0:
            break
        sent += done
        allowance -= done
    await _update_counts(campaign_id, now)
    return sent


async def _send_batch(campaign: dict, limit: int, cache: dict) -> int:
    async with db.transaction():
        if await db.fetchval("SELECT status FROM ops_campaign WHERE id = $1", campaign["id"]) != "sending":
            return 0  # cancelled meanwhile
        rows = await db.fetch("SELECT * FROM ops_campaign_recipient WHERE campaign = $1 AND status = 'queued'"
                              " ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED", campaign["id"], limit)
        if not rows:
            return 0
        user_ids = [r["user_id"] for r in rows if r["user_id"]]
        users = {u["id"]: u for u in await db.fetch(
            "SELECT id, name, email, phone, is_active FROM app_user WHERE id = ANY($1::bigint[])", user_ids)}
        addresses = [r["address"] for r in rows if r["address"]]
        addresses += [u[k] for u in users.values() for k in ("email", "phone") if u[k]]
        blocked = await db.fetch("SELECT user_id, address, channel FROM ops_unsubscription WHERE"
                                 " user_id = ANY($1::bigint[]) OR (address <> '' AND address = ANY($2::varchar[]))",
                                 user_ids, addresses)
        for row in rows:
            await deliver(campaign, row, users.get(row["user_id"]), blocked, cache)
    return len(rows)


def _unsubscribed(row: dict, user: dict | None, blocked: list[dict]) -> bool:
    own = {row["address"]} if row["address"] else set()
    if user:
        own |= {user["email"] if row["channel"] == "email" else None, user["phone"] if row["channel"] == "sms"
                else None} - {None}
    return any(b["channel"] in ("all", row["channel"]) and (
        (b["user_id"] is not None and b["user_id"] == row["user_id"]) or (b["address"] and b["address"] in own))
        for b in blocked)


async def _mark(row: dict, status: str, delivery_id: int | None = None, error: str = "") -> None:
    await db.execute("UPDATE ops_campaign_recipient SET status = $2, delivery_id = $3, error = $4,"
                     " processed_at = now() WHERE id = $1 AND status = 'queued'", row["id"], status, delivery_id,
                     error[:1000])


async def deliver(campaign: dict, row: dict, user: dict | None, blocked: list[dict], cache: dict) -> None:
    """One recipient row: skipped (unsubscribed, no address), or handed to the message service and marked sent
    — in the caller's transaction, so the delivery exists exactly when the row says sent."""
    if _unsubscribed(row, user, blocked):
        return await _mark(row, "skipped_unsubscribed")
    channel = row["channel"]
    if row["user_id"] is not None:
        if user is None or not user["is_active"]:
            return await _mark(row, "skipped_no_address", error="account removed or disabled")
        if (channel == "email" and not user["email"]) or (channel == "sms" and not user["phone"]):
            return await _mark(row, "skipped_no_address")
    link = unsubscribe_url(campaign["id"], row["user_id"], row["address"], channel)
    try:
        message = await render_message(campaign, channel, user["name"] if user else "", link, cache)
    except Exception as exc:  # a broken admin template fails this row, not the campaign
        return await _mark(row, "failed", error=str(exc))
    if message is None:
        return await _mark(row, "failed", error=f"no {channel} text in template {campaign['template_code']}")
    data = {"title": message[0], "body": message[1]}
    if row["user_id"] is None:
        delivery_id = await notify.notify_address(channel, row["address"], TEMPLATE, data)
    else:
        await notify.notify([row["user_id"]], TEMPLATE, data, [channel], url=link if channel == "inbox" else "")
        # now() is the transaction's start: the delivery this transaction just wrote for this user and channel
        delivery_id = await db.fetchval(
            "SELECT max(id) FROM delivery_log WHERE user_id = $1 AND channel = $2 AND template_code = $3"
            " AND created_at = now()", row["user_id"], channel, TEMPLATE)
    if delivery_id is None:
        return await _mark(row, "failed", error="the message service refused the message")
    await _mark(row, "sent", delivery_id)


async def _update_counts(campaign_id: int, now: datetime) -> None:
    await db.execute(
        "UPDATE ops_campaign c SET sent = t.sent, failed = t.failed, skipped = t.skipped,"
        " status = CASE WHEN c.status = 'sending' AND t.queued = 0 THEN 'done' ELSE c.status END,"
        " finished_at = CASE WHEN c.status = 'sending' AND t.queued = 0 THEN $2 ELSE c.finished_at END"
        " FROM (SELECT count(*) FILTER (WHERE status = 'sent') AS sent, count(*) FILTER (WHERE status = 'failed')"
        " AS failed, count(*) FILTER (WHERE status LIKE 'skipped%') AS skipped, count(*) FILTER"
        " (WHERE status = 'queued') AS queued FROM ops_campaign_recipient WHERE campaign = $1) t WHERE c.id = $1",
        campaign_id, now)


# --- the delivery report ----------------------------------------------------------------------------------------

async def report(campaign_id: int) -> list[dict]:
    """Per channel: recipients by status, and of those handed over what the delivery log says (delivered,
    waiting, failed)."""
    rows = await db.fetch(
        "SELECT r.channel, count(*) AS total, count(*) FILTER (WHERE r.status = 'queued') AS queued,"
        " count(*) FILTER (WHERE r.status = 'sent') AS sent,"
        " count(*) FILTER (WHERE r.status = 'sent' AND d.status = 'sent') AS delivered,"
        " count(*) FILTER (WHERE r.status = 'sent' AND d.status = 'queued') AS pending,"
        " count(*) FILTER (WHERE r.status = 'failed' OR d.status = 'failed') AS failed,"
        " count(*) FILTER (WHERE r.status = 'skipped_unsubscribed') AS unsubscribed,"
        " count(*) FILTER (WHERE r.status = 'skipped_no_address' OR d.status = 'skipped') AS no_address"
        " FROM ops_campaign_recipient r LEFT JOIN delivery_log d ON d.id = r.delivery_id"
        " WHERE r.campaign = $1 GROUP BY r.channel", campaign_id)
    order = list(notify.CHANNELS)
    return sorted(rows, key=lambda r: order.index(r["channel"]) if r["channel"] in order else 99)


_RECIPIENTS = ("SELECT r.id, r.channel, r.status, r.error, r.processed_at, r.user_id, u.name,"
               " COALESCE(NULLIF(r.address, ''), d.address, '') AS address, d.status AS delivery_status,"
               " d.sent_at AS delivered_at, COALESCE(NULLIF(d.error, ''), r.error) AS problem"
               " FROM ops_campaign_recipient r LEFT JOIN app_user u ON u.id = r.user_id"
               " LEFT JOIN delivery_log d ON d.id = r.delivery_id WHERE r.campaign = $1"
               " AND ($2::varchar = '' OR r.status = $2)")


def _shown(viewer: Actor, row: dict) -> dict:
    row["name"] = masking.shown(viewer, "name", row["name"])
    kind = "email" if "@" in (row["address"] or "") else "phone"
    row["address"] = masking.shown(viewer, kind, row["address"]) if row["channel"] in ("email", "sms") else ""
    return row


async def recipients(viewer: Actor, campaign_id: int, status: str, req: PageRequest) -> Page:
    status = status if status in RECIPIENT_STATUSES else ""
    total = await db.fetchval("SELECT count(*) FROM ops_campaign_recipient WHERE campaign = $1"
                              " AND ($2::varchar = '' OR status = $2)", campaign_id, status)
    rows = await db.fetch(f"{_RECIPIENTS} ORDER BY r.id LIMIT {req.per_page} OFFSET {req.offset}", campaign_id,
                          status)
    return Page([_shown(viewer, r) for r in rows], total, req.page, req.per_page)


EXPORT_COLUMNS = [("name", L("Name")), ("address", L("Address")), ("channel_label", L("Channel")),
                  ("status_label", L("Status")), ("delivery_status", L("Delivery log status")),
                  ("processed_at", L("Handled at")), ("delivered_at", L("Delivered at")), ("problem", L("Error"))]


async def export_rows(viewer: Actor, campaign_id: int, status: str) -> list[dict]:
    status = status if status in RECIPIENT_STATUSES else ""
    rows = await db.fetch(f"{_RECIPIENTS} ORDER BY r.id", campaign_id, status)
    for r in rows:
        _shown(viewer, r)
        r["channel_label"] = str(CHANNELS.get(r["channel"], r["channel"]))
        r["status_label"] = str(RECIPIENT_STATUSES.get(r["status"], r["status"]))
    return rows
