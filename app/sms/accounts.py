"""SMS accounts as the console sees them (SMS-03, SMS-09): which accounts an operator may use (data scope
in SQL), sub-accounts under a tenant, and the members (operators / account admins) of an account.

An operator sees the accounts they are a member of, the accounts of org nodes inside their data scope,
and every sub-account below those (a recursive CTE, so the rule lives in one SQL fragment)."""
from __future__ import annotations

from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest
from app.core.sqlfilter import Where

ROLES = {"operator": L("Operator"), "admin": L("Account admin")}
STATUSES = {"active": L("Active"), "suspended": L("Suspended")}


class NotFound(Exception):
    """No such account in the actor's scope."""


def visible_sql(actor: Actor, args: list, col: str = "a.id") -> str:
    """WHERE fragment: `col` (an sms_account id) is an account the actor may use."""
    if actor.scope.all:
        return "TRUE"
    args.append(actor.id)
    me = f"${len(args)}"
    by_org = actor.scope.sql("r.org", None, args)
    return (f"{col} IN (WITH RECURSIVE t AS (SELECT r.id FROM sms_account r WHERE r.id IN"
            f" (SELECT account FROM sms_account_member WHERE \"user\" = {me}) OR {by_org}"
            f" UNION SELECT c.id FROM sms_account c JOIN t ON c.parent = t.id) SELECT id FROM t)")


async def choices(actor: Actor) -> list[dict]:
    """Active accounts the actor may send from, tenants before their sub-accounts."""
    args: list = []
    return await db.fetch(
        f"SELECT a.id, a.name, a.balance, a.parent FROM sms_account a WHERE a.status = 'active' AND NOT a.is_system"
        f" AND {visible_sql(actor, args)} ORDER BY COALESCE(a.parent, a.id), a.parent NULLS FIRST, a.name", *args)


async def default_account(actor: Actor) -> int | None:
    """The account the console opens with: the first one the actor is a member of, else the first visible."""
    if actor.id:
        own = await db.fetchval("SELECT m.account FROM sms_account_member m JOIN sms_account a ON a.id = m.account"
                                " WHERE m.\"user\" = $1 AND a.status = 'active' ORDER BY m.account LIMIT 1", actor.id)
        if own:
            return own
    rows = await choices(actor)
    return rows[0]["id"] if rows else None


async def one_in_scope(actor: Actor, select: str, row_id: int | None, account_col: str) -> dict:
    """The row `select … WHERE <key> = $1` names, if its account (`account_col`) is in the actor's scope;
    NotFound otherwise (a detail URL outside the scope looks like a missing one)."""
    args: list = [row_id]
    row = await db.fetchrow(f"{select} AND {visible_sql(actor, args, account_col)}", *args)
    if row is None:
        raise NotFound(row_id)
    return row


async def get(actor: Actor, account_id: int | None) -> dict:
    return await one_in_scope(
        actor, "SELECT a.*, p.name AS parent_name, o.name AS org_name FROM sms_account a"
        " LEFT JOIN sms_account p ON p.id = a.parent LEFT JOIN org_node o ON o.id = a.org WHERE a.id = $1",
        account_id, "a.id")


async def resolve(actor: Actor, raw) -> dict | None:
    """The account named by a query/form value if visible, else the actor's default one (or None)."""
    from app.core.sqlfilter import to_id

    account_id = to_id(raw) or await default_account(actor)
    try:
        return await get(actor, account_id) if account_id else None
    except NotFound:
        return None


async def list_accounts(actor: Actor, q: str, req: PageRequest) -> Page:
    where = Where()
    where.add(visible_sql(actor, where.args)).contains(["a.name", "o.name"], q)
    sql = where.sql()
    base = (f"FROM sms_account a LEFT JOIN sms_account p ON p.id = a.parent LEFT JOIN org_node o ON o.id = a.org"
            f" WHERE {sql}")
    total = await db.fetchval(f"SELECT count(*) {base}", *where.args)
    order = req.order_by({"name": "a.name", "balance": "a.balance"},
                         "COALESCE(a.parent, a.id), a.parent NULLS FIRST, a.id")
    rows = await db.fetch(
        f"SELECT a.*, p.name AS parent_name, o.name AS org_name,"
        f" (SELECT count(*) FROM sms_account_member m WHERE m.account = a.id) AS member_count {base}"
        f" {order.replace(', id', ', a.id')} LIMIT {req.per_page} OFFSET {req.offset}", *where.args)
    return Page(rows, total, req.page, req.per_page, req.sort)


def _clean(data: dict) -> dict:
    name = str(data.get("name") or "").strip()
    if not name:
        raise Invalid("name", _("Enter a name."))
    if len(name) > 100:
        raise Invalid("name", _("At most %(n)s characters.", n=100))
    out = {"name": name}
    for key, low, high in (("max_tps", 1, 100_000), ("low_balance_alert", 0, 10**12)):
        raw = str(data.get(key) or "0").strip()
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise Invalid(key, _("Enter a whole number between %(low)s and %(high)s.", low=low, high=high))
        out[key] = int(raw)
    out["status"] = data.get("status") if data.get("status") in STATUSES else "active"
    return out


async def create(actor: Actor, data: dict) -> int:
    """A tenant for an org node (needs the whole data scope or the org inside it) or a sub-account."""
    values = _clean(data)
    parent_id = str(data.get("parent") or "").strip()
    parent = None
    if parent_id:
        try:
            parent = await get(actor, int(parent_id) if parent_id.isdigit() else None)
        except NotFound:
            raise Invalid("parent", _("Choose an account you manage.")) from None
    org_id = str(data.get("org") or "").strip()
    org = int(org_id) if org_id.isdigit() else (parent["org"] if parent else None)
    if parent is None:
        path = await db.fetchval("SELECT path FROM org_node WHERE id = $1", org) if org else None
        if not (actor.scope.all or (path and actor.scope.allows(path))):
            raise Invalid("org", _("Choose an org inside your data scope."))
    async with db.transaction():
        account_id = await db.fetchval(
            "INSERT INTO sms_account (parent, org, name, status, max_tps, low_balance_alert, created_by, updated_by)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id", parent["id"] if parent else None, org,
            values["name"], values["status"], values["max_tps"], values["low_balance_alert"], actor.id)
        await audit.record(actor, "sms.account.create", "sms_account", account_id, after=values, org_id=org)
    return account_id


async def update(actor: Actor, account_id: int, data: dict) -> None:
    before = await get(actor, account_id)
    values = _clean(data)
    async with db.transaction():
        await db.execute("UPDATE sms_account SET name = $2, status = $3, max_tps = $4, low_balance_alert = $5,"
                         " updated_by = $6, updated_at = now() WHERE id = $1", account_id, values["name"],
                         values["status"], values["max_tps"], values["low_balance_alert"], actor.id)
        await audit.record(actor, "sms.account.update", "sms_account", account_id, org_id=before["org"],
                           before={k: before[k] for k in values}, after=values)


async def members(actor: Actor, account_id: int) -> list[dict]:
    await get(actor, account_id)
    return await db.fetch("SELECT m.id, m.role, m.created_at, u.id AS user_id, u.username, u.name"
                          " FROM sms_account_member m JOIN app_user u ON u.id = m.\"user\" WHERE m.account = $1"
                          " ORDER BY m.role, u.username", account_id)


async def add_member(actor: Actor, account_id: int, username: str, role: str) -> None:
    account = await get(actor, account_id)
    if role not in ROLES:
        raise Invalid("role", _("Choose from the list."))
    user_id = await db.fetchval("SELECT id FROM app_user WHERE lower(username) = lower($1) AND is_active",
                                (username or "").strip())
    if user_id is None:
        raise Invalid("username", _("No active user with this username."))
    async with db.transaction():
        existing = await db.fetchval("SELECT id FROM sms_account_member WHERE account = $1 AND \"user\" = $2",
                                     account_id, user_id)
        if existing:
            await db.execute("UPDATE sms_account_member SET role = $2 WHERE id = $1", existing, role)
        else:
            await db.execute("INSERT INTO sms_account_member (account, \"user\", role) VALUES ($1, $2, $3)",
                             account_id, user_id, role)
        await audit.record(actor, "sms.member.add", "sms_account", account_id, org_id=account["org"],
                           after={"user": username, "role": role})


async def remove_member(actor: Actor, account_id: int, member_id: int) -> None:
    account = await get(actor, account_id)
    async with db.transaction():
        row = await db.fetchrow("DELETE FROM sms_account_member WHERE id = $1 AND account = $2"
                                " RETURNING \"user\", role", member_id, account_id)
        if row is None:
            raise NotFound(member_id)
        await audit.record(actor, "sms.member.remove", "sms_account", account_id, org_id=account["org"], before=row)


async def api_keys(actor: Actor, key_id: int | None = None) -> list[dict]:
    """API keys of the accounts in scope (without their hash), newest first; one key with key_id."""
    args: list = [key_id]
    return await db.fetch(
        f"SELECT k.id, k.account, a.name AS account_name, k.\"user\", u.username, k.name, k.prefix, k.scopes,"
        f" k.rate_per_sec, k.status, k.expires_at, k.last_used_at, k.created_at FROM sms_api_key k"
        f" JOIN sms_account a ON a.id = k.account LEFT JOIN app_user u ON u.id = k.\"user\""
        f" WHERE ($1::bigint IS NULL OR k.id = $1) AND {visible_sql(actor, args, 'k.account')} ORDER BY k.id DESC",
        *args)
