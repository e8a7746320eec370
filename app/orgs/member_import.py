"""Address-book import (ORG-04 成员通讯录批量导入) through the core import engine (/admin/imports/orgs_members):
each row names an association the importer manages (by its address) and an existing account (username, phone or
email); a new member is added with the row's address-book entry, an existing member is a duplicate the importer
may skip, overwrite or merge. Per-row errors come back in the engine's report; a batch can be rolled back."""
from __future__ import annotations

from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.import_files import as_email, as_phone, as_text
from app.core.imports import ImportColumn, ImportContext, ImportSpec, register
from app.orgs import members, orgs

KIND = "orgs_members"


def _role(raw, _ctx=None) -> str:
    text = str(raw).strip().lower()
    found = {"member": "member", "成员": "member", "会员": "member", "liaison": "liaison",
             "联络员": "liaison"}.get(text)
    if found is None:
        raise Invalid("", _("Write member or liaison."))
    return found


COLUMNS = [
    ImportColumn("org", L("Association address"), required=True, parse=as_text(max_length=40), example="bj",
                 help=L("The association's address as in /o/<address>; one you manage."),
                 aliases=("组织", "组织地址", "org", "slug")),
    ImportColumn("account", L("Account"), required=True, parse=as_text(max_length=254), example="zhangsan2008",
                 help=L("The member's username, mobile number or email on this platform."),
                 aliases=("账号", "用户名", "手机号", "username", "login")),
    ImportColumn("role", L("Role"), parse=_role, example="member", help=L("member or liaison (empty: member)."),
                 aliases=("角色", "身份")),
    ImportColumn("phone", L("Phone in the address book"), parse=as_phone, aliases=("电话", "联系电话", "phone")),
    ImportColumn("email", L("Email in the address book"), parse=as_email, aliases=("邮箱", "email")),
    ImportColumn("company", L("Company"), parse=as_text(max_length=200), example="同窗科技",
                 aliases=("单位", "公司", "工作单位")),
    ImportColumn("job_title", L("Job title"), parse=as_text(max_length=100), aliases=("职务", "职位")),
    ImportColumn("city", L("City"), parse=as_text(max_length=100), example="北京", aliases=("城市", "所在地")),
    ImportColumn("note", L("Note"), parse=as_text(max_length=300), aliases=("备注",)),
]
ENTRY = ("phone", "email", "company", "job_title", "city", "note")


async def _prepare(chunk: list[dict], ctx: ImportContext) -> None:
    if "orgs" not in ctx.cache:
        args: list = []
        rows = await db.fetch(f"SELECT o.id, o.slug, o.name, o.node FROM orgs_org o"
                              f" WHERE {orgs.scope_sql(ctx.actor, args)}", *args)
        ctx.cache["orgs"] = {r["slug"]: r for r in rows} if ctx.actor.can(orgs.MANAGE) or ctx.actor.can(orgs.ADMIN) \
            else {}
    accounts = {}
    for values in chunk:
        login = values.get("account")
        if login and login not in accounts:
            accounts[login] = await members.find_user(login)
    ctx.cache["accounts"] = accounts


async def _validate(values: dict, ctx: ImportContext) -> dict | None:
    org = ctx.cache["orgs"].get((values.get("org") or "").lower())
    if org is None:
        return {"org": _("No association with the address %(slug)s that you manage.", slug=values.get("org"))}
    user_id = ctx.cache["accounts"].get(values.get("account"))
    if user_id is None:
        return {"account": _("No account with this username, phone number or email.")}
    values["org_id"], values["user_id"] = org["id"], user_id
    return None


async def _duplicates(rows: list[dict], ctx: ImportContext) -> list[dict | None]:
    out: list[dict | None] = []
    for values in rows:
        row = await db.fetchrow("SELECT m.id, u.name FROM orgs_member m JOIN app_user u ON u.id = m.\"user\""
                                " WHERE m.org = $1 AND m.\"user\" = $2 AND m.status = 'active'", values["org_id"],
                                values["user_id"])
        out.append({"id": row["id"], "label": row["name"], "rule": _("already a member")} if row else None)
    return out


async def _org_for(actor: Actor, org_id: int) -> dict:
    org = await orgs.get(org_id)
    if not orgs.may_manage(actor, org):
        raise Invalid("org", _("No association with the address %(slug)s that you manage.", slug=org["slug"]))
    return org


async def _create(actor: Actor, values: dict) -> str:
    org = await _org_for(actor, values["org_id"])
    member_id = await members.activate(actor, org, values["user_id"], "import",
                                       {k: values.get(k) or "" for k in ENTRY})
    await db.execute("UPDATE orgs_member SET source = 'import', role = $2,"
                     " phone = COALESCE(NULLIF($3, ''), phone), email = COALESCE(NULLIF($4, ''), email),"
                     " company = $5, job_title = $6, city = $7, note = $8 WHERE id = $1", member_id,
                     values.get("role") or "member", *[values.get(k) or "" for k in ENTRY])
    return str(member_id)


async def _update(actor: Actor, entity_id: str, values: dict, mode: str) -> str:
    """An existing member: overwrite their entry with the file's non-empty values, or only fill the empty ones."""
    org = await _org_for(actor, values["org_id"])
    before = await db.fetchrow("SELECT * FROM orgs_member WHERE id = $1", int(entity_id))
    after = {k: values[k] for k in ENTRY if values.get(k) and (mode == "overwrite" or not before[k])}
    if values.get("role") and before["role"] != "admin" and (mode == "overwrite" or before["role"] == "member"):
        after["role"] = values["role"]
    if after:
        sets = ", ".join(f"{k} = ${i + 2}" for i, k in enumerate(after))
        await db.execute(f"UPDATE orgs_member SET {sets}, updated_at = now() WHERE id = $1", int(entity_id),
                         *after.values())
        await audit.record(actor, "update", "orgs_member", entity_id, org_id=org["node"], summary="import",
                           before={k: before[k] for k in after}, after=after)
    return entity_id


async def _rollback(actor: Actor, entity_id: str) -> None:
    row = await db.fetchrow("DELETE FROM orgs_member WHERE id = $1 AND source = 'import' AND role <> 'admin'"
                            " RETURNING org, \"user\"", int(entity_id))
    if row is not None:
        await audit.record(actor, "delete", "orgs_member", entity_id, summary="import rolled back", before=row)


MEMBER_IMPORT = register(ImportSpec(
    kind=KIND, title=L("Association members (address book)"), permission=orgs.MANAGE, columns=COLUMNS,
    create=_create, update=_update, rollback=_rollback, validate_row=_validate, prepare=_prepare,
    find_duplicates=_duplicates,
    instructions=(L("One member per row: the association's address and the member's account on this platform."),
                  L("A person who is already a member is listed as a duplicate: skip, overwrite or merge their"
                    " entry.")),
))
