"""One-time SMS codes (SUP-02): issued for a phone and a purpose (login / bind), sent through the message
service's sms channel (so the SMS platform's outbox, checks and billing apply), kept only as an HMAC of the
code. A code lives 5 minutes, dies after 5 wrong tries and works once; only the latest code of a phone and
purpose counts. Limits: a 60 s resend cool-down per phone and purpose, 10 codes per phone a day, 20 per
client address an hour (the last two are site settings)."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from app.config import get_settings
from app.core import audit, db, notify, phones, settings_store
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.masking import mask

PURPOSES = ("login", "bind")
TEMPLATE = "idn_sms_code"
CODE_MINUTES = 5
MAX_ATTEMPTS = 5
COOLDOWN_SECONDS = 60
PER_PHONE_DAY = "identity.sms.per_phone_day"
PER_IP_HOUR = "identity.sms.per_ip_hour"
settings_store.DEFAULTS.setdefault(PER_PHONE_DAY, 10)
settings_store.DEFAULTS.setdefault(PER_IP_HOUR, 20)

# The subject goes into the delivery log; only the body (the SMS text) carries the code.
notify.DEFAULT_TEMPLATES.setdefault(TEMPLATE, (L("SMS verification code"), {
    "sms": (L("Verification code"),
            L("Your verification code is {{ code }}, valid for {{ minutes }} minutes. Do not share it.")),
}))

class CodeRefused(Invalid):
    """A code was not sent or not accepted; `reason` says why (cooldown / phone_day / ip_hour / none /
    used / dead / expired / wrong) and `seconds_left` how long the resend cool-down still runs."""

    def __init__(self, field: str, reason: str, message: str, seconds_left: int = 0):
        super().__init__(field, message)
        self.reason = reason
        self.seconds_left = seconds_left


@dataclass(frozen=True)
class SentCode:
    phone: str
    purpose: str
    seconds_left: int  # until another code may be asked for
    minutes: int  # how long the code is valid


def code_hash(phone: str, purpose: str, code: str) -> str:
    """HMAC-SHA256 with the app secret: a leaked table does not give the codes (a million guesses per row)."""
    message = f"{purpose}:{phone}:{code}".encode()
    return hmac.new(get_settings().secret_key.encode(), message, hashlib.sha256).hexdigest()


async def cooldown_left(phone: str, purpose: str) -> int:
    """Seconds until another code may be sent to this phone for this purpose (0: now)."""
    left = await db.fetchval(
        "SELECT ceil(extract(epoch FROM max(created_at) + make_interval(secs => $3) - now()))::int"
        " FROM idn_sms_code WHERE phone = $1 AND purpose = $2", phone, purpose, COOLDOWN_SECONDS)
    return max(0, left or 0)


async def _check_limits(phone: str, purpose: str, ip: str) -> None:
    if left := await cooldown_left(phone, purpose):
        raise CodeRefused("phone", "cooldown", _("A code was just sent. You can ask for another one in %(seconds)s"
                                                 " seconds.", seconds=left), left)
    per_phone = int(await settings_store.get(PER_PHONE_DAY))
    sent_today = await db.fetchval("SELECT count(*) FROM idn_sms_code WHERE phone = $1"
                                   " AND created_at > now() - interval '1 day'", phone)
    if sent_today >= per_phone:
        raise CodeRefused("phone", "phone_day", _("This number has received %(n)s codes in the last 24 hours, the"
                                                  " most we send. Try again tomorrow.", n=per_phone))
    per_ip = int(await settings_store.get(PER_IP_HOUR))
    if ip and await db.fetchval("SELECT count(*) FROM idn_sms_code WHERE ip = $1"
                                " AND created_at > now() - interval '1 hour'", ip) >= per_ip:
        raise CodeRefused("phone", "ip_hour", _("Too many codes were asked for from your network in the last hour."
                                                " Try again later."))


async def send_code(phone: str, purpose: str, actor: Actor, *, user_id: int | None = None) -> SentCode:
    """Issue a code and queue its SMS. Raises Invalid (bad number) or CodeRefused (a limit)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown SMS code purpose {purpose!r}")
    phone = phones.or_invalid(phone)
    code = f"{secrets.randbelow(10**6):06d}"
    async with db.transaction():
        # One issuer at a time per phone and per address, so two quick requests cannot both pass the limits.
        await db.execute("SELECT pg_advisory_xact_lock(hashtext('idn_sms:' || $1))", phone)
        if actor.ip:
            await db.execute("SELECT pg_advisory_xact_lock(hashtext('idn_sms_ip:' || $1))", actor.ip)
        await _check_limits(phone, purpose, actor.ip)
        code_id = await db.fetchval(
            "INSERT INTO idn_sms_code (phone, purpose, code_hash, ip, user_id, expires_at)"
            " VALUES ($1, $2, $3, $4, $5, now() + make_interval(mins => $6)) RETURNING id",
            phone, purpose, code_hash(phone, purpose, code), actor.ip[:64], user_id, CODE_MINUTES)
        # Handed to the SMS outbox in this transaction (secret=True: no job payload holds the text).
        await notify.notify_address("sms", phone, TEMPLATE, {"code": code, "minutes": CODE_MINUTES},
                                    secret=True)
        await audit.record(actor, "sms_code.send", "idn_sms_code", code_id, summary=f"{purpose} {mask('phone', phone)}")
    return SentCode(phone, purpose, COOLDOWN_SECONDS, CODE_MINUTES)


async def verify_code(phone: str, purpose: str, code: str, *, user_id: int | None = None) -> None:
    """Accept the latest code of this phone and purpose (for "bind": the one this user asked for) once.
    A wrong try is counted (committed) before the refusal is raised."""
    phone = phones.or_invalid(phone)
    code = re.sub(r"\s", "", code or "")
    async with db.transaction():
        row = await db.fetchrow(
            "SELECT id, code_hash, attempts, consumed_at, expires_at <= now() AS expired FROM idn_sms_code"
            " WHERE phone = $1 AND purpose = $2 AND ($3::bigint IS NULL OR user_id = $3)"
            " ORDER BY created_at DESC, id DESC LIMIT 1 FOR UPDATE", phone, purpose, user_id)
        refusal = _refusal(row)
        if refusal is None and not hmac.compare_digest(row["code_hash"], code_hash(phone, purpose, code)):
            attempts = await db.fetchval("UPDATE idn_sms_code SET attempts = attempts + 1 WHERE id = $1"
                                         " RETURNING attempts", row["id"])
            left = MAX_ATTEMPTS - attempts
            refusal = ("wrong", _("Wrong code. You have %(n)s more tries.", n=left) if left > 0 else
                       _("Wrong code. It no longer works after %(n)s wrong tries; ask for a new one.",
                         n=MAX_ATTEMPTS))
        if refusal is None:
            await db.execute("UPDATE idn_sms_code SET consumed_at = now() WHERE id = $1", row["id"])
    if refusal is not None:
        raise CodeRefused("code", refusal[0], refusal[1])


def _refusal(row: dict | None) -> tuple[str, str] | None:
    if row is None:
        return "none", _("No code was sent to this number. Ask for a code first.")
    if row["consumed_at"] is not None:
        return "used", _("This code has already been used. Ask for a new one.")
    if row["attempts"] >= MAX_ATTEMPTS:
        return "dead", _("This code no longer works after %(n)s wrong tries. Ask for a new one.", n=MAX_ATTEMPTS)
    if row["expired"]:
        return "expired", _("This code has expired. Ask for a new one.")
    return None
