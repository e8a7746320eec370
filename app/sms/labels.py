"""Translated labels of the state codes the SMS pages show (SMS-05/09): the database keeps the codes,
the pages show these. `label(kind, code)` falls back to the code itself for a code added later, so a page
never breaks, and test_labels keeps every code the platform writes covered."""
from __future__ import annotations

from app.core.i18n import lazy as L
from app.sms import accounts

MESSAGE_STATUS = {"scheduled": L("Scheduled"), "queued": L("Queued"), "submitting": L("Submitting"),
                  "submitted": L("Submitted"), "delivered": L("Delivered"), "failed": L("Failed"),
                  "expired": L("Expired"), "rejected": L("Rejected"), "cancelled": L("Cancelled"),
                  "unknown": L("Unknown (needs review)")}  # no receipt within the window (job sms.unconfirmed)
BATCH_STATUS = {"scheduled": L("Scheduled"), "queued": L("Queued"), "done": L("Done"), "cancelled": L("Cancelled")}
SOURCE = {"console": L("Console"), "api": L("HTTP API"), "notify": L("System notification"), "resend": L("Resend")}
ENCODING = {"gsm7": L("GSM-7 (Latin)"), "ucs2": L("UCS-2 (Chinese)")}
ALERT_LEVEL = {"warning": L("Warning"), "critical": L("Critical")}
ALERT_KIND = {"low_balance": L("Low balance"), "queue_depth": L("Queue depth"), "failure_rate": L("Failure rate"),
              "channel_down": L("Channel down")}
ACCOUNT_STATUS = accounts.STATUSES

KINDS = {"message_status": MESSAGE_STATUS, "batch_status": BATCH_STATUS, "source": SOURCE, "encoding": ENCODING,
         "alert_level": ALERT_LEVEL, "alert_kind": ALERT_KIND, "account_status": ACCOUNT_STATUS}


def label(kind: str, code: str | None) -> str:
    if not code:
        return ""
    return str(KINDS[kind].get(code, code))
