"""Alerts of the SMS platform (SMS-09): low balance, queue depth, failure rate, channel down. The same
kind for the same account is not repeated while an earlier one is unacknowledged."""
from __future__ import annotations

from app.core import db


async def raise_alert(kind: str, level: str, message: str, account_id: int | None = None) -> int | None:
    """Record an alert; returns its id, or None when an open alert of this kind already exists."""
    open_id = await db.fetchval("SELECT id FROM sms_alert WHERE kind = $1 AND account IS NOT DISTINCT FROM $2"
                                " AND acknowledged_at IS NULL", kind, account_id)
    if open_id:
        return None
    return await db.fetchval("INSERT INTO sms_alert (account, kind, level, message) VALUES ($1, $2, $3, $4)"
                             " RETURNING id", account_id, kind, level, message)


async def acknowledge(alert_id: int, *, user_id: int | None) -> None:
    await db.execute("UPDATE sms_alert SET acknowledged_by = $2, acknowledged_at = now() WHERE id = $1"
                     " AND acknowledged_at IS NULL", alert_id, user_id)


async def open_alerts(limit: int = 50) -> list[dict]:
    return await db.fetch("SELECT * FROM sms_alert WHERE acknowledged_at IS NULL ORDER BY created_at DESC LIMIT $1",
                          limit)


async def check_platform(*, backlog_minutes: int = 5, failure_share: float = 0.2, min_messages: int = 50) -> list[str]:
    """Periodic health checks of the dispatcher (SMS-09): messages due for longer than `backlog_minutes`
    (queue not draining), and the share of failures among messages finished in the last 10 minutes.
    Returns the kinds raised."""
    raised = []
    stuck = await db.fetchval("SELECT count(*) FROM sms_message WHERE status = 'queued'"
                              " AND next_attempt_at < now() - make_interval(mins => $1)", backlog_minutes)
    if stuck and await raise_alert("queue_depth", "critical",
                                   f"{stuck} messages have waited more than {backlog_minutes} minutes"):
        raised.append("queue_depth")
    row = await db.fetchrow("SELECT count(*) AS n, count(*) FILTER (WHERE status <> 'delivered') AS bad"
                            " FROM sms_message WHERE done_at > now() - interval '10 minutes'"
                            " AND status IN ('delivered', 'failed', 'expired', 'rejected')")
    if row["n"] >= min_messages and row["bad"] / row["n"] > failure_share and await raise_alert(
            "failure_rate", "warning", f"{row['bad']} of {row['n']} messages failed in the last 10 minutes"):
        raised.append("failure_rate")
    return raised
