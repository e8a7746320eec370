"""The class address book (CLS-03): the roster as the records hold it merged with the members, contacts shown
to members and liaisons who completed their own profile (profiles.py) and masked otherwise; join requests from
alumni the records could not join, leave requests from members; both decided by the class's liaisons or the
college's admins (a todo for the college, a message to each liaison), the applicant told the outcome.

Contacts (phone, email, employer) are only ever shown for *members*: a classmate the records hold who has not
joined the space is listed by name only."""
from __future__ import annotations

from app.classes import classes, profiles
from app.core import audit, db, notify, todos
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.masking import mask, shown
from app.records import api as records

REQUEST_KINDS = {"join": L("Join"), "leave": L("Leave")}
REQUEST_STATUSES = {"pending": L("Pending"), "approved": L("Approved"), "rejected": L("Rejected"),
                    "withdrawn": L("Withdrawn")}
SOURCES = {"records": L("From the records"), "request": L("Join request"), "applied": L("Applicant")}
TODO_KIND = "cls.request"
ENTITY = "classes_request"

notify.DEFAULT_TEMPLATES.setdefault("cls_request", (L("Class join or leave request"), {
    "inbox": (L("{{ applicant }}: {{ what }} {{ class_name }}"),
              L("{{ applicant }} asks: {{ what }} {{ class_name }}.\n{{ note }}\nDecide on the class's manage page.")),
}))
notify.DEFAULT_TEMPLATES.setdefault("cls_request_decided", (L("Class request decided"), {
    "inbox": (L("{{ class_name }}: {{ outcome }}"), L("Your request ({{ what }}) for {{ class_name }}: {{ outcome }}."
                                                     "\n{{ reason }}")),
}))
try:  # sample values for the template preview in the message api
    from app.support import messages

    messages.SAMPLE_DATA.setdefault("cls_request", {"applicant": "张三", "what": "加入",
                                                    "class_name": "计算机2008级1班", "note": ""})
    messages.SAMPLE_DATA.setdefault("cls_request_decided", {"class_name": "计算机2008级1班", "what": "加入",
                                                            "outcome": "已通过", "reason": ""})
except ImportError:  # pragma: no cover - the support module is always installed
    pass


def _records_key(klass: dict) -> dict:
    """The class_roster arguments of a class (by its key)."""
    if klass["key"].startswith("node:"):
        return {"class_node": int(klass["key"][5:])}
    _kind, college, year, name = klass["key"].split(":", 3)
    return {"college": int(college), "entry_year": int(year), "name_key": name}


async def members(class_id: int) -> list[dict]:
    return await db.fetch(
        "SELECT m.*, u.name AS user_name, u.username, u.phone AS user_phone, u.email AS user_email,"
        " EXISTS (SELECT 1 FROM classes_liaison l WHERE l.class_id = m.class_id AND l.\"user\" = m.\"user\")"
        " AS liaison FROM classes_member m JOIN app_user u ON u.id = m.\"user\""
        " WHERE m.class_id = $1 AND m.status = 'active' ORDER BY u.name, m.id", class_id)


async def address_book(viewer: Actor, klass: dict) -> dict:
    """{rows: [{name, member, liaison, me, phone, email, employer, source}], contacts: "clear" | "masked" |
    "staff", profile: profiles.status of the viewer}. Rows: members first, then the records' classmates who
    have not joined (name only)."""
    profile = await profiles.status(viewer.id)
    staff = classes.in_scope(viewer, klass) or classes.in_scope(viewer, klass, "classes.view")
    peer = await classes.is_member(viewer.id, klass["id"]) or await classes.is_liaison(viewer.id, klass["id"])
    mode = "clear" if peer and profile["complete"] else ("staff" if staff else "masked")
    people = await records.class_roster(**_records_key(klass))
    joined = await members(klass["id"])
    linked = await records.linked_profiles([m["user"] for m in joined])
    by_user = {p["user"]: p for p in people if p["user"]}
    rows = []
    for m in joined:
        record = by_user.get(m["user"]) or linked.get(m["user"]) or {}
        if record.get("secret") or (record.get("secrecy") or 0) > 0:  # a secret record shows no contacts
            values = {"phone": None, "email": None, "employer": ""}
        else:
            values = {"phone": record.get("phone") or m["user_phone"], "email": record.get("email") or m["user_email"],
                      "employer": record.get("employer") or ""}
        rows.append({"name": record.get("name") or m["user_name"] or m["username"], "member": True,
                     "liaison": m["liaison"], "me": m["user"] == viewer.id, "source": m["source"],
                     **_contacts(viewer, mode, values, m["user"] == viewer.id)})
    member_users = {m["user"] for m in joined}
    rows += [{"name": p["name"], "member": False, "liaison": False, "me": False, "source": "",
              "phone": "", "email": "", "employer": ""} for p in people if p["user"] not in member_users]
    return {"rows": rows, "contacts": mode, "profile": profile}


def _contacts(viewer: Actor, mode: str, values: dict, me: bool) -> dict:
    if mode == "clear" or me:
        return {k: v or "" for k, v in values.items()}
    if mode == "staff":  # the staff's own clear-view permissions (SUP-16)
        return {"phone": shown(viewer, "phone", values["phone"]), "email": shown(viewer, "email", values["email"]),
                "employer": values["employer"] or ""}
    return {"phone": mask("phone", values["phone"]), "email": mask("email", values["email"]),
            "employer": "****" if values["employer"] else ""}


# --- join and leave requests ---------------------------------------------------------------------------

async def _open(actor: Actor, klass: dict, kind: str, note: str) -> int:
    note = (note or "").strip()[:500]
    async with db.transaction():
        if await db.fetchval("SELECT 1 FROM classes_request WHERE class_id = $1 AND \"user\" = $2 AND kind = $3"
                             " AND status = 'pending'", klass["id"], actor.id, kind):
            raise Conflict(_("You have already sent this request. Please wait for the liaison's answer."))
        request_id = await db.fetchval(
            "INSERT INTO classes_request (class_id, \"user\", kind, note, created_by) VALUES ($1, $2, $3, $4, $5)"
            " RETURNING id", klass["id"], actor.id, kind, note, actor.id)
        applicant = await db.fetchval("SELECT COALESCE(NULLIF(name, ''), username) FROM app_user WHERE id = $1",
                                      actor.id)
        what = str(REQUEST_KINDS[kind])
        title = _("%(who)s: %(what)s %(name)s", who=applicant, what=what, name=klass["name"])
        await todos.open_todo(TODO_KIND, f"{TODO_KIND}:{request_id}", title[:200], f"/admin/classes/{klass['id']}",
                              "classes.manage", klass["org_id"], notify_users=False)
        liaisons = [r["user"] for r in await db.fetch('SELECT "user" FROM classes_liaison WHERE class_id = $1',
                                                      klass["id"])]
        told = liaisons or await todos.users_for("classes.manage", klass["org_id"])
        await notify.notify(told, "cls_request", {"applicant": applicant, "what": what, "class_name": klass["name"],
                                                  "note": note}, url=f"/h5/classes/{klass['id']}/manage")
        await audit.record(actor, "request_" + kind, ENTITY, request_id, after={"class": klass["id"], "note": note},
                           summary=klass["name"], org_id=klass["org_id"])
    return request_id


async def request_join(actor: Actor, class_id: int, note: str = "") -> int:
    klass = await classes.get(class_id)
    if klass["status"] != "active":
        raise Conflict(_("This class is no longer in the records and takes no new members."))
    if await classes.is_member(actor.id, class_id):
        raise Conflict(_("You are already a member of this class."))
    return await _open(actor, klass, "join", note)


async def request_leave(actor: Actor, class_id: int, note: str = "") -> int:
    klass = await classes.get(class_id)
    if not await classes.is_member(actor.id, class_id):
        raise Conflict(_("You are not a member of this class."))
    return await _open(actor, klass, "leave", note)


async def withdraw(actor: Actor, request_id: int) -> None:
    async with db.transaction():
        row = await db.fetchrow("UPDATE classes_request SET status = 'withdrawn', updated_at = now(), updated_by = $3"
                                " WHERE id = $1 AND \"user\" = $2 AND status = 'pending' RETURNING class_id",
                                request_id, actor.id, actor.id)
        if row is None:
            raise Conflict(_("This request is no longer pending."))
        await todos.close_todo(f"{TODO_KIND}:{request_id}", actor.id)
        await audit.record(actor, "withdraw", ENTITY, request_id, summary=str(row["class_id"]))


async def get_request(request_id: int) -> dict:
    row = await db.fetchrow("SELECT r.*, u.name AS user_name, u.username FROM classes_request r"
                            " JOIN app_user u ON u.id = r.\"user\" WHERE r.id = $1", request_id)
    if row is None:
        raise classes.NotFound(request_id)
    return row


async def decide(actor: Actor, request_id: int, approve: bool, reason: str = "") -> dict:
    """Approve or reject a pending request: only a liaison of its class or the college's admins (403 and an
    audit entry for anyone else). A rejection needs a reason the applicant is shown."""
    request = await get_request(request_id)
    klass = await classes.get(request["class_id"])
    await classes.ensure_manage(actor, klass, f"decide request {request_id}")
    reason = (reason or "").strip()[:500]
    if not approve and not reason:
        raise Invalid("reason", _("Give the applicant a reason."))
    async with db.transaction():
        row = await db.fetchrow(
            "UPDATE classes_request SET status = $2, reason = $3, decided_by = $4, decided_at = now(),"
            " updated_at = now(), updated_by = $4 WHERE id = $1 AND status = 'pending' RETURNING *",
            request_id, "approved" if approve else "rejected", reason, actor.id)
        if row is None:
            raise Conflict(_("This request was already decided."))
        if approve and row["kind"] == "join":
            await db.execute(
                "INSERT INTO classes_member (class_id, \"user\", source, created_by) VALUES ($1, $2, 'request', $3)"
                " ON CONFLICT (class_id, \"user\") DO UPDATE SET status = 'active', left_at = NULL,"
                " joined_at = now(), updated_at = now(), updated_by = $3", row["class_id"], row["user"], actor.id)
        elif approve:
            await db.execute("UPDATE classes_member SET status = 'left', left_at = now(), updated_at = now(),"
                             " updated_by = $3 WHERE class_id = $1 AND \"user\" = $2", row["class_id"], row["user"],
                             actor.id)
        await todos.close_todo(f"{TODO_KIND}:{request_id}", actor.id)
        outcome = _("approved") if approve else _("not approved")
        await notify.notify([row["user"]], "cls_request_decided",
                            {"class_name": klass["name"], "what": str(REQUEST_KINDS[row["kind"]]), "outcome": outcome,
                             "reason": reason}, url=f"/h5/classes/{klass['id']}")
        await audit.record(actor, "approve" if approve else "reject", ENTITY, request_id,
                           before={"status": "pending"}, after={"status": row["status"], "kind": row["kind"],
                                                                "user": row["user"], "reason": reason},
                           summary=klass["name"], org_id=klass["org_id"])
    return row


async def pending(class_id: int) -> list[dict]:
    return await db.fetch("SELECT r.*, u.name AS user_name, u.username FROM classes_request r"
                          " JOIN app_user u ON u.id = r.\"user\" WHERE r.class_id = $1 AND r.status = 'pending'"
                          " ORDER BY r.created_at, r.id", class_id)


async def my_requests(user_id: int, class_id: int | None = None) -> list[dict]:
    return await db.fetch("SELECT r.*, c.name AS class_name FROM classes_request r JOIN classes_class c"
                          " ON c.id = r.class_id WHERE r.\"user\" = $1 AND ($2::bigint IS NULL OR r.class_id = $2)"
                          " ORDER BY r.created_at DESC, r.id DESC LIMIT 20", user_id, class_id)
