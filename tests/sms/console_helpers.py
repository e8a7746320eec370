"""Factories shared by the SMS console tests: the demo HQ account, operators with SMS permissions in a
narrow data scope, sub-accounts, and sends with messages in chosen states (rows inserted directly, as
the dispatcher would leave them)."""
from app.core import db
from app.core.security import hash_password
from app.support.seed import DEMO_PASSWORD

SMS_OPERATOR_PERMS = ["sup.admin", "sms.console.send", "sms.template.edit", "sms.record.view", "sms.record.export",
                      "sms.balance.view", "sms.stats.view", "sms.contacts.edit"]


async def hq_account() -> int:
    return await db.fetchval("SELECT id FROM sms_account WHERE name = '同窗大学校友总会'")


async def make_operator(username: str, perms: list[str] | None = None, org_code: str = "CS-2008-1",
                        scope: str = "self") -> int:
    """A user with a role holding `perms` (SMS operator permissions by default) and the given scope."""
    org = await db.fetchval("SELECT id FROM org_node WHERE code = $1", org_code)
    role = await db.fetchval("INSERT INTO role (code, name, permissions, data_scope) VALUES ($1, $1, $2, $3)"
                             " RETURNING id", f"r_{username}", perms or SMS_OPERATOR_PERMS, scope)
    user = await db.fetchval("INSERT INTO app_user (username, name, org, password_hash, kind) VALUES ($1, $1, $2, $3,"
                             " 'admin') RETURNING id", username, org, hash_password(DEMO_PASSWORD))
    await db.execute("INSERT INTO user_role (\"user\", role) VALUES ($1, $2)", user, role)
    return user


async def make_account(name: str, parent: int | None = None, balance: int = 0, members: tuple = ()) -> int:
    account = await db.fetchval("INSERT INTO sms_account (name, parent, balance) VALUES ($1, $2, 0) RETURNING id",
                                name, parent)
    if balance:
        from app.sms import billing

        await billing.topup(account, balance, note="test")
    for user, role in members:
        await db.execute("INSERT INTO sms_account_member (account, \"user\", role) VALUES ($1, $2, $3)",
                         account, user, role)
    return account


async def make_batch(account: int, rows: list[tuple[str, str]], text: str = "【同窗】测试短信",
                     source: str = "console") -> tuple[int, list[int]]:
    """A send whose messages are already in the given states: rows = [(phone, status)]."""
    batch = await db.fetchval("INSERT INTO sms_batch (account, source, text, status, total, accepted, segments, cost)"
                              " VALUES ($1, $2, $3, 'done', $4::int, $4::int, $4::int, $4::int) RETURNING id",
                              account, source, text, len(rows))
    ids = []
    for phone, status in rows:
        final = status in ("delivered", "failed", "expired", "rejected")
        ids.append(await db.fetchval(
            "INSERT INTO sms_message (batch, account, phone, text, status, reason, cost, attempt, submitting_at,"
            " submitted_at, done_at, receipt_status) VALUES ($1, $2, $3, $4, $5, $6, 1, 1, now(), now(),"
            " CASE WHEN $7 THEN now() END, $8) RETURNING id", batch, account, phone, text, status,
            "UNDELIV" if status == "failed" else "", final, "DELIVRD" if status == "delivered" else
            ("UNDELIV" if final else "")))
    return batch, ids
