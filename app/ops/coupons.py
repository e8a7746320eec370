"""E-coupons and cards (OPS-08): types (meal, parking, discount …), issued by hand to chosen people or by
themselves when someone signs up for or checks in at an event (once per type, person and source: a unique index,
so a replayed check-in issues nothing twice); the alumnus's wallet; redemption once — by the holder when the type
allows it, or by a staff member the type lists scanning or typing the coupon's code. Every issue and redemption
is audited; a refused redemption too."""
from __future__ import annotations

import json
from datetime import UTC, datetime

from app.core import audit, db, notify, security
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.ops import access, codes
from app.ops.access import NotFound

KINDS = {"meal": L("Meal coupon"), "parking": L("Parking coupon"), "discount": L("Discount coupon"),
         "gift": L("Gift card"), "other": L("Other")}
ISSUE_ON = {"manual": L("By hand"), "signup": L("On event signup"), "checkin": L("On event check-in")}
STATUSES = {"issued": L("Valid"), "redeemed": L("Used"), "void": L("Void")}
TOKEN_PURPOSE = "ops.coupon"
TEMPLATE = "ops_coupon_issued"
notify.DEFAULT_TEMPLATES.setdefault(TEMPLATE, (L("Coupon received"), {
    "inbox": (L("You received a coupon: {{ name }}"), L("“{{ name }}” is in your wallet (My coupons).")),
}))


def coupon_token(coupon: dict) -> str:
    return security.sign(TOKEN_PURPOSE, {"c": coupon["code"]})


async def save_type(actor: Actor, values: dict, type_id: int | None = None) -> int:
    if not actor.can(access.MANAGE):
        raise access.NotAllowed()
    name = (values.get("name") or "").strip()
    if not name:
        raise Invalid("name", _("This field is required."))
    kind, issue_on = values.get("kind") or "meal", values.get("issue_on") or "manual"
    if kind not in KINDS:
        raise Invalid("kind", _("Choose from the list."))
    if issue_on not in ISSUE_ON:
        raise Invalid("issue_on", _("Choose from the list."))
    event = values.get("event") or None
    if issue_on != "manual" and not event:
        raise Invalid("event", _("Choose the event whose signups or check-ins receive it."))
    redeemers = [int(u) for u in values.get("redeemers") or []]
    fields = {"name": name[:100], "kind": kind, "description": (values.get("description") or "").strip()[:500],
              "valid_from": values.get("valid_from"), "valid_to": values.get("valid_to"), "issue_on": issue_on,
              "event": event, "self_redeem": bool(values.get("self_redeem")), "redeemers": redeemers}
    async with db.transaction():
        if type_id:
            await db.execute("UPDATE ops_coupon_type SET name = $2, kind = $3, description = $4, valid_from = $5,"
                             " valid_to = $6, issue_on = $7, event = $8, self_redeem = $9, redeemers = $10::jsonb,"
                             " updated_at = now(), updated_by = $11 WHERE id = $1", type_id, *list(fields.values())[:8],
                             json.dumps(redeemers), actor.id)
            await audit.record(actor, "update", "ops_coupon_type", type_id, after=fields, summary=name)
            return type_id
        new_id = await db.fetchval(
            "INSERT INTO ops_coupon_type (name, kind, description, valid_from, valid_to, issue_on, event, self_redeem,"
            " redeemers, created_by, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $10)"
            " RETURNING id", *list(fields.values())[:8], json.dumps(redeemers), actor.id)
        await audit.record(actor, "create", "ops_coupon_type", new_id, after=fields, summary=name)
        return new_id


async def types() -> list[dict]:
    return await db.fetch("SELECT t.*, (SELECT count(*) FROM ops_coupon c WHERE c.type = t.id) AS issued,"
                          " (SELECT count(*) FROM ops_coupon c WHERE c.type = t.id AND c.status = 'redeemed')"
                          " AS redeemed FROM ops_coupon_type t ORDER BY t.id DESC")


async def _issue(type_row: dict, user_id: int, source_ref: str, actor: Actor) -> int | None:
    coupon_id = await db.fetchval(
        "INSERT INTO ops_coupon (type, \"user\", code, source_ref, issued_by) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (type, \"user\", source_ref) WHERE source_ref <> '' DO NOTHING RETURNING id",
        type_row["id"], user_id, codes.new_code(12), source_ref, actor.id)
    if coupon_id:
        await audit.record(actor, "issue", "ops_coupon", coupon_id, after={"type": type_row["id"], "user": user_id,
                           "source": source_ref}, summary=type_row["name"])
        await notify.notify([user_id], TEMPLATE, {"name": type_row["name"]}, url="/h5/coupons")
    return coupon_id


async def issue_manually(actor: Actor, type_id: int, user_ids: list[int]) -> int:
    if not actor.can(access.MANAGE):
        raise access.NotAllowed()
    type_row = await db.fetchrow("SELECT * FROM ops_coupon_type WHERE id = $1", type_id)
    if type_row is None:
        raise NotFound()
    count = 0
    async with db.transaction():
        for user_id in dict.fromkeys(user_ids):
            count += bool(await _issue(type_row, int(user_id), "", actor))
    return count


async def issue_for_event(trigger: str, event_id: int, user_id: int, registration_id: int) -> int:
    """Automatic issuing (in the caller's transaction): the event's coupon types for this trigger, once each."""
    rows = await db.fetch("SELECT * FROM ops_coupon_type WHERE event = $1 AND issue_on = $2 AND enabled", event_id,
                          trigger)
    count = 0
    for row in rows:
        count += bool(await _issue(row, user_id, f"{trigger}:{registration_id}", audit.SYSTEM))
    return count


COUPON_COLUMNS = ("c.*, t.name, t.kind, t.description, t.valid_from, t.valid_to, t.self_redeem, t.redeemers")


def _shape(row: dict) -> dict:
    now = datetime.now(UTC)
    row["expired"] = bool(row["valid_to"] and now > row["valid_to"])
    row["not_yet"] = bool(row["valid_from"] and now < row["valid_from"])
    row["status_label"] = str(STATUSES[row["status"]])
    row["kind_label"] = str(KINDS.get(row["kind"], row["kind"]))
    return row


async def wallet(user_id: int) -> list[dict]:
    rows = await db.fetch(f"SELECT {COUPON_COLUMNS} FROM ops_coupon c JOIN ops_coupon_type t ON t.id = c.type"
                          " WHERE c.\"user\" = $1 ORDER BY (c.status = 'issued') DESC, c.issued_at DESC LIMIT 200",
                          user_id)
    return [_shape(r) for r in rows]


async def get_coupon(actor: Actor, coupon_id: int) -> dict:
    row = await db.fetchrow(f"SELECT {COUPON_COLUMNS} FROM ops_coupon c JOIN ops_coupon_type t ON t.id = c.type"
                            " WHERE c.id = $1", coupon_id)
    if row is None or row["user"] != actor.id:
        raise NotFound()
    return _shape(row)


def _parse(raw: str) -> str:
    raw = (raw or "").strip()
    if "." in raw and len(raw) > 20:
        try:
            return str(security.unsign(TOKEN_PURPOSE, raw, max_age=400 * 86400)["c"])
        except Exception:
            return ""
    return raw.upper().replace(" ", "").replace("-", "")[:16]


async def redeem(actor: Actor, raw: str, *, by_holder: bool = False) -> dict:
    """Use a coupon once: the holder (by_holder, when the type allows it) or listed staff (its code or QR).
    Returns the coupon; Conflict with the reason otherwise (audited)."""
    code = _parse(raw)
    async with db.transaction():
        row = await db.fetchrow(f"SELECT {COUPON_COLUMNS} FROM ops_coupon c JOIN ops_coupon_type t ON t.id = c.type"
                                " WHERE c.code = $1 FOR UPDATE OF c", code) if code else None
        problem = ""
        if row is None:
            problem = _("No such coupon.")
        else:
            row = _shape(row)
            redeemers = json.loads(row["redeemers"]) if isinstance(row["redeemers"], str) else row["redeemers"]
            if by_holder and (row["user"] != actor.id or not row["self_redeem"]):
                problem = _("This coupon is redeemed by the staff at the counter.")
            elif not by_holder and actor.id not in (redeemers or []) and not actor.is_superuser:
                problem = _("You are not a redeemer of this kind of coupon.")
            elif row["status"] == "redeemed":
                problem = _("This coupon was already used at %(when)s.",
                            when=f"{row['redeemed_at'].astimezone():%Y-%m-%d %H:%M}")
            elif row["status"] != "issued":
                problem = _("This coupon is void.")
            elif row["expired"] or row["not_yet"]:
                problem = _("This coupon is not valid now.")
        if not problem:
            await db.execute("UPDATE ops_coupon SET status = 'redeemed', redeemed_at = now(), redeemed_by = $2"
                             " WHERE id = $1", row["id"], actor.id)
            await audit.record(actor, "redeem", "ops_coupon", row["id"], after={"by_holder": by_holder},
                               summary=row["name"])
            row["status"] = "redeemed"
    if problem:
        await audit.record(actor, "redeem_refused", "ops_coupon", row["id"] if row else "", after={"code": code},
                           summary=problem)
        raise Conflict(problem)
    return row
