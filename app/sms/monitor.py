"""The platform monitor (SMS-09): queue depth, dispatch rate, failures, channel health and the open
alerts, read live from the tables (the dispatcher raises the alerts, see alerts.py)."""
from __future__ import annotations

from app.core import audit, db
from app.core.audit import Actor
from app.sms import alerts, channel_config


async def snapshot() -> dict:
    """Queue depth by status, dispatch rate over the last minutes, channels and open alerts."""
    depth = await db.fetch("SELECT status, count(*) AS n FROM sms_message WHERE status IN"
                           " ('scheduled', 'queued', 'submitting', 'submitted') GROUP BY status ORDER BY status")
    rate = await db.fetch(
        "SELECT to_char(date_trunc('minute', submitted_at), 'HH24:MI') AS label, count(*) AS value FROM sms_message"
        " WHERE submitted_at >= now() - interval '10 minutes' GROUP BY date_trunc('minute', submitted_at) ORDER BY 1")
    failure = await db.fetchrow(
        "SELECT count(*) FILTER (WHERE status IN ('failed', 'expired', 'rejected')) AS failed, count(*) AS total"
        " FROM sms_message WHERE done_at >= now() - interval '1 hour'")
    open_alerts = await db.fetch(
        "SELECT al.*, a.name AS account_name FROM sms_alert al LEFT JOIN sms_account a ON a.id = al.account"
        " WHERE al.acknowledged_at IS NULL ORDER BY al.created_at DESC LIMIT 100")
    return {"depth": {r["status"]: r["n"] for r in depth}, "rate": rate, "failed": failure["failed"],
            "finished": failure["total"], "channels": await channel_config.list_channels(), "alerts": open_alerts}


async def acknowledge_alert(actor: Actor, alert_id: int) -> None:
    async with db.transaction():
        await alerts.acknowledge(alert_id, user_id=actor.id)
        await audit.record(actor, "sms.alert.ack", "sms_alert", alert_id)
