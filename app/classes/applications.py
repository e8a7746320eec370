"""Alumni apply to create a class the records do not have (CLS-01: 支持校友前端申请创建班级). The application
is a todo for the admins of the college (classes.manage in the college's scope); approving it creates the class
(source "applied", with the applicant as its first member), rejecting it needs a reason; the applicant is told
either way through the message service."""
from __future__ import annotations

from datetime import date

from app.classes import classes
from app.core import audit, db, notify, todos
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest
from app.core.permissions import PermissionDenied
from app.records import api as records

STATUSES = {"pending": L("Pending"), "approved": L("Approved"), "rejected": L("Rejected"),
            "withdrawn": L("Withdrawn")}
TODO_KIND = "cls.application"
ENTITY = "classes_application"

notify.DEFAULT_TEMPLATES.setdefault("cls_application_approved", (L("Class application approved"), {
    "inbox": (L("Your class {{ class_name }} was created"),
              L("Your application was approved: {{ class_name }} is open. Invite your classmates!")),
}))
notify.DEFAULT_TEMPLATES.setdefault("cls_application_rejected", (L("Class application rejected"), {
    "inbox": (L("Your application for {{ class_name }} was not approved"), L("Reason: {{ reason }}")),
}))
try:  # sample values for the template preview in the message api
    from app.support import messages

    messages.SAMPLE_DATA.setdefault("cls_application_approved", {"class_name": "计算机2009级2班"})
    messages.SAMPLE_DATA.setdefault("cls_application_rejected", {"class_name": "计算机2009级2班",
                                                                 "reason": "校友库已有该班级"})
except ImportError:  # pragma: no cover - the support module is always installed
    pass

APP_SQL = ("SELECT a.*, u.name AS user_name, u.username, col.name AS college_name, col.path AS college_path"
           " FROM classes_application a JOIN app_user u ON u.id = a.\"user\""
           " LEFT JOIN org_node col ON col.id = a.college")


async def apply(actor: Actor, *, college: int | None, entry_year: int | None, class_name: str, note: str = "") -> int:
    class_name = " ".join((class_name or "").split())[:100]
    if not class_name:
        raise Invalid("class_name", _("Enter the class name."))
    if not college or not await db.fetchval("SELECT 1 FROM org_node WHERE id = $1 AND kind = 'college'", college):
        raise Invalid("college", _("Choose your college from the list."))
    if entry_year is None or not 1900 <= entry_year <= date.today().year:
        raise Invalid("entry_year", _("Enter the year you entered the school."))
    key = classes.name_key(college, entry_year, records.class_name_key(class_name))
    if await db.fetchval("SELECT 1 FROM classes_class WHERE key = $1", key):
        raise Invalid("class_name", _("This class exists already: find it and ask to join."))
    if await db.fetchval("SELECT 1 FROM classes_application WHERE \"user\" = $1 AND college = $2 AND entry_year = $3"
                         " AND class_name = $4 AND status = 'pending'", actor.id, college, entry_year, class_name):
        raise Invalid("class_name", _("You have already applied for this class. Please wait for the college."))
    async with db.transaction():
        app_id = await db.fetchval(
            "INSERT INTO classes_application (\"user\", college, entry_year, class_name, note, created_by)"
            " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id", actor.id, college, entry_year, class_name,
            (note or "").strip()[:500], actor.id)
        await todos.open_todo(TODO_KIND, f"{TODO_KIND}:{app_id}", _("Class application: %(name)s", name=class_name),
                              f"/admin/classes/applications/{app_id}", "classes.manage", college)
        await audit.record(actor, "apply", ENTITY, app_id, after={"college": college, "entry_year": entry_year,
                                                                  "class_name": class_name}, summary=class_name,
                           org_id=college)
    return app_id


async def mine(user_id: int) -> list[dict]:
    return await db.fetch(f"{APP_SQL} WHERE a.\"user\" = $1 ORDER BY a.created_at DESC, a.id DESC LIMIT 20", user_id)


async def list_for(actor: Actor, status: str, req: PageRequest) -> Page:
    """Applications to the colleges in the reviewer's data scope."""
    args: list = [status if status in STATUSES else "pending"]
    where = f"a.status = $1 AND {actor.scope.sql('a.college', None, args)}"
    total = await db.fetchval(f"SELECT count(*) FROM classes_application a WHERE {where}", *args)
    rows = await db.fetch(f"{APP_SQL} WHERE {where} ORDER BY a.created_at, a.id LIMIT {req.per_page}"
                          f" OFFSET {req.offset}", *args)
    return Page(rows, total, req.page, req.per_page)


async def get(actor: Actor, app_id: int) -> dict:
    """One application; 403 (audited) when its college is outside the reviewer's scope."""
    row = await db.fetchrow(f"{APP_SQL} WHERE a.id = $1", app_id)
    if row is None:
        raise classes.NotFound(app_id)
    if not actor.scope.allows(row["college_path"]):
        await audit.record(actor, "denied", ENTITY, app_id, summary=row["class_name"], org_id=row["college"])
        raise PermissionDenied()
    return row


async def approve(actor: Actor, app_id: int) -> int:
    """Create the class (or take the one created meanwhile with the same key), the applicant its first member."""
    row = await get(actor, app_id)
    async with db.transaction():
        if await db.fetchval("SELECT status FROM classes_application WHERE id = $1 FOR UPDATE", app_id) != "pending":
            raise Conflict(_("This application was already decided."))
        key = classes.name_key(row["college"], row["entry_year"], records.class_name_key(row["class_name"]))
        class_id = await db.fetchval(
            "INSERT INTO classes_class (key, name, college, entry_year, class_name, source, created_by)"
            " VALUES ($1, $2, $3, $4, $2, 'applied', $5) ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key"
            " RETURNING id", key, row["class_name"], row["college"], row["entry_year"], actor.id)
        await db.execute("INSERT INTO classes_member (class_id, \"user\", source, created_by) VALUES ($1, $2,"
                         " 'applied', $3) ON CONFLICT (class_id, \"user\") DO UPDATE SET status = 'active',"
                         " left_at = NULL", class_id, row["user"], actor.id)
        await db.execute("UPDATE classes_application SET status = 'approved', reviewer = $2, reviewed_at = now(),"
                         " class_id = $3, updated_at = now(), updated_by = $2 WHERE id = $1", app_id, actor.id,
                         class_id)
        await todos.close_todo(f"{TODO_KIND}:{app_id}", actor.id)
        await notify.notify([row["user"]], "cls_application_approved", {"class_name": row["class_name"]},
                            url=f"/h5/classes/{class_id}")
        await audit.record(actor, "approve", ENTITY, app_id, before={"status": "pending"},
                           after={"status": "approved", "class": class_id}, summary=row["class_name"],
                           org_id=row["college"])
    return class_id


async def reject(actor: Actor, app_id: int, reason: str) -> None:
    reason = (reason or "").strip()[:500]
    if not reason:
        raise Invalid("reason", _("Give the applicant a reason."))
    row = await get(actor, app_id)
    async with db.transaction():
        status = await db.execute("UPDATE classes_application SET status = 'rejected', reason = $3, reviewer = $2,"
                                  " reviewed_at = now(), updated_at = now(), updated_by = $2"
                                  " WHERE id = $1 AND status = 'pending'", app_id, actor.id, reason)
        if not status.endswith(" 1"):
            raise Conflict(_("This application was already decided."))
        await todos.close_todo(f"{TODO_KIND}:{app_id}", actor.id)
        await notify.notify([row["user"]], "cls_application_rejected", {"class_name": row["class_name"],
                                                                        "reason": reason}, url="/h5/classes")
        await audit.record(actor, "reject", ENTITY, app_id, before={"status": "pending"},
                           after={"status": "rejected", "reason": reason}, summary=row["class_name"],
                           org_id=row["college"])
