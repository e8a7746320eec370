"""Demo data of the SMS platform: the HQ tenant with a balance, an approved template, the system
account used by the message service, and a channel pointing at the local simulator
(`python -m app smsc --port 2775`). Idempotent."""
from __future__ import annotations

import json

from app.core import db
from app.sms import billing

SIMULATOR = {"host": "127.0.0.1", "port": 2775, "system_id": "tc", "password": "secret", "window": 64}


async def _account(name: str, org_code: str | None, *, is_system: bool = False, balance: int = 0) -> int:
    account_id = await db.fetchval("SELECT id FROM sms_account WHERE name = $1", name)
    if account_id is None:
        org = await db.fetchval("SELECT id FROM org_node WHERE code = $1", org_code) if org_code else None
        account_id = await db.fetchval("INSERT INTO sms_account (name, org, is_system, max_tps, low_balance_alert)"
                                       " VALUES ($1, $2, $3, 1000, 1000) RETURNING id", name, org, is_system)
        if balance:
            await billing.topup(account_id, balance, note="demo")
    return account_id


async def seed_demo() -> None:
    hq = await _account("同窗大学校友总会", "HQ", balance=100_000)
    await _account("系统通知", "HQ", is_system=True, balance=1_000_000)
    admin = await db.fetchval("SELECT id FROM app_user WHERE username = 'hq'")
    if admin and not await db.fetchval("SELECT 1 FROM sms_account_member WHERE account = $1 AND \"user\" = $2",
                                       hq, admin):
        await db.execute("INSERT INTO sms_account_member (account, \"user\", role) VALUES ($1, $2, 'admin')", hq, admin)
    if not await db.fetchval("SELECT 1 FROM sms_template WHERE account = $1", hq):
        await db.execute(
            "INSERT INTO sms_template (account, name, kind, sign, content, status, reviewed_at, review_note)"
            " VALUES ($1, '活动通知', 'notice', '【同窗】', '{name}校友您好，{event}将于{date}举行，欢迎参加。',"
            " 'approved', now(), 'demo'),"
            " ($1, '验证码', 'verification', '【同窗】', '您的验证码是{code}，5分钟内有效。', 'approved', now(), 'demo')",
            hq)
    if not await db.fetchval("SELECT 1 FROM sms_channel"):
        await db.execute("INSERT INTO sms_channel (name, kind, config, weight, max_tps) VALUES"
                         " ('simulator', 'smpp', $1::jsonb, 100, 5000)", json.dumps(SIMULATOR))
    if not await db.fetchval("SELECT 1 FROM sms_sensitive_word"):
        await db.execute("INSERT INTO sms_sensitive_word (word, action) VALUES ('发票', 'block'), ('博彩', 'block')")
