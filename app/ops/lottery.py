"""Lucky draws (OPS-07), provably fair.

Commit: publishing draws a 32-byte seed with `secrets` and shows only SHA-256(seed). Draw: each draw takes the next
number n of its lottery (one UPDATE, so draws of a lottery are serialised and numbered without gaps) and computes
v = first 8 bytes of HMAC-SHA256(seed, "<lottery id>:<n>"); r = v mod 10 000 picks the prize whose cumulative
chance (basis points, in prize order) first exceeds r — a prize whose stock is gone gives nothing, the
remaining chance is "no prize". Reveal: closing publishes the seed; `verify` (and anyone with the public log) checks
SHA-256(seed) against the hash shown from the start and recomputes every draw in number order, stock included.
The prize table is frozen once the lottery opens. Eligibility: time window, draws per person in all and per day,
verified alumni only."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.ops import access
from app.ops.access import NotFound
from app.records import api as records

STYLES = {"wheel": L("Wheel"), "grid": L("Nine-grid")}
STATUSES = {"draft": L("Draft"), "open": L("Open for draws"), "closed": L("Closed")}
BASIS = 10_000


@dataclass(frozen=True)
class DrawResult:
    number: int
    prize_id: int | None
    prize_name: str
    slot: int  # the wheel / grid position to stop at (prize order; the last slot is "no prize")


def draw_value(seed_hex: str, lottery_id: int, number: int) -> int:
    digest = hmac.new(bytes.fromhex(seed_hex), f"{lottery_id}:{number}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big")


def pick(value: int, prizes: list[dict], given: dict[int, int]) -> dict | None:
    """The prize a draw value wins (None: no prize), given how many of each prize are already out."""
    r, cumulative = value % BASIS, 0
    for prize in prizes:
        cumulative += prize["chance"]
        if r < cumulative:
            return prize if given.get(prize["id"], 0) < prize["stock"] else None
    return None


async def get(lottery_id: int) -> dict:
    row = await db.fetchrow("SELECT * FROM ops_lottery WHERE id = $1", lottery_id)
    if row is None:
        raise NotFound()
    row["status_label"] = str(STATUSES[row["status"]])
    return row


async def prizes(lottery_id: int) -> list[dict]:
    return await db.fetch("SELECT * FROM ops_lottery_prize WHERE lottery = $1 ORDER BY sort, id", lottery_id)


def _require(actor: Actor) -> None:
    if not actor.can(access.MANAGE):
        raise access.NotAllowed()


async def create(actor: Actor, values: dict) -> int:
    _require(actor)
    title = (values.get("title") or "").strip()
    if not title:
        raise Invalid("title", _("This field is required."))
    style = values.get("style") or "wheel"
    if style not in STYLES:
        raise Invalid("style", _("Choose from the list."))
    per_user, per_day = int(values.get("per_user") or 1), int(values.get("per_day") or 1)
    if not (1 <= per_day <= per_user <= 100):
        raise Invalid("per_day", _("Draws per day must be between 1 and the draws per person (at most 100)."))
    starts, ends = values.get("starts_at"), values.get("ends_at")
    if starts and ends and ends <= starts:
        raise Invalid("ends_at", _("The end is before the start."))
    async with db.transaction():
        lottery_id = await db.fetchval(
            "INSERT INTO ops_lottery (title, description, style, starts_at, ends_at, per_user, per_day, verified_only,"
            " created_by, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id", title[:200],
            (values.get("description") or "").strip()[:2000], style, starts, ends, per_user, per_day,
            bool(values.get("verified_only")), actor.id)
        await audit.record(actor, "create", "ops_lottery", lottery_id, after={"title": title, "style": style},
                           summary=title)
    return lottery_id


async def add_prize(actor: Actor, lottery_id: int, name: str, stock: int, chance: int) -> int:
    _require(actor)
    name = (name or "").strip()
    if not name:
        raise Invalid("name", _("This field is required."))
    if not 1 <= stock <= 1_000_000:
        raise Invalid("stock", _("Between %(lo)s and %(hi)s.", lo=1, hi=1_000_000))
    async with db.transaction():
        lottery = await db.fetchrow("SELECT status FROM ops_lottery WHERE id = $1 FOR UPDATE", lottery_id)
        if lottery is None:
            raise NotFound()
        if lottery["status"] != "draft":
            raise Conflict(_("The prizes are fixed once the lottery is open."))
        total = await db.fetchval("SELECT COALESCE(sum(chance), 0) FROM ops_lottery_prize WHERE lottery = $1",
                                  lottery_id)
        if not 1 <= chance <= BASIS - total:
            raise Invalid("chance", _("The chances of all prizes add up to at most 100%% (%(left)s basis points"
                                      " left).", left=BASIS - total))
        prize_id = await db.fetchval(
            "INSERT INTO ops_lottery_prize (lottery, name, stock, chance, sort, created_by, updated_by) VALUES"
            " ($1, $2, $3, $4, (SELECT COALESCE(max(sort), 0) + 1 FROM ops_lottery_prize WHERE lottery = $1), $5, $5)"
            " RETURNING id", lottery_id, name[:100], stock, chance, actor.id)
        await audit.record(actor, "create", "ops_lottery_prize", prize_id,
                           after={"name": name, "stock": stock, "chance": chance}, summary=name)
    return prize_id


async def open_lottery(actor: Actor, lottery_id: int) -> str:
    """Publish: the seed is drawn now and only its hash shown; returns the hash."""
    _require(actor)
    seed = secrets.token_bytes(32).hex()
    seed_hash = hashlib.sha256(bytes.fromhex(seed)).hexdigest()
    async with db.transaction():
        row = await db.fetchrow("SELECT status, title FROM ops_lottery WHERE id = $1 FOR UPDATE", lottery_id)
        if row is None:
            raise NotFound()
        if row["status"] != "draft":
            raise Conflict(_("Only a draft lottery can be opened."))
        if not await db.fetchval("SELECT 1 FROM ops_lottery_prize WHERE lottery = $1", lottery_id):
            raise Conflict(_("Add at least one prize first."))
        await db.execute("UPDATE ops_lottery SET status = 'open', seed = $2, seed_hash = $3, updated_at = now(),"
                         " updated_by = $4 WHERE id = $1", lottery_id, seed, seed_hash, actor.id)
        await audit.record(actor, "open", "ops_lottery", lottery_id, after={"seed_hash": seed_hash},
                           summary=row["title"])
    return seed_hash


async def close_lottery(actor: Actor, lottery_id: int) -> str:
    """End the draws and reveal the seed; returns it."""
    _require(actor)
    async with db.transaction():
        row = await db.fetchrow("SELECT status, title, seed FROM ops_lottery WHERE id = $1 FOR UPDATE", lottery_id)
        if row is None:
            raise NotFound()
        if row["status"] != "open":
            raise Conflict(_("Only an open lottery can be closed."))
        await db.execute("UPDATE ops_lottery SET status = 'closed', revealed_at = now(), updated_at = now(),"
                         " updated_by = $2 WHERE id = $1", lottery_id, actor.id)
        await audit.record(actor, "close", "ops_lottery", lottery_id, after={"seed": row["seed"]},
                           summary=row["title"])
    return row["seed"]


async def allowance(user_id: int, lottery: dict) -> tuple[int, int]:
    """(draws left in all, draws left today) for this person."""
    row = await db.fetchrow(
        "SELECT count(*) AS total, count(*) FILTER (WHERE drawn_at >= date_trunc('day', now() AT TIME ZONE"
        " 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai') AS today FROM ops_lottery_draw WHERE lottery = $1"
        " AND \"user\" = $2", lottery["id"], user_id)
    return max(0, lottery["per_user"] - row["total"]), max(0, lottery["per_day"] - row["today"])


async def draw(actor: Actor, lottery_id: int) -> DrawResult:
    """One draw for `actor`; Conflict when the lottery is not open or the person has no draw left (audited)."""
    if actor.id is None:
        raise access.NotAllowed()
    lottery = await get(lottery_id)
    now = datetime.now(UTC)
    if lottery["status"] != "open" or (lottery["starts_at"] and now < lottery["starts_at"]) \
            or (lottery["ends_at"] and now > lottery["ends_at"]):
        raise Conflict(_("This lottery is not open now."))
    if lottery["verified_only"] and not await records.is_linked_user(actor.id):
        raise Conflict(_("This lottery is for verified alumni: verify your alumni identity first."))
    refused = None
    async with db.transaction():
        await db.execute("SELECT pg_advisory_xact_lock($1::int, $2::int)", 700_000 + lottery_id % 1_000_000,
                         actor.id)
        left, today = await allowance(actor.id, lottery)
        if not left or not today:
            refused = (left, today)
        else:
            result = await _draw_locked(actor, lottery)
    if refused is not None:  # audited outside the (empty) transaction so the refusal's record stays
        await audit.record(actor, "draw_refused", "ops_lottery", lottery_id,
                           after={"left": refused[0], "today": refused[1]}, summary=lottery["title"])
        raise Conflict(_("You have used all your draws.") if not refused[0]
                       else _("No draws left today: come back tomorrow."))
    return result


async def _draw_locked(actor: Actor, lottery: dict) -> DrawResult:
    """The draw itself, inside draw()'s transaction."""
    lottery_id = lottery["id"]
    number = await db.fetchval("UPDATE ops_lottery SET draws = draws + 1 WHERE id = $1 RETURNING draws",
                               lottery_id)  # locks the lottery row: draws are evaluated in number order
    items = await db.fetch("SELECT * FROM ops_lottery_prize WHERE lottery = $1 ORDER BY sort, id", lottery_id)
    value = draw_value(lottery["seed"], lottery_id, number)
    won = pick(value, items, {p["id"]: p["given"] for p in items})
    if won is not None:
        await db.execute("UPDATE ops_lottery_prize SET given = given + 1 WHERE id = $1 AND given < stock",
                         won["id"])
    await db.execute("INSERT INTO ops_lottery_draw (lottery, number, \"user\", value, prize) VALUES"
                     " ($1, $2, $3, $4, $5)", lottery_id, number, actor.id, value - (1 << 63),
                     won["id"] if won else None)
    await audit.record(actor, "draw", "ops_lottery", lottery_id,
                       after={"number": number, "prize": won["name"] if won else None}, summary=lottery["title"])
    slot = next((i for i, p in enumerate(items) if won and p["id"] == won["id"]), len(items))
    return DrawResult(number, won["id"] if won else None, won["name"] if won else "", slot)


async def public_log(lottery_id: int) -> list[dict]:
    """Every draw in number order (value as the unsigned number it was), for the verification page."""
    rows = await db.fetch("SELECT d.number, d.value, d.prize, d.drawn_at, p.name AS prize_name, u.name AS user_name"
                          " FROM ops_lottery_draw d JOIN app_user u ON u.id = d.\"user\" LEFT JOIN ops_lottery_prize p"
                          " ON p.id = d.prize WHERE d.lottery = $1 ORDER BY d.number", lottery_id)
    for row in rows:
        row["value"] = row["value"] + (1 << 63)
    return rows


async def verify(lottery_id: int) -> dict:
    """Recompute the lottery from its revealed seed: the hash matches, every draw's value and prize match, numbers
    have no gaps. Returns {"hash_ok", "draws", "mismatches": [number …]}."""
    lottery = await get(lottery_id)
    if lottery["status"] != "closed":
        raise Conflict(_("The seed is revealed when the lottery closes."))
    hash_ok = hashlib.sha256(bytes.fromhex(lottery["seed"])).hexdigest() == lottery["seed_hash"]
    items = await prizes(lottery_id)
    given: dict[int, int] = {}
    mismatches = []
    log = await public_log(lottery_id)
    for expected_number, row in enumerate(log, 1):
        value = draw_value(lottery["seed"], lottery_id, row["number"])
        won = pick(value, items, given)
        if won is not None:
            given[won["id"]] = given.get(won["id"], 0) + 1
        if row["number"] != expected_number or value != row["value"] or (won["id"] if won else None) != row["prize"]:
            mismatches.append(row["number"])
    return {"hash_ok": hash_ok, "draws": len(log), "mismatches": mismatches}


async def winners(lottery_id: int) -> list[dict]:
    return [r for r in await public_log(lottery_id) if r["prize"]]
