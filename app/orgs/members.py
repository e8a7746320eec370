"""Members (ORG-04): joining under each org's own rule, join requests decided by the org's admins, leaving,
removal, roles, the address book (通讯录) and the member directory members see on the micro-site.

Join rules: open → a member at once; approval → a request and a todo for the admins whose scope covers the org's
node; closed → refused with a clear message, and the refusal is audited. The requirement "verified" admits only
accounts linked to an alumni record (the records module's api)."""
from __future__ import annotations

from dataclasses import dataclass

from app.core import audit, db, notify, sqlfilter, todos
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.masking import sees_clear, shown
from app.core.pagination import Page, PageRequest
from app.orgs import orgs
from app.records import api as records

ROLES = {"member": L("Member"), "liaison": L("Liaison"), "admin": L("Admin")}
STATUSES = {"active": L("Active"), "left": L("Left"), "removed": L("Removed")}
REQUEST_STATUSES = {"pending": L("Waiting"), "approved": L("Approved"), "refused": L("Refused"),
                    "withdrawn": L("Withdrawn")}
CONTACT_FIELDS = ("phone", "email", "company", "job_title", "city", "note")
JOIN_TODO = "orgs.join"
RESULT_TEMPLATE = "orgs_join_result"
REMOVED_TEMPLATE = "orgs_member_removed"

notify.DEFAULT_TEMPLATES.setdefault(RESULT_TEMPLATE, (L("Association join request decided"), {
    "inbox": (L("{{ org }}: {{ result }}"), L("Your request to join {{ org }}: {{ result }}. {{ reason }}")),
}))
notify.DEFAULT_TEMPLATES.setdefault(REMOVED_TEMPLATE, (L("Removed from an association"), {
    "inbox": (L("You are no longer a member of {{ org }}"), L("The admins of {{ org }} removed you: {{ reason }}")),
}))


class Refused(Conflict):
    """The org's rule or requirement refuses this join (closed, not verified …); the message says why."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


class NotFound(Exception):
    """No such member or request in this org."""


class MembersOnly(Exception):
    """The member directory is shown to the org's own members only."""


# --- reading --------------------------------------------------------------------------------------------

async def membership(user_id: int | None, org_id: int) -> dict | None:
    """The user's row in this org (any status), or None."""
    if user_id is None:
        return None
    return await db.fetchrow('SELECT * FROM orgs_member WHERE org = $1 AND "user" = $2', org_id, user_id)


async def is_member(user_id: int | None, org_id: int) -> bool:
    row = await membership(user_id, org_id)
    return row is not None and row["status"] == "active"


async def pending_request(user_id: int | None, org_id: int) -> dict | None:
    if user_id is None:
        return None
    return await db.fetchrow("SELECT * FROM orgs_join_request WHERE org = $1 AND \"user\" = $2 AND status = 'pending'",
                             org_id, user_id)


async def my_orgs(user_id: int) -> list[dict]:
    return await db.fetch(
        "SELECT o.id, o.name, o.slug, o.kind, o.region, m.role, m.joined_at FROM orgs_member m"
        " JOIN orgs_org o ON o.id = m.org WHERE m.\"user\" = $1 AND m.status = 'active' AND o.status = 'active'"
        " ORDER BY m.joined_at", user_id)


async def my_requests(user_id: int) -> list[dict]:
    return await db.fetch(
        "SELECT r.id, r.status, r.reason, r.created_at, r.decided_at, o.name AS org_name, o.slug"
        " FROM orgs_join_request r JOIN orgs_org o ON o.id = r.org WHERE r.\"user\" = $1"
        " ORDER BY r.created_at DESC LIMIT 20", user_id)


@dataclass
class MemberFilters:
    q: str = ""
    role: str = ""
    status: str = "active"

    @classmethod
    def from_query(cls, params) -> MemberFilters:
        status = params.get("status")
        return cls(q=sqlfilter.text(params, "q", 100), role=sqlfilter.choice(params, "role", ROLES),
                   status=status if status in STATUSES or status == "all" else "active")


MEMBER_SORTS = {"name": "u.name", "joined": "m.joined_at", "role": "m.role", "company": "m.company"}
MASKED = {"name": "name", "phone": "phone", "email": "email"}


def _mask(viewer, row: dict, own_id: int | None = None) -> dict:
    """Personal values as this viewer may see them (SUP-16); a member always sees their own entry clear."""
    if own_id is not None and row.get("user") == own_id:
        return row
    for key, kind in MASKED.items():
        if row.get(key):
            row[key] = shown(viewer, kind, row[key])
    return row


def _member_where(org_id: int, f: MemberFilters, args: list) -> sqlfilter.Where:
    where = sqlfilter.Where(args)
    where.add(f"m.org = {where.param(org_id)}")
    where.contains(("u.name", "u.username", "m.company", "m.city"), f.q)
    where.equals("m.role", f.role)
    if f.status != "all":
        where.equals("m.status", f.status)
    return where


MEMBER_COLUMNS = ("m.id, m.\"user\", m.role, m.status, m.source, m.joined_at, m.left_at, m.company, m.job_title,"
                  " m.city, m.note, COALESCE(NULLIF(m.phone, ''), u.phone) AS phone,"
                  " COALESCE(NULLIF(m.email, ''), u.email) AS email, u.name, u.username")


async def list_members(actor: Actor, org_id: int, f: MemberFilters, req: PageRequest) -> Page:
    """The address book on the admin pages (masked for the viewer)."""
    await orgs.for_manager(actor, org_id)
    args: list = []
    where = _member_where(org_id, f, args)
    total = await db.fetchval(f"SELECT count(*) FROM orgs_member m JOIN app_user u ON u.id = m.\"user\""
                              f" WHERE {where.sql()}", *args)
    order = req.order_by(MEMBER_SORTS, "m.joined_at DESC").replace(", id", ", m.id")
    rows = await db.fetch(f"SELECT {MEMBER_COLUMNS} FROM orgs_member m JOIN app_user u ON u.id = m.\"user\""
                          f" WHERE {where.sql()} {order} LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page([_mask(actor, r) for r in rows], total, req.page, req.per_page, req.sort)


async def export_rows(actor: Actor, org_id: int, f: MemberFilters) -> list[dict]:
    """Every member matching the filters, unmasked (the export masks them for the viewer), in pages."""
    await orgs.for_manager(actor, org_id)
    args: list = []
    where = _member_where(org_id, f, args)
    out: list[dict] = []
    after = 0
    while True:
        rows = await db.fetch(f"SELECT {MEMBER_COLUMNS} FROM orgs_member m JOIN app_user u ON u.id = m.\"user\""
                              f" WHERE {where.sql()} AND m.id > ${len(args) + 1} ORDER BY m.id LIMIT 1000",
                              *args, after)
        if not rows:
            return out
        out += rows
        after = rows[-1]["id"]


async def directory(viewer: Actor, org_id: int, q: str, req: PageRequest) -> Page:
    """The member directory of the micro-site: only for the org's members (NotAllowed otherwise), masked."""
    if not await is_member(viewer.id, org_id):
        raise MembersOnly(org_id)
    args: list = []
    where = _member_where(org_id, MemberFilters(q=q), args)
    total = await db.fetchval(f"SELECT count(*) FROM orgs_member m JOIN app_user u ON u.id = m.\"user\""
                              f" WHERE {where.sql()}", *args)
    rows = await db.fetch(f"SELECT {MEMBER_COLUMNS} FROM orgs_member m JOIN app_user u ON u.id = m.\"user\""
                          f" WHERE {where.sql()} ORDER BY (m.role = 'admin') DESC, m.joined_at, m.id"
                          f" LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page([_mask(viewer, r, viewer.id) for r in rows], total, req.page, req.per_page)


async def get_member(actor: Actor, org_id: int, member_id: int) -> dict:
    await orgs.for_manager(actor, org_id)
    row = await db.fetchrow(f"SELECT {MEMBER_COLUMNS} FROM orgs_member m JOIN app_user u ON u.id = m.\"user\""
                            f" WHERE m.id = $1 AND m.org = $2", member_id, org_id)
    if row is None:
        raise NotFound(member_id)
    return _mask(actor, row)


async def member_choices(org_id: int) -> list[tuple[str, str]]:
    """Active members as (user id, name) for council seats and meeting attendees."""
    rows = await db.fetch("SELECT u.id, COALESCE(NULLIF(u.name, ''), u.username) AS label FROM orgs_member m"
                          " JOIN app_user u ON u.id = m.\"user\" WHERE m.org = $1 AND m.status = 'active'"
                          " ORDER BY u.name, u.id", org_id)
    return [(str(r["id"]), r["label"]) for r in rows]


# --- joining --------------------------------------------------------------------------------------------

async def _refusal(actor: Actor, org: dict) -> Refused | None:
    """The org's rule and requirement: why this actor may not join, or None."""
    if org["join_rule"] == "closed":
        return Refused(_("%(org)s does not accept new members at the moment.", org=org["name"]), "closed")
    if org["join_requirement"] == "verified" and not await records.is_linked_user(actor.id):
        return Refused(_("Only verified alumni may join %(org)s. Verify your alumni identity first.",
                         org=org["name"]), "verified")
    return None


async def _refuse(actor: Actor, org: dict, refusal: Refused) -> None:
    """Every refused join is audited (in its own transaction: the refusal itself rolls nothing back)."""
    await audit.record(actor, "refused", "orgs_member", "", org_id=org["node"], summary=f"{refusal.code}:{org['id']}",
                       after={"org": org["id"], "rule": refusal.code})
    raise refusal


async def activate(actor: Actor, org: dict, user_id: int, source: str, contact: dict | None = None) -> int:
    """The user becomes (again) an active member; returns the member id."""
    user = await db.fetchrow("SELECT phone, email FROM app_user WHERE id = $1", user_id)
    values = {k: ((contact or {}).get(k) or "").strip()[:300] for k in CONTACT_FIELDS}
    values["phone"] = values["phone"] or (user["phone"] or "")
    values["email"] = values["email"] or (user["email"] or "")
    member_id = await db.fetchval(
        "INSERT INTO orgs_member (org, \"user\", role, status, source, joined_at, phone, email, company, job_title,"
        " city, note) VALUES ($1, $2, 'member', 'active', $3, now(), $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (org, \"user\") DO UPDATE SET status = 'active', role = 'member', source = EXCLUDED.source,"
        " joined_at = now(), left_at = NULL, updated_at = now() RETURNING id",
        org["id"], user_id, source, values["phone"], values["email"], values["company"], values["job_title"],
        values["city"], values["note"])
    await audit.record(actor, "join", "orgs_member", member_id, org_id=org["node"], summary=org["name"],
                       after={"org": org["id"], "user": user_id, "source": source})
    return member_id


async def join(actor: Actor, org_id: int, message: str = "", contact: dict | None = None) -> str:
    """The alumnus asks to join: "joined" (open rule) or "requested" (approval rule); Refused when closed,
    Conflict when already a member or a request is waiting."""
    if actor.id is None:
        raise Invalid("", _("Log in first."))
    org = await orgs.get(org_id)
    if org["status"] != "active":
        raise orgs.NotFound(org_id)
    refusal = await _refusal(actor, org)
    if refusal is not None:
        await _refuse(actor, org, refusal)
    async with db.transaction():
        if await is_member(actor.id, org_id):
            raise Conflict(_("You are already a member of %(org)s.", org=org["name"]))
        if org["join_rule"] == "open":
            await activate(actor, org, actor.id, "join", contact)
            return "joined"
        if await pending_request(actor.id, org_id):
            raise Conflict(_("Your request to join %(org)s is waiting for the admins.", org=org["name"]))
        request_id = await db.fetchval(
            "INSERT INTO orgs_join_request (org, \"user\", message) VALUES ($1, $2, $3) RETURNING id", org_id,
            actor.id, (message or "").strip()[:500])
        await audit.record(actor, "request", "orgs_join_request", request_id, org_id=org["node"], summary=org["name"],
                           after={"org": org_id, "message": message})
        await todos.open_todo(JOIN_TODO, f"{JOIN_TODO}:{request_id}",
                              _("Join request for %(org)s", org=org["name"]),
                              f"/admin/associations/{org_id}/requests", orgs.MANAGE, org["node"])
    return "requested"


async def withdraw(actor: Actor, org_id: int) -> None:
    async with db.transaction():
        row = await pending_request(actor.id, org_id)
        if row is None:
            raise Conflict(_("There is no request waiting."))
        await db.execute("UPDATE orgs_join_request SET status = 'withdrawn', decided_at = now() WHERE id = $1",
                         row["id"])
        await todos.close_todo(f"{JOIN_TODO}:{row['id']}", actor.id)
        await audit.record(actor, "withdraw", "orgs_join_request", row["id"], after={"org": org_id})


async def list_requests(actor: Actor, org_id: int, status: str, req: PageRequest) -> Page:
    await orgs.for_manager(actor, org_id)
    status = status if status in REQUEST_STATUSES else "pending"
    total = await db.fetchval("SELECT count(*) FROM orgs_join_request WHERE org = $1 AND status = $2", org_id, status)
    rows = await db.fetch(
        "SELECT r.*, u.name, u.username, u.kind AS user_kind, m.company, m.job_title, m.city FROM orgs_join_request r"
        " JOIN app_user u ON u.id = r.\"user\" LEFT JOIN orgs_member m ON m.org = r.org AND m.\"user\" = r.\"user\""
        f" WHERE r.org = $1 AND r.status = $2 ORDER BY r.created_at, r.id LIMIT {req.per_page} OFFSET {req.offset}",
        org_id, status)
    for r in rows:
        r["verified"] = await records.is_linked_user(r["user"])
        r["name"] = shown(actor, "name", r["name"])
    return Page(rows, total, req.page, req.per_page)


async def get_request(actor: Actor, org_id: int, request_id: int) -> dict:
    await orgs.for_manager(actor, org_id)
    row = await db.fetchrow("SELECT r.*, u.name, u.username FROM orgs_join_request r JOIN app_user u ON"
                            " u.id = r.\"user\" WHERE r.id = $1 AND r.org = $2", request_id, org_id)
    if row is None:
        raise NotFound(request_id)
    row["name"] = shown(actor, "name", row["name"])
    return row


async def decide(actor: Actor, org_id: int, request_id: int, approve: bool, reason: str = "") -> None:
    """An org admin approves (the applicant becomes a member) or refuses with a reason; the applicant is told."""
    reason = (reason or "").strip()
    if not approve and not reason:
        raise Invalid("reason", _("Give the reason; the applicant is shown it."))
    async with db.transaction():
        org = await orgs.for_manager(actor, org_id)
        row = await db.fetchrow("SELECT * FROM orgs_join_request WHERE id = $1 AND org = $2 FOR UPDATE", request_id,
                                org_id)
        if row is None:
            raise NotFound(request_id)
        if row["status"] != "pending":
            raise Conflict(_("This request has already been decided."))
        status = "approved" if approve else "refused"
        await db.execute("UPDATE orgs_join_request SET status = $2, decided_by = $3, decided_at = now(), reason = $4"
                         " WHERE id = $1", request_id, status, actor.id, reason[:500])
        if approve:
            await activate(actor, org, row["user"], "approved")
        await todos.close_todo(f"{JOIN_TODO}:{request_id}", actor.id)
        await audit.record(actor, "approve" if approve else "refuse", "orgs_join_request", request_id,
                           org_id=org["node"], summary=org["name"], after={"status": status, "reason": reason})
        await notify.notify([row["user"]], RESULT_TEMPLATE,
                            {"org": org["name"], "result": _("approved") if approve else _("refused"),
                             "reason": reason}, url=f"/o/{org['slug']}")


# --- leaving, removal, roles, the address book ----------------------------------------------------------

async def _deactivate(actor: Actor, org: dict, user_id: int, status: str, reason: str = "") -> None:
    row = await db.fetchrow("SELECT id, role, status FROM orgs_member WHERE org = $1 AND \"user\" = $2 FOR UPDATE",
                            org["id"], user_id)
    if row is None or row["status"] != "active":
        raise Conflict(_("This person is not a member."))
    if row["role"] == "admin":
        from app.orgs import admins

        await admins.revoke(actor, org["id"], user_id, check=False)
    await db.execute("UPDATE orgs_member SET status = $2, role = 'member', left_at = now(), updated_at = now()"
                     " WHERE id = $1", row["id"], status)
    await audit.record(actor, "leave" if status == "left" else "remove", "orgs_member", row["id"],
                       org_id=org["node"], summary=reason[:200] or org["name"],
                       before={"status": "active", "role": row["role"]}, after={"status": status, "reason": reason})


async def leave(actor: Actor, org_id: int) -> None:
    async with db.transaction():
        org = await orgs.get(org_id)
        await _deactivate(actor, org, actor.id, "left")


async def remove(actor: Actor, org_id: int, member_id: int, reason: str) -> None:
    """An admin removes a member (a reason is required and the member is told)."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("reason", _("Give the reason; the member is shown it."))
    async with db.transaction():
        org = await orgs.for_manager(actor, org_id)
        user_id = await db.fetchval('SELECT "user" FROM orgs_member WHERE id = $1 AND org = $2', member_id, org_id)
        if user_id is None:
            raise NotFound(member_id)
        await _deactivate(actor, org, user_id, "removed", reason)
        await notify.notify([user_id], REMOVED_TEMPLATE, {"org": org["name"], "reason": reason})


async def set_role(actor: Actor, org_id: int, member_id: int, role: str) -> None:
    """member ↔ liaison; "admin" comes only with an appointment by HQ (admins.appoint)."""
    if role not in ("member", "liaison"):
        raise Invalid("role", _("Choose from the list."))
    async with db.transaction():
        org = await orgs.for_manager(actor, org_id)
        before = await db.fetchrow("SELECT role, status FROM orgs_member WHERE id = $1 AND org = $2", member_id,
                                   org_id)
        if before is None or before["status"] != "active":
            raise NotFound(member_id)
        if before["role"] == "admin":
            raise Conflict(_("Revoke the admin appointment first."))
        await db.execute("UPDATE orgs_member SET role = $2, updated_at = now() WHERE id = $1", member_id, role)
        await audit.record(actor, "update", "orgs_member", member_id, org_id=org["node"], summary="role",
                           before={"role": before["role"]}, after={"role": role})


async def update_contact(actor: Actor, org_id: int, member_id: int, values: dict) -> None:
    async with db.transaction():
        org = await orgs.for_manager(actor, org_id)
        before = await db.fetchrow("SELECT * FROM orgs_member WHERE id = $1 AND org = $2", member_id, org_id)
        if before is None:
            raise NotFound(member_id)
        await _write_contact(actor, org, before, values)


async def update_own_contact(actor: Actor, org_id: int, values: dict) -> None:
    """A member keeps their own address-book entry up to date (H5)."""
    async with db.transaction():
        org = await orgs.get(org_id)
        before = await membership(actor.id, org_id)
        if before is None or before["status"] != "active":
            raise Conflict(_("This person is not a member."))
        await _write_contact(actor, org, before, values, own=True)


async def _write_contact(actor: Actor, org: dict, before: dict, values: dict, own: bool = False) -> None:
    """A viewer who only sees a masked phone or email (the form shows it masked) cannot change it."""
    after = {k: (values.get(k) or "").strip()[:300] for k in CONTACT_FIELDS if k in values
             and (own or k not in MASKED or sees_clear(actor, MASKED[k]))}
    changed = {k: v for k, v in after.items() if v != before[k]}
    if not changed:
        return
    sets = ", ".join(f"{k} = ${i + 2}" for i, k in enumerate(changed))
    await db.execute(f"UPDATE orgs_member SET {sets}, updated_at = now() WHERE id = $1", before["id"],
                     *changed.values())
    await audit.record(actor, "update", "orgs_member", before["id"], org_id=org["node"], summary="contact",
                       before={k: before[k] for k in changed}, after=changed)


async def add_by_admin(actor: Actor, org_id: int, login: str) -> int:
    """An admin adds an existing account (username, phone or email) as a member."""
    login = (login or "").strip()
    async with db.transaction():
        org = await orgs.for_manager(actor, org_id)
        user_id = await find_user(login)
        if user_id is None:
            raise Invalid("login", _("No account with this username, phone number or email."))
        if await is_member(user_id, org_id):
            raise Invalid("login", _("This person is already a member."))
        return await activate(actor, org, user_id, "admin")


async def find_user(login: str) -> int | None:
    from app.support import users

    login = (login or "").strip()
    if not login:
        return None
    row = await db.fetchval("SELECT id FROM app_user WHERE is_active AND (lower(username) = lower($1)"
                            " OR lower(email) = lower($1)) ORDER BY id LIMIT 1", login)
    if row:
        return row
    digits = "".join(ch for ch in login if ch.isdigit())[-11:]
    found = await users.find_by_phone(digits) if len(digits) == 11 else []
    active = [u for u in found if u["is_active"]]
    return active[0]["id"] if len(active) == 1 else None
