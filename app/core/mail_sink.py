"""Local SMTP sink for dev and tests: a real SMTP server (aiosmtpd) that stores every mail it
receives in dev_mail, shown at /admin/dev/mailbox. Never used when TC_DEV is off."""
from __future__ import annotations

import asyncio
import os
from email import message_from_bytes, policy

import asyncpg
from aiosmtpd.controller import Controller


class StoreHandler:
    def __init__(self, dsn: str):
        self.dsn = dsn

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.content, policy=policy.default)
        part = msg.get_body(preferencelist=("plain", "html"))
        body = part.get_content() if part is not None else ""
        con = await asyncpg.connect(self.dsn)
        try:
            await con.execute("INSERT INTO dev_mail (mail_from, rcpt, subject, body, raw) VALUES ($1,$2,$3,$4,$5)",
                              envelope.mail_from, ", ".join(envelope.rcpt_tos), str(msg.get("Subject", "")), body,
                              envelope.content.decode("utf-8", "replace")[:200000])
        finally:
            await con.close()
        return "250 Message accepted for delivery"


def start(port: int, dsn: str | None = None) -> Controller:
    """Start the sink in a background thread; returns the controller (call .stop())."""
    controller = Controller(StoreHandler(dsn or os.environ["DATABASE_URL"]), hostname="127.0.0.1", port=port)
    controller.start()
    return controller


async def run_forever(port: int) -> None:
    controller = start(port)
    print(f"SMTP sink listening on 127.0.0.1:{port}", flush=True)
    try:
        while True:
            await asyncio.sleep(3600)
    finally:
        controller.stop()
