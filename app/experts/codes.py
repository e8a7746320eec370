"""One-time codes that prove an applicant holds a phone or an email (EXP-01): sent through the message
service (SMS platform / mail), kept only as an HMAC, 10 minutes, 5 tries, once; a 60 s resend cool-down."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from app.config import get_settings
from app.core import db, notify
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L

TEMPLATE = "exp_code"
MINUTES = 10
MAX_ATTEMPTS = 5
COOLDOWN_SECONDS = 60
PER_TARGET_DAY = 10

notify.DEFAULT_TEMPLATES.setdefault(TEMPLATE, (L("Expert application verification code"), {
    "sms": (L("Verification code"),
            L("Your expert application code is {{ code }}, valid for {{ minutes }} minutes. Do not share it.")),
    "email": (L("Your verification code"),
              L("Your expert application code is {{ code }}, valid for {{ minutes }} minutes.\n"
                "If you did not apply to the expert pool, ignore this mail.")),
}))


def _hash(target: str, code: str) -> str:
    return hmac.new(get_settings().secret_key.encode(), f"exp:{target}:{code}".encode(), hashlib.sha256).hexdigest()


async def send(channel: str, target: str, ip: str = "", field: str = "phone") -> None:
    """Issue a code for `target` and send it (in the caller's transaction or its own)."""
    async with db.transaction():
        await db.execute("SELECT pg_advisory_xact_lock(hashtext('exp_code:' || $1))", target)
        left = await db.fetchval(
            "SELECT ceil(extract(epoch FROM max(created_at) + make_interval(secs => $2) - now()))::int"
            " FROM exp_code WHERE target = $1", target, COOLDOWN_SECONDS)
        if left and left > 0:
            raise Invalid(field, _("A code was just sent. You can ask for another one in %(seconds)s seconds.",
                                   seconds=left))
        if await db.fetchval("SELECT count(*) FROM exp_code WHERE target = $1 AND created_at > now() - interval"
                             " '1 day'", target) >= PER_TARGET_DAY:
            raise Invalid(field, _("Too many codes were sent to this address today. Try again tomorrow."))
        code = f"{secrets.randbelow(10**6):06d}"
        await db.execute("INSERT INTO exp_code (target, channel, code_hash, ip, expires_at)"
                         " VALUES ($1, $2, $3, $4, now() + make_interval(mins => $5))", target, channel,
                         _hash(target, code), ip, MINUTES)
        await notify.notify_address(channel, target, TEMPLATE, {"code": code, "minutes": MINUTES}, secret=True)


async def check(target: str, code: str, field: str = "code") -> None:
    """Accept the latest live code for `target` once; raises Invalid with the reason otherwise."""
    code = (code or "").strip()
    error = ""
    async with db.transaction():  # a wrong try must count even though we refuse: raise after the commit
        row = await db.fetchrow("SELECT id, code_hash, attempts, used_at, expires_at < now() AS expired"
                                " FROM exp_code WHERE target = $1 ORDER BY created_at DESC, id DESC LIMIT 1"
                                " FOR UPDATE", target)
        if row is None:
            error = _("Ask for a code first.")
        elif row["used_at"] is not None:
            error = _("This code was already used. Ask for a new one.")
        elif row["expired"] or row["attempts"] >= MAX_ATTEMPTS:
            error = _("This code has expired. Ask for a new one.")
        elif not hmac.compare_digest(row["code_hash"], _hash(target, code)):
            await db.execute("UPDATE exp_code SET attempts = attempts + 1 WHERE id = $1", row["id"])
            error = _("The code is not correct.")
        else:
            await db.execute("UPDATE exp_code SET used_at = now() WHERE id = $1", row["id"])
    if error:
        raise Invalid(field, error)
