"""The configurable multi-level approval chain of applications (EXP-12): each level is a permission (default
committee admin → chief admin, site setting `experts.approval_chain`); a pending application has one open
todo for the holders of its level's permission; the result goes to the applicant by SMS and email."""
from __future__ import annotations

from app.core import notify, settings_store
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L

CHAIN_SETTING = "experts.approval_chain"
LEVELS = {
    "exp.approve.committee": L("Expert committee admin"),
    "exp.approve.chief": L("Chief admin"),
}
settings_store.DEFAULTS.setdefault(CHAIN_SETTING, ["exp.approve.committee", "exp.approve.chief"])
RESULT_TEMPLATE = "exp_application_result"

notify.DEFAULT_TEMPLATES.setdefault(RESULT_TEMPLATE, (L("Expert application result"), {
    "sms": (L("Expert application {{ result }}"),
            L("Your application to the expert pool was {{ result }}. {{ note }}")),
    "email": (L("Your expert application was {{ result }}"),
              L("Hello {{ name }},\n\nyour application to the expert pool was {{ result }}.\n{{ note }}\n{{ link }}")),
}))


async def chain() -> list[str]:
    """The permission of each level, in order (unknown codes are skipped; an empty chain means one level)."""
    levels = [p for p in (await settings_store.get(CHAIN_SETTING) or []) if p in LEVELS]
    return levels or ["exp.approve.chief"]


def level_name(permission: str) -> str:
    return str(LEVELS.get(permission, permission))


def result_word(approved: bool) -> str:
    return _("approved") if approved else _("rejected")
