"""Check-in at the door (OPS-02): staff scan the e-ticket's QR on a phone, type its code (no camera, no JS), or
tick people in bulk. A ticket counts once: the UPDATE that stamps `checked_in_at` only matches a ticket not yet
stamped, so two doors scanning the same QR at the same moment give one "ok" and one "already".
A scanner that lost the network keeps its scans (static/js/ops-checkin.js, localStorage) and sends them later
with a client reference each: a scan sent twice is answered from the log, never counted twice.
Every attempt, accepted or refused, is logged in ops_checkin; refusals are audited too."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.core import audit, db, security
from app.core.audit import Actor
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.ops import access, coupons, events, registrations

RESULTS = {"ok": L("Checked in"), "already": L("Already checked in"), "unknown": L("No such ticket"),
           "other_event": L("This ticket is for another event"),
           "not_confirmed": L("This ticket is not confirmed (cancelled, waiting or not approved)")}
TOKEN_MAX_AGE = 400 * 24 * 3600  # a ticket's QR stays readable for the event's lifetime
MAX_SYNC = 500
OFFLINE_MAX_AGE = timedelta(days=2)  # an offline scan older than this is refused as stale


@dataclass(frozen=True)
class Outcome:
    result: str
    registration_id: int | None = None
    name: str = ""
    ticket: str = ""
    checked_in_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.result == "ok"

    @property
    def message(self) -> str:
        return str(RESULTS[self.result])


def parse(raw: str) -> tuple[int | None, str]:
    """(registration id, code) from a scanned QR (a signed token) or a typed code."""
    raw = (raw or "").strip()
    if "." in raw and len(raw) > 20:
        try:
            data = security.unsign(registrations.TICKET_PURPOSE, raw, max_age=TOKEN_MAX_AGE)
            return int(data["r"]), str(data["c"])
        except Exception:  # forged, damaged or expired: treated as an unknown ticket
            return None, ""
    return None, raw.upper().replace(" ", "").replace("-", "")[:16]


async def _record(actor: Actor, event_id: int, outcome: Outcome, code: str, method: str, client_ref: str | None,
                  scanned_at: datetime) -> None:
    await db.execute("INSERT INTO ops_checkin (event, registration, code, result, method, client_ref, scanned_at,"
                     " staff) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING", event_id,
                     outcome.registration_id, code[:64], outcome.result, method, client_ref, scanned_at, actor.id)
    if not outcome.ok:
        await audit.record(actor, "checkin_refused", "ops_event", event_id,
                           after={"result": outcome.result, "code": code[:64], "method": method},
                           summary=str(RESULTS[outcome.result]))


async def _replayed(client_ref: str) -> Outcome | None:
    row = await db.fetchrow("SELECT c.result, c.registration, r.name, r.checked_in_at FROM ops_checkin c LEFT JOIN"
                            " ops_registration r ON r.id = c.registration WHERE c.client_ref = $1", client_ref)
    if row is None:
        return None
    return Outcome(row["result"], row["registration"], row["name"] or "", "", row["checked_in_at"])


async def check_in(actor: Actor, event_id: int, raw: str, *, method: str = "code", client_ref: str | None = None,
                   scanned_at: datetime | None = None) -> Outcome:
    event = await events.get_event(event_id)
    if not await access.may_check_in(actor, event):
        raise access.NotAllowed()
    client_ref = (client_ref or "").strip()[:64] or None
    if client_ref and (seen := await _replayed(client_ref)):
        return seen
    now = datetime.now(UTC)
    scanned_at = min(scanned_at or now, now)
    reg_id, code = parse(raw)
    async with db.transaction():
        row = None
        if code:
            row = await db.fetchrow("SELECT r.*, t.name AS ticket_name FROM ops_registration r JOIN ops_ticket_type t"
                                    " ON t.id = r.ticket_type WHERE r.code = $1", code)
        if row is not None and reg_id is not None and row["id"] != reg_id:
            row = None
        if row is None:
            outcome = Outcome("unknown")
        elif row["event"] != event_id:
            outcome = Outcome("other_event", None, "", row["ticket_name"])
        elif row["status"] != "confirmed":
            outcome = Outcome("not_confirmed", row["id"], row["name"], row["ticket_name"])
        else:
            stamped = await db.fetchval("UPDATE ops_registration SET checked_in_at = $2, checked_in_by = $3"
                                        " WHERE id = $1 AND checked_in_at IS NULL RETURNING checked_in_at",
                                        row["id"], scanned_at, actor.id)
            outcome = Outcome("ok" if stamped else "already", row["id"], row["name"], row["ticket_name"],
                              stamped or row["checked_in_at"])
            if stamped:  # OPS-08: the event's "on check-in" coupons, once per registration
                await coupons.issue_for_event("checkin", event_id, row["user"], row["id"])
        await _record(actor, event_id, outcome, code, method, client_ref, scanned_at)
    return outcome


async def sync(actor: Actor, event_id: int, scans: list[dict]) -> list[dict]:
    """Offline scans sent when the network is back: [{"code", "ref", "at" (ISO time), "method" (optional: scan or
    code, for a scan the page sent at once)}] → one result each."""
    out = []
    now = datetime.now(UTC)
    for scan in scans[:MAX_SYNC]:
        ref = str(scan.get("ref") or "")[:64]
        try:
            at = datetime.fromisoformat(str(scan.get("at"))) if scan.get("at") else now
            at = at if at.tzinfo else at.replace(tzinfo=UTC)
        except ValueError:
            at = now
        if now - at > OFFLINE_MAX_AGE:
            at = now
        method = scan.get("method") if scan.get("method") in ("scan", "code") else "offline"  # online JS scans too
        outcome = await check_in(actor, event_id, str(scan.get("code") or ""), method=method, client_ref=ref or None,
                                 scanned_at=at)
        out.append({"ref": ref, "result": outcome.result, "message": outcome.message, "name": outcome.name})
    return out


async def bulk(actor: Actor, event_id: int, registration_ids: list[int]) -> int:
    """Tick several confirmed people in at once (the desk's list); returns how many were newly checked in."""
    event = await events.get_event(event_id)
    if not await access.may_check_in(actor, event):
        raise access.NotAllowed()
    async with db.transaction():
        rows = await db.fetch("UPDATE ops_registration SET checked_in_at = now(), checked_in_by = $3 WHERE event = $1"
                              " AND id = ANY($2::bigint[]) AND status = 'confirmed' AND checked_in_at IS NULL"
                              " RETURNING id, code, \"user\"", event_id, [int(i) for i in registration_ids], actor.id)
        for row in rows:
            await coupons.issue_for_event("checkin", event_id, row["user"], row["id"])
            await db.execute("INSERT INTO ops_checkin (event, registration, code, result, method, staff)"
                             " VALUES ($1, $2, $3, 'ok', 'bulk', $4)", event_id, row["id"], row["code"], actor.id)
        await audit.record(actor, "checkin_bulk", "ops_event", event_id,
                           after={"registrations": [r["id"] for r in rows]},
                           summary=_("%(n)s checked in", n=len(rows)))
    return len(rows)


async def door_counts(event_id: int) -> dict[str, int]:
    row = await db.fetchrow("SELECT count(*) FILTER (WHERE status = 'confirmed') AS expected,"
                            " count(checked_in_at) AS arrived FROM ops_registration WHERE event = $1", event_id)
    return {"expected": row["expected"], "arrived": row["arrived"]}


async def recent(event_id: int, limit: int = 10) -> list[dict]:
    return await db.fetch("SELECT c.result, c.method, c.scanned_at, r.name FROM ops_checkin c LEFT JOIN"
                          " ops_registration r ON r.id = c.registration WHERE c.event = $1 ORDER BY c.id DESC"
                          " LIMIT $2", event_id, limit)
