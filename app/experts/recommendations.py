"""Recommendations (EXP-02): a formal expert names someone (name, phone, email); we mail them a signed link
that expires; the application opened from it records who recommended whom (admins see it)."""
from __future__ import annotations

from app.config import get_settings
from app.core import audit, db, notify, phones, settings_store
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.security import TokenExpired, TokenInvalid, sign, unsign

PURPOSE = "exp.recommend"
DAYS_SETTING = "experts.recommend_days"
settings_store.DEFAULTS.setdefault(DAYS_SETTING, 14)
TEMPLATE = "exp_recommendation"

notify.DEFAULT_TEMPLATES.setdefault(TEMPLATE, (L("Expert recommendation"), {
    "email": (L("{{ recommender }} recommends you for the expert pool"),
              L("Hello {{ name }},\n\n{{ recommender }} recommends you as an expert. Open this link to apply"
                " (valid {{ days }} days):\n{{ link }}")),
}))


async def create(actor: Actor, expert: dict, data: dict) -> tuple[int, str]:
    """Record the recommendation and mail the link; returns (id, link path)."""
    name = (data.get("name") or "").strip()
    email = (data.get("email") or "").strip()
    if not name:
        raise Invalid("name", _("This field is required."))
    phone = phones.or_invalid(data.get("phone"))
    if "@" not in email or "." not in email.partition("@")[2]:
        raise Invalid("email", _("Enter a valid email address."))
    days = int(await settings_store.get(DAYS_SETTING))
    async with db.transaction():
        rec_id = await db.fetchval("INSERT INTO exp_recommendation (recommender, name, phone, email, created_by)"
                                   " VALUES ($1,$2,$3,$4,$5) RETURNING id", expert["id"], name[:64], phone, email,
                                   actor.id)
        path = f"/experts/apply?rec={sign(PURPOSE, rec_id)}"
        await notify.notify_address("email", email, TEMPLATE, {"name": name, "recommender": expert["name"],
                                                               "days": days,
                                                               "link": get_settings().public_url() + path})
        await audit.record(actor, "recommend", "exp_expert", expert["id"], summary=name,
                           after={"recommendation": rec_id, "name": name, "email": email})
    return rec_id, path


async def resolve(token: str) -> dict:
    """The recommendation a link names; Invalid with a clear message when it is expired or altered."""
    days = int(await settings_store.get(DAYS_SETTING))
    try:
        rec_id = unsign(PURPOSE, token, max_age=days * 86400)
    except TokenExpired:
        raise Invalid("rec", _("This recommendation link has expired. Ask the expert who recommended you for a"
                               " new one, or apply without it.")) from None
    except TokenInvalid:
        raise Invalid("rec", _("This recommendation link is not valid.")) from None
    row = await db.fetchrow("SELECT id, recommender, name, phone, email FROM exp_recommendation WHERE id = $1",
                            rec_id)
    if row is None:
        raise Invalid("rec", _("This recommendation link is not valid."))
    return row


async def by_expert(expert_id: int) -> list[dict]:
    return await db.fetch("SELECT r.name, r.email, r.created_at, a.status AS application_status FROM"
                          " exp_recommendation r LEFT JOIN exp_application a ON a.id = r.application"
                          " WHERE r.recommender = $1 ORDER BY r.created_at DESC", expert_id)
