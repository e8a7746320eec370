"""Demo data of the SMS platform: the HQ tenant with a balance, an approved template, the system
account used by the message service, a channel pointing at the local simulator
(`python -m app smsc --port 2775`), and the account behind the OpenAPI examples (api_examples). Idempotent."""
from __future__ import annotations

import json
import secrets
from datetime import datetime

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
            " ($1, '验证码', 'verification', '【同窗】', '您的验证码是{code}，5分钟内有效。', 'approved', now(),"
            " 'demo')",
            hq)
    if not await db.fetchval("SELECT 1 FROM sms_channel"):
        await db.execute("INSERT INTO sms_channel (name, kind, config, weight, max_tps) VALUES"
                         " ('simulator', 'smpp', $1::jsonb, 100, 5000)", json.dumps(SIMULATOR))
    if not await db.fetchval("SELECT 1 FROM sms_sensitive_word"):
        await db.execute("INSERT INTO sms_sensitive_word (word, action) VALUES ('发票', 'block'), ('博彩', 'block')")
    await api_examples()


# The rows the OpenAPI examples (app/sms/routes/api/openapi.py) name, under their own account so that the HQ
# figures stay as they were; an API key of "接口示例" makes every example work against a dev database.
EXAMPLE_ACCOUNT = "接口示例"
EXAMPLE = {"template_id": 801, "batch_id": 812, "message_id": 90211, "message_id_2": 90212, "report_cursor": 5012,
           "mo_id": 77, "webhook_id": 5, "phone": "13912345678", "phone_2": "13912345679",
           "created_at": "2026-11-23T12:00:00+00:00", "submitted_at": "2026-11-23T12:00:00.120000+00:00",
           "done_at": "2026-11-23T12:00:01+00:00", "received_at": "2026-11-23T12:03:00+00:00"}


async def api_examples() -> None:
    if await db.fetchval("SELECT 1 FROM sms_account WHERE name = $1", EXAMPLE_ACCOUNT):
        return
    account = await _account(EXAMPLE_ACCOUNT, "HQ", balance=10_000)
    e = EXAMPLE
    when = {k: datetime.fromisoformat(e[k]) for k in ("created_at", "submitted_at", "done_at", "received_at")}
    await db.execute("INSERT INTO sms_template (id, account, name, kind, sign, content, status, reviewed_at,"
                     " review_note) VALUES ($1, $2, '活动通知', 'notice', '【同窗】',"
                     " '{name}校友您好，{event}将于{date}举行，欢迎参加。', 'approved', $3, 'demo')"
                     " ON CONFLICT (id) DO NOTHING", e["template_id"], account, when["created_at"])
    await db.execute("INSERT INTO sms_batch (id, account, source, text, status, total, accepted, rejected, segments,"
                     " cost, rejections, created_at) VALUES ($1, $2, 'api', '【同窗】年会本周六举行', 'done',"
                     " 3, 2, 1, 2, 2, $3::jsonb, $4) ON CONFLICT (id) DO NOTHING", e["batch_id"], account,
                     json.dumps([["12345", "Not a valid mobile number"]]), when["created_at"])
    for n, (message_id, phone) in enumerate(((e["message_id"], e["phone"]), (e["message_id_2"], e["phone_2"]))):
        await db.execute(
            "INSERT INTO sms_message (id, batch, account, phone, text, encoding, segments, status, attempt,"
            " submitted_at, done_at, receipt_status, cost, report_seq, created_at, updated_at, next_attempt_at)"
            " VALUES ($1, $2, $3, $4, '【同窗】年会本周六举行', 'ucs2', 1, 'delivered', 1, $5, $6, 'DELIVRD', 1,"
            " $7, $8, $6, $8)"
            " ON CONFLICT (id) DO NOTHING", message_id, e["batch_id"], account, phone, when["submitted_at"],
            when["done_at"], e["report_cursor"] + n, when["created_at"])
    await db.execute("INSERT INTO sms_mo (id, account, sender, \"to\", text, received_at, reply_to)"
                     " VALUES ($1, $2, $3, '106', '收到，谢谢', $4, $5) ON CONFLICT (id) DO NOTHING",
                     e["mo_id"], account, e["phone"], when["received_at"], e["message_id"])
    await db.execute("INSERT INTO sms_webhook (id, account, url, secret, events) VALUES ($1, $2,"
                     " 'https://example.com/sms-events', $3, ARRAY['report', 'mo']::varchar[])"
                     " ON CONFLICT (id) DO NOTHING",
                     e["webhook_id"], account, "whsec_" + secrets.token_urlsafe(24))
    for table in ("sms_template", "sms_batch", "sms_message", "sms_mo", "sms_webhook"):
        await _sequence_past(f"pg_get_serial_sequence('{table}', 'id')", f"SELECT max(id) FROM {table}")
    await _sequence_past("'sms_report_seq'", "SELECT max(report_seq) FROM sms_message")


async def _sequence_past(seq_sql: str, max_sql: str) -> None:
    """Rows inserted with their own ids: move the sequence past them so that new rows do not collide."""
    seq = await db.fetchval(f"SELECT {seq_sql}")
    await db.execute(f"SELECT setval($1::regclass, GREATEST((SELECT last_value FROM {seq}), ({max_sql})))", seq)
