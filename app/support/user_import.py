"""Bulk user import (SUP-18): the ImportSpec for users.

Rows are created through users.create_user, so audit, data scope and the no-escalation rule
for roles hold exactly as for a user created by hand. The checks below run first, a whole chunk at a
time, so the report names every problem of a row before anything is written."""
from __future__ import annotations

from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import LOCALES, translations
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.import_files import as_email, as_list, as_phone, as_text
from app.core.imports import ImportColumn, ImportContext, ImportSpec, register
from app.support import users
from app.support.forms import USER_KINDS


def _username(raw, _ctx=None) -> str:
    text = as_text(max_length=64, min_length=3)(raw)
    if any(ch.isspace() for ch in text):
        raise Invalid("", _("A username cannot contain spaces."))
    return text


# What people type in a Chinese sheet, whatever the catalogs say.
KIND_WORDS = {"访客": "visitor", "游客": "visitor", "注册用户": "registered", "校友": "alumni",
              "管理员": "admin"}


def _kind(raw, _ctx=None) -> str:
    """A kind code (alumni) or its label in either language (校友 / Alumnus)."""
    text = str(raw).strip().lower()
    if text in KIND_WORDS:
        return KIND_WORDS[text]
    for code, label in USER_KINDS:
        names = {code, str.__str__(label).lower(), *(translations(loc).gettext(str.__str__(label)).lower()
                                                      for loc in LOCALES)}
        if text in names:
            return code
    raise Invalid("", _("Unknown user kind %(value)s; use one of: %(choices)s.", value=raw,
                        choices=", ".join(code for code, _label in USER_KINDS)))


def _password(raw, _ctx=None) -> str:
    text = str(raw)
    users.check_password_strength(text)
    return text


COLUMNS = [
    ImportColumn("username", L("Username"), required=True, parse=_username, example="zhangsan2008", unique=True,
                 help=L("3 to 64 characters, no spaces; must not exist yet."), aliases=("login", "账号")),
    ImportColumn("name", L("Real name"), required=True, parse=as_text(max_length=64), example="张三",
                 aliases=("name", "姓名")),
    ImportColumn("email", L("Email"), parse=as_email, example="zhangsan@example.cn", unique=True,
                 help=L("Optional; must not be used by another account."), aliases=("邮箱", "e-mail")),
    ImportColumn("phone", L("Mobile phone"), parse=as_phone, example="13800138000",
                 aliases=("phone", "手机", "手机号", "电话")),
    ImportColumn("org", L("Org code"), example="CS-2008-1",
                 help=L("The code of an org node inside your data scope (see Org structure)."),
                 aliases=("org", "组织", "组织编码", "机构编码")),
    ImportColumn("kind", L("User kind"), parse=_kind, example="alumni",
                 help=L("visitor, registered, alumni or admin (empty: registered)."), aliases=("kind", "类型")),
    ImportColumn("roles", L("Role codes"), parse=as_list, example="",
                 help=L("Comma separated role codes, e.g. class_liaison; only roles you may grant."),
                 aliases=("roles", "角色")),
    ImportColumn("password", L("Initial password"), parse=_password, sensitive=True,
                 help=L("Optional: at least 8 characters with letters and digits. Empty: the user sets one "
                        "through a reset link."), aliases=("password", "密码")),
]


async def _prepare(chunk: list[dict], ctx: ImportContext) -> None:
    """Load, in four queries per chunk, everything the row checks need."""
    if "roles" not in ctx.cache:
        ctx.cache["roles"] = {r["code"].lower(): r for r in await db.fetch(
            "SELECT id, code, name, permissions, data_scope FROM role")}
    codes = sorted({v["org"] for v in chunk if v.get("org")})
    ctx.cache["orgs"] = {r["code"]: r for r in await db.fetch(
        "SELECT id, code, path, enabled FROM org_node WHERE code = ANY($1::text[])", codes)}
    usernames = [v["username"].lower() for v in chunk if v.get("username")]
    ctx.cache["usernames"] = {r["u"] for r in await db.fetch(
        "SELECT lower(username) AS u FROM app_user WHERE lower(username) = ANY($1::text[])", usernames)}
    emails = [v["email"].lower() for v in chunk if v.get("email")]
    ctx.cache["emails"] = {r["e"] for r in await db.fetch(
        "SELECT lower(email) AS e FROM app_user WHERE lower(email) = ANY($1::text[])", emails)}


def _check_org(values: dict, actor: Actor, cache: dict, errors: dict) -> None:
    code = values.get("org")
    if not code:
        if "org" in values and not actor.scope.all:
            errors["org"] = _("Enter the code of an org node inside your data scope.")
        return
    org = cache["orgs"].get(code)
    if org is None:
        errors["org"] = _("Unknown org code %(code)s.", code=code)
    elif not actor.scope.allows(org["path"]):
        errors["org"] = _("The org %(code)s is outside your data scope.", code=code)
    else:
        values["org_id"] = org["id"]


def _check_roles(values: dict, actor: Actor, cache: dict, errors: dict) -> None:
    role_ids = []
    for code in values.get("roles") or []:
        role = cache["roles"].get(code.lower())
        if role is None:
            errors["roles"] = _("Unknown role code %(code)s.", code=code)
            return
        grantable = actor.is_superuser or (set(role["permissions"]) <= actor.perms
                                           and (role["data_scope"] != "all" or actor.scope.all))
        if not grantable:
            errors["roles"] = _("You cannot grant the role %(name)s: it has permissions you do not hold.",
                                name=role["name"])
            return
        role_ids.append(role["id"])
    values["role_ids"] = role_ids


async def _validate_row(values: dict, ctx: ImportContext) -> dict:
    errors: dict[str, str] = {}
    cache = ctx.cache
    if values.get("username") and values["username"].lower() in cache["usernames"]:
        errors["username"] = _("The username %(value)s is already taken.", value=values["username"])
    if values.get("email") and values["email"].lower() in cache["emails"]:
        errors["email"] = _("The email address %(value)s is already registered.", value=values["email"])
    _check_org(values, ctx.actor, cache, errors)
    _check_roles(values, ctx.actor, cache, errors)
    return errors


async def _create(actor: Actor, values: dict) -> str:
    user_id = await users.create_user(
        actor, username=values["username"], name=values.get("name") or "", email=values.get("email"),
        phone=values.get("phone"), org_id=values.get("org_id"), kind=values.get("kind") or "registered",
        password=values.get("password"), role_ids=values.get("role_ids") or [])
    return str(user_id)


async def _remove_imported_user(actor: Actor, entity_id: str) -> None:
    """Rollback of one imported user: deleted (audited with what it held), if still inside the actor's scope."""
    row = await db.fetchrow("SELECT u.id, u.username, u.name, u.email, u.phone, u.org, u.kind, o.path AS org_path "
                            "FROM app_user u LEFT JOIN org_node o ON o.id = u.org WHERE u.id = $1", int(entity_id))
    if row is None:
        return  # already gone: nothing to undo
    if not actor.scope.allows(row["org_path"]):
        raise Invalid("", _("%(username)s has moved outside your data scope and was kept.", username=row["username"]))
    await db.execute("DELETE FROM app_user WHERE id = $1", row["id"])
    await audit.record(actor, "delete", "user", row["id"], summary="import rollback", org_id=row["org"],
                       before={k: row[k] for k in ("username", "name", "email", "phone", "org", "kind")})


USERS = register(ImportSpec(
    kind="users", title=L("Import users"), permission="sup.user.import", columns=COLUMNS, create=_create,
    rollback=_remove_imported_user, validate_row=_validate_row, prepare=_prepare,
    instructions=(L("Usernames and email addresses must be new; duplicates in the file are reported too."),),
))
