"""Users (SUP-02): admin CRUD within data scope, roles, self-service profile/password, reset links."""
from __future__ import annotations

from dataclasses import dataclass

from app.core import audit, db, sessions, sqlfilter
from app.core.audit import SYSTEM, Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.pagination import Page, PageRequest
from app.core.permissions import PermissionDenied
from app.core.security import TokenExpired, TokenInvalid, hash_password, sign, unsign, verify_password

KINDS = ("visitor", "registered", "alumni", "admin")
RESET_PURPOSE = "password-reset"
RESET_MAX_AGE = 3600  # a reset link lives one hour
PUBLIC_FIELDS = ("id", "username", "name", "email", "phone", "org", "kind", "is_active", "is_superuser")


def check_password_strength(password: str) -> None:
    if len(password or "") < 8:
        raise Invalid("password", _("Use at least 8 characters."))
    if password.isdigit() or password.isalpha():
        raise Invalid("password", _("Mix letters and digits."))


@dataclass
class UserFilters:
    q: str = ""
    org: int | None = None
    role: int | None = None
    active: str = ""  # "" / "1" / "0"
    kind: str = ""

    @classmethod
    def from_query(cls, params) -> UserFilters:
        return cls(q=sqlfilter.text(params, "q", 100), org=sqlfilter.number(params, "org"),
                   role=sqlfilter.number(params, "role"),
                   active=params.get("active") if params.get("active") in ("0", "1") else "",
                   kind=params.get("kind") if params.get("kind") in KINDS else "")


SORTS = {"username": "u.username", "name": "u.name", "org": "o.name", "last_login": "u.last_login_at",
         "created": "u.created_at"}


async def list_users(actor: Actor, filters: UserFilters, req: PageRequest) -> Page:
    args: list = []
    where = sqlfilter.Where(args, actor.scope.sql("u.org", "u.id", args))
    where.contains(("u.username", "u.name", "u.email", "u.phone"), filters.q)
    if filters.org:
        where.add(f"u.org IN (SELECT id FROM org_node WHERE path LIKE"
                  f" (SELECT path FROM org_node WHERE id = {where.param(filters.org)}) || '%')")
    if filters.role:
        where.add('EXISTS (SELECT 1 FROM user_role ur WHERE ur."user" = u.id '
                  f"AND ur.role = {where.param(filters.role)})")
    if filters.active:
        where.add("u.is_active" if filters.active == "1" else "NOT u.is_active")
    where.equals("u.kind", filters.kind)
    sql_where = where.sql()
    total = await db.fetchval(f"SELECT count(*) FROM app_user u WHERE {sql_where}", *args)
    items = await db.fetch(
        f"SELECT u.id, u.username, u.name, u.email, u.phone, u.kind, u.is_active, u.is_superuser, u.last_login_at,"
        f" u.created_at, o.name AS org_name,"
        f" (SELECT string_agg(r.name, ', ' ORDER BY r.name) FROM user_role ur JOIN role r ON r.id = ur.role"
        f"  WHERE ur.\"user\" = u.id) AS roles"
        f" FROM app_user u LEFT JOIN org_node o ON o.id = u.org WHERE {sql_where} "
        f"{req.order_by(SORTS, 'u.id DESC').replace(', id', ', u.id')} LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page(items, total, req.page, req.per_page, req.sort)


async def get_user(actor: Actor, user_id: int) -> dict:
    row = await db.fetchrow(
        "SELECT u.*, o.name AS org_name, o.path AS org_path FROM app_user u LEFT JOIN org_node o ON o.id = u.org "
        "WHERE u.id = $1", user_id)
    if row is None:
        raise Invalid("id", _("This user does not exist."))
    if not actor.scope.allows(row["org_path"], row["id"]):
        raise PermissionDenied()
    row["role_ids"] = [r["role"] for r in await db.fetch('SELECT role FROM user_role WHERE "user" = $1', user_id)]
    return row


async def reveal_field(actor: Actor, user_id: int, field: str) -> str:
    """SUP-16: the clear value of one masked field; every reveal is audited."""
    from app.core.masking import MASKABLE

    if field not in MASKABLE:
        raise Invalid("field", _("Unknown field."))
    row = await get_user(actor, user_id)
    await audit.record(actor, "unmask", "user", user_id, summary=field, org_id=row["org"])
    return row.get(field) or ""


async def _check_unique(username: str, email: str | None, exclude: int | None) -> None:
    if await db.fetchval("SELECT 1 FROM app_user WHERE lower(username) = lower($1) AND id IS DISTINCT FROM $2",
                         username, exclude):
        raise Invalid("username", _("This username is taken."))
    if email and await db.fetchval("SELECT 1 FROM app_user WHERE lower(email) = lower($1) AND id IS DISTINCT FROM $2",
                                   email, exclude):
        raise Invalid("email", _("This email address is already registered."))


async def _check_org(actor: Actor, org_id: int | None) -> None:
    if org_id is None:
        if not actor.scope.all:
            raise Invalid("org", _("Choose an org node inside your data scope."))
        return
    path = await db.fetchval("SELECT path FROM org_node WHERE id = $1", org_id)
    if path is None or not actor.scope.allows(path):
        raise Invalid("org", _("Choose an org node inside your data scope."))


async def _check_roles(actor: Actor, role_ids: list[int]) -> None:
    """No privilege escalation: an admin may only hand out roles whose permissions they hold."""
    if actor.is_superuser or not role_ids:
        return
    rows = await db.fetch("SELECT name, permissions, data_scope FROM role WHERE id = ANY($1)", role_ids)
    for r in rows:
        if not set(r["permissions"]) <= actor.perms or (r["data_scope"] == "all" and not actor.scope.all):
            raise Invalid("roles", _("You cannot grant the role %(name)s: it has permissions you do not hold.",
                                     name=r["name"]))


async def _set_roles(user_id: int, role_ids: list[int]) -> None:
    await db.execute('DELETE FROM user_role WHERE "user" = $1 AND NOT (role = ANY($2))', user_id, role_ids)
    await db.execute('INSERT INTO user_role ("user", role) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING',
                     user_id, role_ids)


async def create_user(actor: Actor, *, username: str, name: str = "", email: str | None = None,
                      phone: str | None = None, org_id: int | None = None, kind: str = "registered",
                      password: str | None = None, role_ids: list[int] | None = None, is_active: bool = True) -> int:
    role_ids = role_ids or []
    async with db.transaction():
        await _check_unique(username, email, None)
        await _check_org(actor, org_id)
        await _check_roles(actor, role_ids)
        if password:
            check_password_strength(password)
        user_id = await db.fetchval(
            "INSERT INTO app_user (username, name, email, phone, org, kind, password_hash, is_active, created_by,"
            " updated_by, password_changed_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$9, now()) RETURNING id",
            username, name or "", email, phone, org_id, kind, hash_password(password) if password else "",
            is_active, actor.id)
        await _set_roles(user_id, role_ids)
        await audit.record(actor, "create", "user", user_id, org_id=org_id,
                           after={"username": username, "name": name, "email": email, "phone": phone, "org": org_id,
                                  "kind": kind, "roles": role_ids, "is_active": is_active})
    return user_id


async def update_user(actor: Actor, user_id: int, *, name: str, email: str | None, phone: str | None,
                      org_id: int | None, kind: str, is_active: bool, role_ids: list[int]) -> None:
    from app.core.masking import sees_clear

    async with db.transaction():
        before = await get_user(actor, user_id)
        # A viewer who only sees a masked value cannot change it (the form shows it disabled).
        name = name if sees_clear(actor, "name") else before["name"]
        email = email if sees_clear(actor, "email") else before["email"]
        phone = phone if sees_clear(actor, "phone") else before["phone"]
        await _check_unique(before["username"], email, user_id)
        await _check_org(actor, org_id)
        await _check_roles(actor, [r for r in role_ids if r not in before["role_ids"]])
        await db.execute("UPDATE app_user SET name=$2, email=$3, phone=$4, org=$5, kind=$6, is_active=$7,"
                         " updated_at=now(), updated_by=$8 WHERE id=$1",
                         user_id, name or "", email, phone, org_id, kind, is_active, actor.id)
        await _set_roles(user_id, role_ids)
        if not is_active:
            await sessions.end_all(user_id)  # lockout: refused by every web process at once
        else:
            await sessions.user_changed([user_id])  # roles, org (data scope) and name apply at once
        keys = ("name", "email", "phone", "org", "kind", "is_active")
        await audit.record(actor, "update", "user", user_id, org_id=org_id,
                           before={**{k: before[k] for k in keys}, "roles": sorted(before["role_ids"])},
                           after={"name": name or "", "email": email, "phone": phone, "org": org_id, "kind": kind,
                                  "is_active": is_active, "roles": sorted(role_ids)})


async def set_password(actor: Actor, user_id: int, password: str, *, reason: str) -> None:
    check_password_strength(password)
    async with db.transaction():
        await db.execute("UPDATE app_user SET password_hash=$2, password_changed_at=now(), updated_at=now() "
                         "WHERE id=$1", user_id, hash_password(password))
        await sessions.end_all(user_id)
        await audit.record(actor, "password", "user", user_id, summary=reason)


async def change_own_password(actor: Actor, current: str, new: str) -> None:
    stored = await db.fetchval("SELECT password_hash FROM app_user WHERE id = $1", actor.id)
    if not verify_password(stored, current or ""):
        raise Invalid("current", _("The current password is not correct."))
    await set_password(actor, actor.id, new, reason="changed by user")


async def log_out_everywhere(actor: Actor, user_id: int) -> None:
    """Ends every session of the user, in every web process (the user's own "log out everywhere", or an
    admin's forced logout)."""
    async with db.transaction():
        await sessions.end_all(user_id)
        await audit.record(actor, "logout_all", "user", user_id, summary="log out everywhere")


async def get_profile(user_id: int) -> dict:
    row = await db.fetchrow("SELECT u.username, u.name, u.email, u.phone, u.lang, u.avatar, o.name AS org_name "
                            "FROM app_user u LEFT JOIN org_node o ON o.id = u.org WHERE u.id = $1", user_id)
    from app.core.uploads import StoredFile

    row["avatar_url"] = StoredFile(row["avatar"], "", 0, "").url if row["avatar"] else ""
    return row


async def set_avatar(actor: Actor, filename: str, data: bytes) -> None:
    """Profile photo: checked (type, size, real image content) and stored through the storage adapter."""
    from app.core import uploads

    stored = await uploads.save(filename, data, images_only=True, field="avatar")
    async with db.transaction():
        before = await db.fetchval("SELECT avatar FROM app_user WHERE id = $1", actor.id)
        await db.execute("UPDATE app_user SET avatar = $2, updated_at = now(), updated_by = $1 WHERE id = $1",
                         actor.id, stored.key)
        await audit.record(actor, "update", "user", actor.id, summary="avatar", before={"avatar": before},
                           after={"avatar": stored.key})


async def update_profile(actor: Actor, *, name: str, email: str | None, phone: str | None, lang: str) -> None:
    async with db.transaction():
        before = await db.fetchrow("SELECT username, name, email, phone, lang FROM app_user WHERE id = $1", actor.id)
        await _check_unique(before["username"], email, actor.id)
        await db.execute("UPDATE app_user SET name=$2, email=$3, phone=$4, lang=$5, updated_at=now(), updated_by=$1 "
                         "WHERE id=$1", actor.id, name or "", email, phone, lang)
        await sessions.user_changed([actor.id])
        await audit.record(actor, "update", "user", actor.id, summary="profile",
                           before={k: before[k] for k in ("name", "email", "phone", "lang")},
                           after={"name": name, "email": email, "phone": phone, "lang": lang})


async def register(*, username: str, name: str, email: str, password: str, ip: str = "") -> int:
    """Self-registration: a 'registered' user with no admin roles and no org."""
    check_password_strength(password)
    actor = Actor(None, username, ip)
    async with db.transaction():
        await _check_unique(username, email, None)
        user_id = await db.fetchval(
            "INSERT INTO app_user (username, name, email, kind, password_hash, password_changed_at) "
            "VALUES ($1,$2,$3,'registered',$4, now()) RETURNING id", username, name, email, hash_password(password))
        await audit.record(Actor(user_id, username, ip), "register", "user", user_id,
                           after={"username": username, "name": name, "email": email})
    del actor
    return user_id


async def reset_token_for(email: str) -> tuple[dict, str] | None:
    """A signed, expiring, single-use reset token (bound to the current password hash)."""
    row = await db.fetchrow("SELECT id, username, name, email, password_hash FROM app_user "
                            "WHERE lower(email) = lower($1) AND is_active", email)
    if row is None:
        return None
    fingerprint = row["password_hash"][-12:]
    return row, sign(RESET_PURPOSE, {"u": row["id"], "f": fingerprint})


async def user_for_reset_token(token: str) -> dict:
    """Raises TokenInvalid (forged/used) or TokenExpired."""
    data = unsign(RESET_PURPOSE, token, RESET_MAX_AGE)
    row = await db.fetchrow("SELECT id, username, password_hash FROM app_user WHERE id = $1 AND is_active",
                            data.get("u"))
    if row is None or row["password_hash"][-12:] != data.get("f"):
        raise TokenInvalid()  # password already changed with this link, or user gone
    return row


async def reset_with_token(token: str, password: str, ip: str) -> int:
    row = await user_for_reset_token(token)
    await set_password(Actor(row["id"], row["username"], ip), row["id"], password, reason="reset by email link")
    return row["id"]


async def create_superuser(username: str, password: str, email: str | None = None) -> int:
    existing = await db.fetchval("SELECT id FROM app_user WHERE username = $1", username)
    if existing:
        await db.execute("UPDATE app_user SET password_hash=$2, is_superuser=TRUE, is_active=TRUE, kind='admin' "
                         "WHERE id=$1", existing, hash_password(password))
        await sessions.end_all(existing)
        await audit.record(SYSTEM, "password", "user", existing, summary="createadmin")
        return existing
    user_id = await db.fetchval("INSERT INTO app_user (username, name, email, kind, is_superuser, password_hash,"
                                " password_changed_at) VALUES ($1,$1,$2,'admin',TRUE,$3, now()) RETURNING id",
                                username, email, hash_password(password))
    await audit.record(SYSTEM, "create", "user", user_id, after={"username": username, "superuser": True})
    return user_id


__all__ = ["TokenExpired", "TokenInvalid"]


# --- phone numbers as a login (identity: SMS-code login and phone binding) ------------------------------

def phone_spellings(phone: str) -> list[str]:
    """How an 11-digit mainland number may have been typed into app_user.phone (looked up through its index)."""
    groups = [f"{phone[:3]}{sep}{phone[3:7]}{sep}{phone[7:]}" for sep in (" ", "-")]
    return [prefix + p for p in [phone, *groups] for prefix in ("", "+86", "+86 ", "86", "0086")]


async def find_by_phone(phone: str) -> list[dict]:
    """Every account whose mobile number is `phone` (11 digits), active or not, oldest first."""
    return await db.fetch("SELECT id, username, name, is_active FROM app_user WHERE phone = ANY($1::text[])"
                          " ORDER BY id", phone_spellings(phone))


async def set_phone(actor: Actor, user_id: int, phone: str) -> None:
    """A confirmed mobile number for the account (the caller proved it owns the number); audited."""
    async with db.transaction():
        before = await db.fetchval("SELECT phone FROM app_user WHERE id = $1", user_id)
        await db.execute("UPDATE app_user SET phone = $2, updated_at = now(), updated_by = $3 WHERE id = $1",
                         user_id, phone, actor.id)
        await sessions.user_changed([user_id])
        await audit.record(actor, "update", "user", user_id, summary="phone", before={"phone": before},
                           after={"phone": phone})


async def create_for_phone(phone: str, ip: str = "") -> int:
    """A new account known only by its confirmed mobile number (SMS-code login): username "m<phone>" (a
    suffix when taken), no name, no password; audited as a registration."""
    async with db.transaction():
        username = "m" + phone
        for n in range(2, 100):
            if not await db.fetchval("SELECT 1 FROM app_user WHERE lower(username) = lower($1)", username):
                break
            username = f"m{phone}_{n}"
        user_id = await db.fetchval("INSERT INTO app_user (username, name, phone, kind, password_hash)"
                                    " VALUES ($1, '', $2, 'registered', '') RETURNING id", username, phone)
        await audit.record(Actor(user_id, username, ip), "register", "user", user_id, summary="sms",
                           after={"username": username, "phone": phone})
    return user_id


async def set_kind(actor: Actor, user_id: int, kind: str, *, only_from: tuple[str, ...] = ()) -> bool:
    """Change the account type (e.g. to 'alumni' once an identity claim is verified), optionally only when
    the current type is one of `only_from`; cached sessions learn it at once. True when it changed."""
    if kind not in KINDS:
        raise ValueError(kind)
    async with db.transaction():
        before = await db.fetchval("SELECT kind FROM app_user WHERE id = $1 FOR UPDATE", user_id)
        if before is None or before == kind or (only_from and before not in only_from):
            return False
        await db.execute("UPDATE app_user SET kind = $2, updated_at = now(), updated_by = $3 WHERE id = $1",
                         user_id, kind, actor.id)
        await sessions.user_changed([user_id])
        await audit.record(actor, "update", "user", user_id, summary="kind", before={"kind": before},
                           after={"kind": kind})
    return True


async def create_external_account(*, username: str, name: str = "", email: str | None = None, ip: str = "",
                                  source: str = "", pick_free: bool = False) -> int:
    """An account for someone who logs in through a school login or WeChat (the identity module): a
    'registered' user without a password (that login is the way in). With `pick_free` a taken username
    gets a numeric suffix and a taken email is left out; otherwise either is refused (Invalid)."""
    username = (username or "").strip()[:64]
    email = (email or "").strip() or None
    async with db.transaction():
        if pick_free:
            stem, n = (username or "user")[:58], 1
            while not username or await db.fetchval("SELECT 1 FROM app_user WHERE lower(username) = lower($1)",
                                                    username):
                n += 1
                username = f"{stem}_{n}"
            if email and await db.fetchval("SELECT 1 FROM app_user WHERE lower(email) = lower($1)", email):
                email = None
        await _check_unique(username, email, None)
        user_id = await db.fetchval("INSERT INTO app_user (username, name, email, kind, password_hash) "
                                    "VALUES ($1, $2, $3, 'registered', '') RETURNING id", username, name or "", email)
        await audit.record(Actor(user_id, username, ip), "register", "user", user_id, summary=f"via {source}"[:200],
                           after={"username": username, "name": name, "email": email, "source": source})
    return user_id
