"""Login bindings (idn_binding, SUP-05/SUP-08): one external subject — a CAS user, an OIDC `sub`, a WeChat
openid (with its unionid) — tied to one local user. Found, created (audited), listed for their owner and
for admins (data-scoped by the user's org), and removed by either."""
from __future__ import annotations

import json
from dataclasses import dataclass

from app.core import audit, db, sqlfilter
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.pagination import Page, PageRequest
from app.core.permissions import PermissionDenied
from app.core.security import TokenInvalid
from app.identity import providers
from app.identity.external import ExternalIdentity

HOW = ("number", "email", "manual", "created", "unionid", "password", "sms", "admin")
_SELECT = ("SELECT b.id, b.provider AS provider_id, p.code AS provider_code, p.name AS provider_name,"
           " p.kind AS provider_kind, b.subject, b.unionid, b.\"user\" AS user_id, b.display_name, b.how,"
           " b.created_at, b.last_used_at FROM idn_binding b JOIN idn_provider p ON p.id = b.provider")


class NotFound(Exception):
    pass


async def by_subject(provider_id: int, subject: str) -> dict | None:
    return await db.fetchrow(f"{_SELECT} WHERE b.provider = $1 AND b.subject = $2", provider_id, subject)


async def by_unionid(unionid: str) -> dict | None:
    """A binding of the same WeChat person through another appid (unionid is per open platform account)."""
    if not unionid:
        return None
    return await db.fetchrow(f"{_SELECT} WHERE b.unionid = $1 ORDER BY b.id LIMIT 1", unionid)


async def of_user(user_id: int, provider_id: int) -> dict | None:
    return await db.fetchrow(f'{_SELECT} WHERE b."user" = $1 AND b.provider = $2', user_id, provider_id)


async def create(actor: Actor, ext: ExternalIdentity, user_id: int, how: str) -> int:
    """Binds the subject to the user; Conflict when the subject is bound already or the user already has
    another account of this provider."""
    async with db.transaction():
        if existing := await by_subject(ext.provider_id, ext.subject):
            if existing["user_id"] == user_id:
                return existing["id"]
            raise Conflict(_("This account is already linked to another user."))
        if await of_user(user_id, ext.provider_id):
            raise Conflict(_("Your account is already linked to another account of this login provider. "
                             "Unlink it first."))
        binding_id = await db.fetchval(
            'INSERT INTO idn_binding (provider, subject, unionid, "user", display_name, attributes, how, created_by,'
            " updated_by, last_used_at) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $8, now()) RETURNING id",
            ext.provider_id, ext.subject[:200], ext.unionid[:200], user_id, ext.display_name[:100],
            json.dumps(ext.attributes, ensure_ascii=False, default=str), how, actor.id)
        org = await db.fetchval("SELECT org FROM app_user WHERE id = $1", user_id)
        await audit.record(actor, "bind", "idn_binding", binding_id, org_id=org, summary=how,
                           after={"provider": ext.provider_id, "subject": ext.subject, "unionid": ext.unionid,
                                  "user": user_id, "display_name": ext.display_name, "how": how})
    return binding_id


async def touch(binding_id: int, ext: ExternalIdentity) -> None:
    """A login through the binding: when, and what the provider says of the person now."""
    await db.execute("UPDATE idn_binding SET last_used_at = now(), display_name = COALESCE(NULLIF($2, ''),"
                     " display_name), unionid = COALESCE(NULLIF($3, ''), unionid), attributes = CASE WHEN $4::jsonb"
                     " = '{}'::jsonb THEN attributes ELSE $4::jsonb END WHERE id = $1", binding_id,
                     ext.display_name[:100], ext.unionid[:200],
                     json.dumps(ext.attributes, ensure_ascii=False, default=str))


async def list_own(user_id: int) -> list[dict]:
    return await db.fetch(f'{_SELECT} WHERE b."user" = $1 ORDER BY p.sort, b.id', user_id)


async def ways_to_log_in(user_id: int) -> int:
    """A password counts as one way, every binding as another."""
    row = await db.fetchrow("SELECT password_hash <> '' AS has_password, (SELECT count(*) FROM idn_binding"
                            ' WHERE "user" = $1) AS bindings FROM app_user WHERE id = $1', user_id)
    return int(row["has_password"]) + int(row["bindings"]) if row else 0


async def _get(binding_id: int) -> dict:
    row = await db.fetchrow(
        "SELECT b.id, b.provider AS provider_id, p.name AS provider_name, p.kind AS provider_kind, b.subject,"
        ' b.unionid, b."user" AS user_id, b.display_name, b.how, b.created_at, b.last_used_at, u.username,'
        " u.name AS user_name, u.org, o.path AS org_path FROM idn_binding b JOIN idn_provider p ON p.id = b.provider"
        ' JOIN app_user u ON u.id = b."user" LEFT JOIN org_node o ON o.id = u.org WHERE b.id = $1', binding_id)
    if row is None:
        raise NotFound()
    return row


async def _delete(actor: Actor, row: dict, reason: str, action: str) -> None:
    await db.execute("DELETE FROM idn_binding WHERE id = $1", row["id"])
    await audit.record(actor, action, "idn_binding", row["id"], org_id=row["org"], summary=reason[:200],
                       before={"provider": row["provider_id"], "subject": row["subject"], "unionid": row["unionid"],
                               "user": row["user_id"], "display_name": row["display_name"], "how": row["how"]})


async def get_own(user_id: int, binding_id: int) -> dict:
    row = await _get(binding_id)
    if row["user_id"] != user_id:
        raise NotFound()  # someone else's binding does not exist for this user
    return row


async def unbind_own(actor: Actor, binding_id: int) -> dict:
    """The user removes one of their own bindings — never the last way they can log in."""
    async with db.transaction():
        row = await get_own(actor.id, binding_id)
        await db.fetchval("SELECT id FROM app_user WHERE id = $1 FOR UPDATE", actor.id)  # one unbind at a time
        if await ways_to_log_in(actor.id) <= 1:
            raise Conflict(_("This is the only way you can log in: set a password or link another login first."))
        await _delete(actor, row, "by the user", "unbind")
    return row


@dataclass
class BindingFilters:
    q: str = ""
    provider: int | None = None

    @classmethod
    def from_query(cls, params) -> BindingFilters:
        return cls(q=sqlfilter.text(params, "q", 100), provider=sqlfilter.number(params, "provider"))


SORTS = {"user": "u.username", "provider": "p.name", "created": "b.created_at", "last_used": "b.last_used_at"}


async def list_admin(actor: Actor, filters: BindingFilters, req: PageRequest) -> Page:
    args: list = []
    where = sqlfilter.Where(args, actor.scope.sql("u.org", "u.id", args))
    where.contains(("u.username", "u.name", "b.display_name", "b.subject"), filters.q)
    where.equals("b.provider", filters.provider)
    sql_where = where.sql()
    joins = ' FROM idn_binding b JOIN idn_provider p ON p.id = b.provider JOIN app_user u ON u.id = b."user"'
    total = await db.fetchval(f"SELECT count(*){joins} WHERE {sql_where}", *args)
    items = await db.fetch(
        f"SELECT b.id, b.subject, b.display_name, b.how, b.created_at, b.last_used_at, p.name AS provider_name,"
        f" p.kind AS provider_kind, u.id AS user_id, u.username, u.name AS user_name{joins} WHERE {sql_where} "
        f"{req.order_by(SORTS, 'b.id DESC').replace(', id', ', b.id')} LIMIT {req.per_page} OFFSET {req.offset}",
        *args)
    return Page(items, total, req.page, req.per_page, req.sort)


async def get_admin(actor: Actor, binding_id: int) -> dict:
    row = await _get(binding_id)
    if not actor.scope.allows(row["org_path"], row["user_id"]):
        raise PermissionDenied()
    return row


async def unbind_admin(actor: Actor, binding_id: int, reason: str) -> dict:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("reason", _("Give a reason: it is kept in the audit log."))
    async with db.transaction():
        row = await get_admin(actor, binding_id)
        await _delete(actor, row, reason, "unbind_admin")
    return row


async def my_logins(user_id: int) -> dict:
    """The user's own page: their bindings, the enabled providers they could still link, and whether a
    password is one of their ways in."""
    own = await list_own(user_id)
    bound = {b["provider_id"] for b in own}
    return {"bindings": own, "linkable": [p for p in await providers.enabled() if p.id not in bound],
            "has_password": bool(await db.fetchval("SELECT password_hash <> '' FROM app_user WHERE id = $1",
                                                   user_id)),
            "ways": await ways_to_log_in(user_id)}


async def pending_identity(token: str) -> tuple[ExternalIdentity, providers.Provider, str]:
    """(identity, its provider, next URL) of a pending-binding token the binding page signed; TokenInvalid /
    TokenExpired when forged, altered, too old, or its provider is gone or disabled."""
    ext, next_url = ExternalIdentity.from_token(token)
    try:
        provider = await providers.get(ext.provider_id)
    except providers.NotFound:
        raise TokenInvalid() from None
    if not provider.enabled:
        raise TokenInvalid()
    return ext, provider, next_url


async def bind_pending(token: str, user_id: int, how: str = "sms") -> int:
    """The hook of the SMS-code login (app.identity.sms_login, `/login/sms?bind=<token>`): binds the pending
    external identity the binding page signed to the account the code just proved. Raises TokenInvalid /
    TokenExpired (forged, altered, too old, provider gone) or Conflict (bound elsewhere already)."""
    ext, _provider, _next = await pending_identity(token)
    username = await db.fetchval("SELECT username FROM app_user WHERE id = $1", user_id)
    return await create(Actor(user_id, username or ""), ext, user_id, how)
