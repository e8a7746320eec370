"""Read side of the HTTP API (SMS-01): message and batch status, delivery reports and replies pulled
by cursor. Cursors are sms_message.report_seq and sms_mo.id: both are assigned only by the
dispatcher's single, sequential writer, so a cursor never skips a row committed later."""
from __future__ import annotations

from datetime import datetime

from app.core import db


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def message_json(r: dict) -> dict:
    return {"id": r["id"], "batch_id": r["batch"], "to": r["phone"], "status": r["status"], "reason": r["reason"],
            "segments": r["segments"], "encoding": r["encoding"], "attempts": r["attempt"],
            "created_at": _iso(r["created_at"]), "submitted_at": _iso(r["submitted_at"]),
            "done_at": _iso(r["done_at"])}


async def message(account_id: int, message_id: int) -> dict | None:
    r = await db.fetchrow("SELECT * FROM sms_message WHERE id = $1 AND account = $2", message_id, account_id)
    return message_json(r) if r else None


async def batch(account_id: int, batch_id: int) -> dict | None:
    b = await db.fetchrow("SELECT * FROM sms_batch WHERE id = $1 AND account = $2", batch_id, account_id)
    if b is None:
        return None
    counts = await db.fetch("SELECT status, count(*) AS n FROM sms_message WHERE batch = $1 GROUP BY status",
                            batch_id)
    return {"id": b["id"], "source": b["source"], "status": b["status"], "total": b["total"],
            "accepted": b["accepted"], "rejected": b["rejected"], "segments": b["segments"], "cost": b["cost"],
            "scheduled_at": _iso(b["scheduled_at"]), "created_at": _iso(b["created_at"]),
            "statuses": {r["status"]: r["n"] for r in counts}}


async def reports_since(account_id: int, cursor: int, limit: int) -> tuple[list[dict], int]:
    """Final states (delivered / failed / expired / rejected) after `cursor`, oldest first."""
    rows = await db.fetch("SELECT * FROM sms_message WHERE account = $1 AND report_seq > $2"
                          " ORDER BY report_seq LIMIT $3", account_id, cursor, limit)
    items = [{**message_json(r), "cursor": r["report_seq"]} for r in rows]
    return items, (rows[-1]["report_seq"] if rows else cursor)


async def mo_since(account_id: int, cursor: int, limit: int) -> tuple[list[dict], int]:
    rows = await db.fetch("SELECT * FROM sms_mo WHERE account = $1 AND id > $2 ORDER BY id LIMIT $3",
                          account_id, cursor, limit)
    items = [{"id": r["id"], "from": r["sender"], "to": r["to"], "text": r["text"],
              "received_at": _iso(r["received_at"]), "reply_to": r["reply_to"]} for r in rows]
    return items, (rows[-1]["id"] if rows else cursor)
