"""Printables of the support module: the user account sheet (用户账户信息表) with the SUP-15 watermark."""
from __future__ import annotations

from datetime import datetime

from app.config import get_settings
from app.core import audit, db, pdf, settings_store
from app.core.audit import Actor
from app.core.masking import shown
from app.core.qrcodes import qr_svg
from app.support import users
from app.support.forms import USER_KINDS

USER_SHEET = "support/user_sheet.html"


def _when(value: datetime | None) -> str:
    """Server-local time, minutes: what a printed record needs."""
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else ""


async def watermark_text(act: Actor, at: datetime) -> str:
    """SUP-15: who printed it (name + account) and when, repeated on every page."""
    name = await db.fetchval("SELECT name FROM app_user WHERE id = $1", act.id) if act.id else ""
    return f"{name or act.name} {act.name} {_when(at)}"


async def user_sheet_context(act: Actor, user_id: int) -> dict:
    """Everything the sheet shows; personal fields masked as this viewer sees them (SUP-16).
    Loading goes through users.get_user, so a user outside the data scope is PermissionDenied."""
    row = await users.get_user(act, user_id)
    roles = await db.fetch('SELECT r.name FROM user_role ur JOIN role r ON r.id = ur.role WHERE ur."user" = $1 '
                           "ORDER BY r.name", user_id)
    admin_url = f"{get_settings().public_url().rstrip('/')}/admin/users/{user_id}"
    kinds = dict(USER_KINDS)
    now = datetime.now().astimezone()
    return {
        "site_name": await settings_store.get("site.name"),
        "target": {
            "id": row["id"], "username": row["username"], "name": shown(act, "name", row["name"]),
            "phone": shown(act, "phone", row["phone"]), "email": shown(act, "email", row["email"]),
            "org": row["org_name"] or "", "org_id": row["org"], "roles": [r["name"] for r in roles],
            "kind": str(kinds.get(row["kind"], row["kind"])), "is_active": row["is_active"],
            "created_at": _when(row["created_at"]), "last_login_at": _when(row["last_login_at"]),
        },
        "admin_url": admin_url,
        "qr": qr_svg(admin_url, scale=3),  # vector: sharp in print at any size
        "watermark_text": await watermark_text(act, now),
        "printed_at": _when(now),
        "printed_by": act.name,
    }


async def user_sheet_pdf(act: Actor, user_id: int) -> tuple[str, bytes]:
    """(filename, PDF) of the account sheet; the print is audited."""
    context = await user_sheet_context(act, user_id)
    data = await pdf.render_pdf_async(USER_SHEET, **context)
    target = context["target"]
    await audit.record(act, "print", "user", user_id, summary="user_sheet", org_id=target["org_id"])
    return f"user-{target['username']}-{datetime.now():%Y%m%d}.pdf", data
