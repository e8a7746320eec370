"""A member's own profile, as the class address book sees it (CLS-03: 新加入的班级成员，需完善自己信息方可查看
其他同学通讯录 — a member sees classmates' contacts only after completing their own profile).

"Complete" means all four are filled in:
- name, phone and email: on the login account, or else on the record linked to it;
- employer or industry (either one): on the record linked to the account (the records hold the work data; an
  account without a linked record completes its profile by verifying as an alumnus, which links the record).
Completing it here writes name, phone and email to the account (support.users.update_profile) and the
employer and industry to the linked record through the records' own-change rules (REC-15: applied at once or
proposed for review; a proposal counts once it is accepted)."""
from __future__ import annotations

from app.core import db
from app.core.audit import Actor
from app.core.forms import EMAIL_RE, PHONE_RE, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.records import api as records
from app.support import users

PARTS = {"name": L("Name"), "phone": L("Phone"), "email": L("Email"), "work": L("Employer or industry")}


async def status(user_id: int) -> dict:
    """{complete, missing: [part codes], values: {name, phone, email, employer, industry}, linked: bool}."""
    account = await db.fetchrow("SELECT name, phone, email FROM app_user WHERE id = $1", user_id) or {}
    record = (await records.linked_profiles([user_id])).get(user_id) or {}
    values = {k: (account.get(k) or record.get(k) or "") for k in ("name", "phone", "email")}
    values.update(employer=record.get("employer") or "", industry=record.get("industry") or "")
    missing = [k for k in ("name", "phone", "email") if not values[k].strip()]
    if not (values["employer"].strip() or values["industry"].strip()):
        missing.append("work")
    return {"complete": not missing, "missing": missing, "values": values, "linked": bool(record)}


async def complete(actor: Actor, values: dict) -> dict:
    """Save what the member typed; returns {"review": [fields waiting for review]}. Invalid on a bad value."""
    name = (values.get("name") or "").strip()[:64]
    phone = (values.get("phone") or "").strip()
    email = (values.get("email") or "").strip()
    if not name:
        raise Invalid("name", _("Enter your name."))
    if phone and not PHONE_RE.match(phone):
        raise Invalid("phone", _("Enter a valid phone number."))
    if email and not EMAIL_RE.match(email):
        raise Invalid("email", _("Enter a valid email address."))
    work = {k: (values.get(k) or "").strip()[:200] for k in ("employer", "industry")}
    linked = bool((await records.linked_profiles([actor.id])).get(actor.id))
    if any(work.values()) and not linked:
        raise Invalid("employer", _("Verify your alumni identity first: your employer is kept on your alumni record."))
    lang = await db.fetchval("SELECT lang FROM app_user WHERE id = $1", actor.id) or ""
    await users.update_profile(actor, name=name, email=email or None, phone=phone or None, lang=lang)
    review: list[str] = []
    if linked and any(work.values()):
        result = await records.update_own_record(actor.id, {k: v for k, v in work.items() if v}, "classes")
        review = result["review"]
    return {"review": review}
