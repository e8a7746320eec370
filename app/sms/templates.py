"""SMS templates with review (SMS-02): draft → pending → approved / rejected. Only approved templates
send; editing an approved template sends it back to draft. Placeholders are {name}."""
from __future__ import annotations

import re

from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.sms import checks

KINDS = ("verification", "notice", "marketing")
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def placeholders(content: str) -> list[str]:
    return list(dict.fromkeys(PLACEHOLDER.findall(content)))


def fill(sign: str, content: str, params: dict | None) -> str:
    """Sign + content with every {param} replaced; Invalid names the first missing one."""
    params = params or {}
    missing = [p for p in placeholders(content) if str(params.get(p, "")).strip() == ""]
    if missing:
        raise Invalid("params", _("Missing value for the template variable {%(name)s}.", name=missing[0]))
    return sign + PLACEHOLDER.sub(lambda m: str(params[m.group(1)]), content)


def _check(name: str, kind: str, content: str) -> None:
    if not name.strip():
        raise Invalid("name", _("Enter a name."))
    if kind not in KINDS:
        raise Invalid("kind", _("Choose a template kind."))
    if not content.strip():
        raise Invalid("content", _("Enter the template text."))
    if len(content) > 480:
        raise Invalid("content", _("A template may have at most 480 characters."))


async def get(template_id: int) -> dict | None:
    return await db.fetchrow("SELECT * FROM sms_template WHERE id = $1", template_id)


async def list_templates(account_id: int, *, status: str | None = None) -> list[dict]:
    return await db.fetch("SELECT * FROM sms_template WHERE account = $1 AND ($2::text IS NULL OR status = $2)"
                          " ORDER BY id DESC", account_id, status)


async def create(account_id: int, *, name: str, kind: str, content: str, sign: str = "", actor: Actor) -> int:
    _check(name, kind, content)
    async with db.transaction():
        template_id = await db.fetchval(
            "INSERT INTO sms_template (account, name, kind, sign, content, created_by, updated_by)"
            " VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id", account_id, name.strip(), kind, sign.strip(),
            content.strip(), actor.id)
        await audit.record(actor, "sms.template.create", "sms_template", template_id, after={"name": name,
                           "content": content})
    return template_id


async def update(template_id: int, *, name: str, kind: str, content: str, sign: str = "", actor: Actor) -> None:
    _check(name, kind, content)
    async with db.transaction():
        before = await db.fetchrow("SELECT * FROM sms_template WHERE id = $1 FOR UPDATE", template_id)
        if before is None:
            raise Invalid("", _("No such template."))
        if before["status"] == "pending":
            raise Conflict(_("The template is under review; wait for the result before editing."))
        await db.execute("UPDATE sms_template SET name = $2, kind = $3, sign = $4, content = $5, status = 'draft',"
                         " updated_by = $6, updated_at = now() WHERE id = $1", template_id, name.strip(), kind,
                         sign.strip(), content.strip(), actor.id)
        await audit.record(actor, "sms.template.update", "sms_template", template_id,
                           before={"content": before["content"], "status": before["status"]},
                           after={"content": content, "status": "draft"})


async def submit_for_review(template_id: int, *, actor: Actor) -> None:
    async with db.transaction():
        row = await db.fetchrow("UPDATE sms_template SET status = 'pending', submitted_by = $2, submitted_at = now(),"
                                " updated_at = now() WHERE id = $1 AND status IN ('draft', 'rejected')"
                                " RETURNING id", template_id, actor.id)
        if row is None:
            raise Conflict(_("Only a draft or rejected template can be submitted for review."))
        await audit.record(actor, "sms.template.submit", "sms_template", template_id)


async def review(template_id: int, approve: bool, note: str, actor: Actor) -> None:
    """Approve or reject a pending template; a rejection needs a note saying why."""
    if not approve and not note.strip():
        raise Invalid("note", _("Say why the template is rejected."))
    async with db.transaction():
        tpl = await db.fetchrow("SELECT * FROM sms_template WHERE id = $1 FOR UPDATE", template_id)
        if tpl is None or tpl["status"] != "pending":
            raise Conflict(_("This template is not waiting for review."))
        if approve:
            word = next((w for w, action in await checks.sensitive_words(tpl["sign"] + tpl["content"])
                         if action == "block"), None)
            if word:
                raise Invalid("note", _("The text contains the blocked word “%(word)s”.", word=word))
        status = "approved" if approve else "rejected"
        await db.execute("UPDATE sms_template SET status = $2, reviewed_by = $3, review_note = $4, reviewed_at = now(),"
                         " updated_at = now() WHERE id = $1", template_id, status, actor.id, note.strip())
        await audit.record(actor, f"sms.template.{status}", "sms_template", template_id, summary=note.strip())


async def delete(template_id: int, *, actor: Actor) -> None:
    async with db.transaction():
        row = await db.fetchrow("DELETE FROM sms_template WHERE id = $1 AND status <> 'pending' RETURNING name",
                                template_id)
        if row is None:
            raise Conflict(_("A template under review cannot be deleted."))
        await audit.record(actor, "sms.template.delete", "sms_template", template_id, before=row)


async def render(template_id: int, params: dict | None) -> str:
    """The text an approved template produces with these parameters."""
    tpl = await get(template_id)
    if tpl is None:
        raise Invalid("template", _("No such template."))
    if tpl["status"] != "approved":
        raise Invalid("template", _("The template is not approved yet."))
    return fill(tpl["sign"], tpl["content"], params)
