"""Applications to found an association (ORG-01): an alumnus fills in the form → a pending application and a todo
"orgs.application" for HQ (orgs.org.admin) → HQ approves (the org is created, the applicant becomes its first member
and, if HQ ticks it, its admin) or rejects with a reason; the applicant is told either way."""
from __future__ import annotations

from app.core import audit, db, notify, todos
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest
from app.orgs import orgs

STATUSES = {"pending": L("Waiting"), "approved": L("Approved"), "rejected": L("Rejected")}
TODO_KIND = "orgs.application"
RESULT_TEMPLATE = "orgs_application_result"

notify.DEFAULT_TEMPLATES.setdefault(RESULT_TEMPLATE, (L("Association application decided"), {
    "inbox": (L("Your application for {{ name }}: {{ result }}"),
              L("Your application to found {{ name }} was {{ result }}. {{ reason }}")),
}))


def todo_ref(application_id: int) -> str:
    return f"{TODO_KIND}:{application_id}"


async def apply(actor: Actor, values: dict) -> int:
    """A logged-in user asks HQ to found an association."""
    if actor.id is None:
        raise Invalid("", _("Log in first."))
    name = (values.get("name") or "").strip()
    if not name:
        raise Invalid("name", _("This field is required."))
    slug = orgs.clean_slug(values.get("slug"))
    kind = values.get("kind") or "local"
    if kind not in orgs.KINDS:
        raise Invalid("kind", _("Choose from the list."))
    reason = (values.get("reason") or "").strip()
    if not reason:
        raise Invalid("reason", _("Tell HQ what the association is for and who is in it."))
    async with db.transaction():
        await orgs.check_slug_free(slug)
        if await db.fetchval("SELECT 1 FROM orgs_application WHERE slug = $1 AND status = 'pending'", slug):
            raise Invalid("slug", _("Another application waiting for HQ already asks for this address."))
        if await db.fetchval("SELECT 1 FROM orgs_application WHERE applicant = $1 AND lower(name) = lower($2)"
                             " AND status = 'pending'", actor.id, name):
            raise Conflict(_("Your application for %(name)s is already waiting for HQ.", name=name))
        parent = values.get("parent")
        if parent and not await db.fetchval("SELECT 1 FROM orgs_org WHERE id = $1 AND status = 'active'", int(parent)):
            raise Invalid("parent", _("Choose from the list."))
        application_id = await db.fetchval(
            "INSERT INTO orgs_application (applicant, name, slug, kind, parent, region, reason, phone)"
            " VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id", actor.id, name[:100], slug, kind,
            int(parent) if parent else None, (values.get("region") or "").strip()[:100], reason[:2000],
            (values.get("phone") or "").strip()[:32])
        await audit.record(actor, "apply", "orgs_application", application_id, summary=name,
                           after={"name": name, "slug": slug, "kind": kind, "parent": parent})
        await todos.open_todo(TODO_KIND, todo_ref(application_id),
                              _("Association application: %(name)s", name=name),
                              f"/admin/associations/applications/{application_id}", orgs.ADMIN)
    return application_id


async def list_applications(actor: Actor, status: str, req: PageRequest) -> Page:
    status = status if status in STATUSES else "pending"
    total = await db.fetchval("SELECT count(*) FROM orgs_application WHERE status = $1", status)
    rows = await db.fetch(
        "SELECT a.*, u.name AS applicant_name, u.username, p.name AS parent_name FROM orgs_application a"
        " JOIN app_user u ON u.id = a.applicant LEFT JOIN orgs_org p ON p.id = a.parent WHERE a.status = $1"
        f" ORDER BY a.created_at DESC, a.id DESC LIMIT {req.per_page} OFFSET {req.offset}", status)
    return Page(rows, total, req.page, req.per_page)


async def counts() -> dict[str, int]:
    rows = await db.fetch("SELECT status, count(*) AS n FROM orgs_application GROUP BY status")
    return {r["status"]: r["n"] for r in rows}


async def get(application_id: int) -> dict:
    row = await db.fetchrow(
        "SELECT a.*, u.name AS applicant_name, u.username, u.phone AS applicant_phone, p.name AS parent_name"
        " FROM orgs_application a JOIN app_user u ON u.id = a.applicant LEFT JOIN orgs_org p ON p.id = a.parent"
        " WHERE a.id = $1", application_id)
    if row is None:
        raise orgs.NotFound(application_id)
    return row


async def mine(user_id: int) -> list[dict]:
    return await db.fetch("SELECT a.*, o.slug AS org_slug FROM orgs_application a LEFT JOIN orgs_org o"
                          " ON o.id = a.org WHERE a.applicant = $1 ORDER BY a.created_at DESC LIMIT 20", user_id)


async def approve(actor: Actor, application_id: int, values: dict, appoint: bool = True) -> int:
    """HQ creates the org from the application (values may correct name, address, kind, parent, node);
    returns the new org's id."""
    from app.orgs import admins, members

    async with db.transaction():
        row = await db.fetchrow("SELECT * FROM orgs_application WHERE id = $1 FOR UPDATE", application_id)
        if row is None:
            raise orgs.NotFound(application_id)
        if row["status"] != "pending":
            raise Conflict(_("This application has already been decided."))
        data = {"name": row["name"], "slug": row["slug"], "kind": row["kind"], "parent": row["parent"],
                "region": row["region"], "phone": row["phone"], "summary": "", "description": "",
                "join_rule": "approval", "join_requirement": "any", "status": "active",
                **{k: v for k, v in values.items() if v not in (None, "")}}
        org_id = await orgs.create(actor, data)
        org = await orgs.get(org_id)
        await members.activate(actor, org, row["applicant"], "founder")
        if appoint:
            await admins.appoint(actor, org_id, row["applicant"])
        await db.execute("UPDATE orgs_application SET status = 'approved', decided_by = $2, decided_at = now(),"
                         " org = $3 WHERE id = $1", application_id, actor.id, org_id)
        await todos.close_todo(todo_ref(application_id), actor.id)
        await audit.record(actor, "approve", "orgs_application", application_id, summary=row["name"],
                           after={"org": org_id, "appoint": appoint}, org_id=org["node"])
        await notify.notify([row["applicant"]], RESULT_TEMPLATE,
                            {"name": org["name"], "result": _("approved"), "reason": ""}, url=f"/o/{org['slug']}")
    return org_id


async def reject(actor: Actor, application_id: int, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("reason", _("Give the reason; the applicant is shown it."))
    async with db.transaction():
        row = await db.fetchrow("SELECT * FROM orgs_application WHERE id = $1 FOR UPDATE", application_id)
        if row is None:
            raise orgs.NotFound(application_id)
        if row["status"] != "pending":
            raise Conflict(_("This application has already been decided."))
        await db.execute("UPDATE orgs_application SET status = 'rejected', decided_by = $2, decided_at = now(),"
                         " decision_reason = $3 WHERE id = $1", application_id, actor.id, reason[:2000])
        await todos.close_todo(todo_ref(application_id), actor.id)
        await audit.record(actor, "reject", "orgs_application", application_id, summary=row["name"],
                           after={"reason": reason})
        await notify.notify([row["applicant"]], RESULT_TEMPLATE,
                            {"name": row["name"], "result": _("rejected"), "reason": reason}, url="/h5/orgs")
