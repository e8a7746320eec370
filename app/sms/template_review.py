"""Template pages' side of SMS-02: scoped lists and look-ups, and the review todo. The rules (states,
placeholders, blocked words) stay in app.sms.templates; this file only adds the account scope and
opens/closes the reviewer's todo around submit and review."""
from __future__ import annotations

from app.core import db, todos
from app.core.audit import Actor
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest
from app.core.sqlfilter import Where
from app.sms import accounts, templates

STATUSES = {"draft": L("Draft"), "pending": L("Waiting for review"), "approved": L("Approved"),
            "rejected": L("Rejected")}
KINDS = {"verification": L("Verification code"), "notice": L("Notice"), "marketing": L("Marketing")}
REVIEW_URL = "/admin/sms/templates/review"


def _ref(template_id: int) -> str:
    return f"sms_template:{template_id}"


async def list_templates(actor: Actor, *, account_id: int | None, status: str, q: str, req: PageRequest) -> Page:
    where = Where()
    where.add(accounts.visible_sql(actor, where.args, "t.account"))
    where.equals("t.account", account_id)
    if status in STATUSES:
        where.equals("t.status", status)
    where.contains(["t.name", "t.content"], q)
    total = await db.fetchval(f"SELECT count(*) FROM sms_template t WHERE {where.sql()}", *where.args)
    order = req.order_by({"name": "t.name", "updated": "t.updated_at"}, "t.id DESC")
    rows = await db.fetch(
        f"SELECT t.*, a.name AS account_name, su.username AS submitted_name, ru.username AS reviewed_name"
        f" FROM sms_template t JOIN sms_account a ON a.id = t.account LEFT JOIN app_user su ON su.id = t.submitted_by"
        f" LEFT JOIN app_user ru ON ru.id = t.reviewed_by WHERE {where.sql()} {order.replace(', id', ', t.id')}"
        f" LIMIT {req.per_page} OFFSET {req.offset}", *where.args)
    return Page(rows, total, req.page, req.per_page, req.sort)


async def get(actor: Actor, template_id: int) -> dict:
    row = await accounts.one_in_scope(
        actor, "SELECT t.*, a.name AS account_name, a.org AS account_org FROM sms_template t"
        " JOIN sms_account a ON a.id = t.account WHERE t.id = $1", template_id, "t.account")
    row["placeholders"] = templates.placeholders(row["content"])
    return row


async def submit(actor: Actor, template_id: int) -> None:
    """Submit for review and put a todo in the reviewers' inbox (same transaction)."""
    tpl = await get(actor, template_id)
    async with db.transaction():
        await templates.submit_for_review(template_id, actor=actor)
        await todos.open_todo("sms_template", _ref(template_id),
                              _("Review SMS template “%(name)s”", name=tpl["name"]), REVIEW_URL,
                              "sms.template.review", tpl["account_org"])


async def review(actor: Actor, template_id: int, approve: bool, note: str) -> None:
    await get(actor, template_id)
    async with db.transaction():
        await templates.review(template_id, approve, note, actor)
        await todos.close_todo(_ref(template_id), actor.id)
