"""Real-name verification (IDV-01): name + ID number + a face photo, checked by the real-name provider
(app.adapters.realname). The ID number's GB 11643 checksum is validated here first, so a typo never costs a
paid call; a user gets `identity.realname_per_day` checks a day on top of the provider's own limit. Every
check is a row in idn_realname; the photo is kept (storage key identity/faces/<user>/…) only until
`identity.face_retention_hours` have passed — the purge job (retention.py) deletes it. Every attempt is
audited with the ID number masked. The claims flow uses a passed check as its "face" method
(latest_passed, passed_for)."""
from __future__ import annotations

import io
import logging
import os
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from app.adapters.realname import ERROR, HttpRealNameProvider, RealNameAnswer, RealNameProvider
from app.config import get_settings
from app.core import audit, db, id_numbers, settings_store
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.masking import mask
from app.core.storage import storage

RETENTION_HOURS = "identity.face_retention_hours"
PER_DAY = "identity.realname_per_day"
PROVIDER_URL = "identity.realname_url"  # '' = the built-in simulator (settings.idp_url)
PROVIDER_SECRET = "identity.realname_secret"  # '' = env TC_REALNAME_SECRET, else the simulator's dev secret
PROVIDER_TIMEOUT = "identity.realname_timeout_seconds"
for _key, _default in ((RETENTION_HOURS, 72), (PER_DAY, 3), (PROVIDER_URL, ""), (PROVIDER_SECRET, ""),
                       (PROVIDER_TIMEOUT, 10)):
    settings_store.DEFAULTS.setdefault(_key, _default)
settings_store.SECRET_KEYS.add(PROVIDER_SECRET)
DEV_SECRET = "realname-dev-secret"
log = logging.getLogger(__name__)
MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png"}
# provider answer → (our result, our reason)
OUTCOMES = {"PASS": ("passed", ""), "NAME_ID_MISMATCH": ("failed", "name_id_mismatch"),
            "NO_FACE": ("failed", "no_face"), "FACE_MISMATCH": ("failed", "face_mismatch"),
            "ID_INVALID": ("failed", "id_invalid"), "LIMIT_EXCEEDED": ("limited", "provider_limit")}
COUNTED = ("pending", "passed", "failed")  # what uses up one of the user's daily checks


class NotFound(Exception):
    pass


async def provider() -> RealNameProvider:
    """The configured provider: the HTTP API at `identity.realname_url` (default: the built-in simulator)."""
    url = str(await settings_store.get(PROVIDER_URL) or "").strip() or get_settings().idp_url
    secret = str(await settings_store.get(PROVIDER_SECRET) or "") or os.environ.get("TC_REALNAME_SECRET", DEV_SECRET)
    return HttpRealNameProvider(url, secret, float(await settings_store.get(PROVIDER_TIMEOUT) or 10))


def message_for(result: str, reason: str) -> str:
    """What the user is told about a check."""
    if result == "passed":
        return _("Your real-name check passed.")
    messages = {
        "name_id_mismatch": _("The name and the ID number do not match. Check both against your ID card and try"
                              " again."),
        "no_face": _("No face could be found in the photo. Take a clear, well-lit photo of your face, looking at the"
                     " camera."),
        "face_mismatch": _("The face in the photo does not match the photo on record for this ID number. Try again"
                           " with a clear, recent photo of yourself."),
        "id_invalid": _("The verification service does not know this ID number. Check it and try again."),
        "provider_limit": _("The verification service has reached its limit for today. Please try again tomorrow."),
    }
    if reason in messages:
        return messages[reason]
    if result == "pending":
        return _("This check is still running.")
    return _("The verification service could not be reached, so nothing was decided. Please try again in a few"
             " minutes.")


def _id_problem_message(problem: str) -> str:
    return {
        "length": _("An ID number has 18 characters: 17 digits and a final digit or X."),
        "digits": _("An ID number has 17 digits and a final digit or X."),
        "birthday": _("The date of birth in this ID number (digits 7 to 14) is not a real date."),
    }.get(problem, _("This ID number is not valid: its last character does not match the others. Check it for"
                     " typing errors."))


def photo_extension(photo: bytes) -> str:
    """'jpg' or 'png' for a real JPEG / PNG image of at most 5 MB, else Invalid("photo", …)."""
    from PIL import Image, UnidentifiedImageError

    if not photo:
        raise Invalid("photo", _("Take or choose a photo of your face."))
    if len(photo) > MAX_PHOTO_BYTES:
        raise Invalid("photo", _("The photo is larger than 5 MB. Take a smaller one."))
    try:
        with Image.open(io.BytesIO(photo)) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        kind = None
    if kind not in PHOTO_FORMATS:
        raise Invalid("photo", _("The photo must be a JPEG or PNG image."))
    return PHOTO_FORMATS[kind]


async def check(user_id: int, name: str, id_number: str, photo: bytes, filename: str = "", *,
                actor: Actor | None = None) -> dict:
    """One real-name check; returns the stored row (with `message`). Raises Invalid for input refused before
    any call (name, ID number, photo, our daily limit); provider refusals and errors are results, not raised."""
    actor = actor or Actor(user_id, f"user:{user_id}")
    name = " ".join((name or "").split())
    if not name:
        raise Invalid("name", _("Enter your name as it is on your ID card."))
    if len(name) > 64:
        raise Invalid("name", _("At most %(n)s characters.", n=64))
    number = id_numbers.normalise(id_number)
    if problem := id_numbers.problem(number):
        await audit.record(actor, "realname.refused", "idn_realname", "",
                           summary=f"id_number {problem}: {mask('id_number', number)}")
        raise Invalid("id_number", _id_problem_message(problem))
    extension = photo_extension(photo)
    check_id = await _reserve(actor, user_id, name, number)
    try:
        answer = await (await provider()).verify(f"tc-{check_id}-{secrets.token_hex(8)}", name, number, photo)
    except Exception as exc:  # a provider adapter's bug must not leave the check pending (it counts as used)
        log.exception("real-name provider failed")
        answer = RealNameAnswer(ERROR, message=f"provider failed: {type(exc).__name__}")
    return await _finish(actor, user_id, check_id, answer, photo, extension)


async def _reserve(actor: Actor, user_id: int, name: str, number: str) -> int:
    """A `pending` row, so concurrent submissions count against the daily limit before the provider answers."""
    limit = int(await settings_store.get(PER_DAY))
    async with db.transaction():
        await db.execute("SELECT pg_advisory_xact_lock(hashtext('idn_realname'), $1::int)", user_id)
        used = await db.fetchval('SELECT count(*) FROM idn_realname WHERE "user" = $1 AND result = ANY($2::text[])'
                                 " AND created_at > now() - interval '1 day'", user_id, list(COUNTED))
        if used >= limit:
            await audit.record(actor, "realname.refused", "idn_realname", "",
                               summary=f"daily limit {limit}: {mask('id_number', number)}")
        else:
            return await db.fetchval(
                'INSERT INTO idn_realname ("user", name, id_number, result, provider) VALUES ($1, $2, $3,'
                " 'pending', 'http') RETURNING id", user_id, name, number)
    raise Invalid("", _("You have used the %(n)s real-name checks allowed in 24 hours. Please try again tomorrow.",
                        n=limit))


async def _finish(actor: Actor, user_id: int, check_id: int, answer: RealNameAnswer, photo: bytes,
                  extension: str) -> dict:
    result, reason = OUTCOMES.get(answer.result, ("error", ""))
    if result == "error":
        reason = (answer.message or "error")[:200]
    key, delete_after = "", None
    if result in ("passed", "failed"):  # the provider saw the photo: keep what it judged, for a while
        key = f"identity/faces/{user_id}/{uuid.uuid4().hex}.{extension}"
        storage().put(key, photo)
        hours = float(await settings_store.get(RETENTION_HOURS))
        delete_after = datetime.now(UTC) + timedelta(hours=hours)
    async with db.transaction():
        row = await db.fetchrow(
            "UPDATE idn_realname SET result = $2, reason = $3, score = $4, provider_ref = $5, image_key = $6,"
            " image_delete_after = $7 WHERE id = $1 RETURNING *", check_id, result, reason, answer.score,
            answer.provider_ref, key, delete_after)
        await audit.record(actor, "realname.check", "idn_realname", check_id, summary=f"{result} {reason}"[:200],
                           after={"name": mask("name", row["name"]), "id_number": mask("id_number", row["id_number"]),
                                  "result": result, "reason": reason, "score": answer.score,
                                  "provider_ref": answer.provider_ref})
    return _shown(row)


def _shown(row: dict) -> dict:
    row = dict(row)
    row["message"] = message_for(row["result"], row["reason"])
    row["id_number_masked"] = mask("id_number", row["id_number"])
    return row


async def get_own(user_id: int, check_id: int) -> dict:
    row = await db.fetchrow('SELECT * FROM idn_realname WHERE id = $1 AND "user" = $2', check_id, user_id)
    if row is None:
        raise NotFound()
    return _shown(row)


async def history(user_id: int, limit: int = 20) -> list[dict]:
    rows = await db.fetch('SELECT * FROM idn_realname WHERE "user" = $1 ORDER BY created_at DESC, id DESC LIMIT $2',
                          user_id, limit)
    return [_shown(r) for r in rows]


async def checks_left(user_id: int) -> int:
    used = await db.fetchval('SELECT count(*) FROM idn_realname WHERE "user" = $1 AND result = ANY($2::text[])'
                             " AND created_at > now() - interval '1 day'", user_id, list(COUNTED))
    return max(0, int(await settings_store.get(PER_DAY)) - used)


async def latest_passed(user_id: int) -> dict | None:
    """The user's most recent passed check (the claims flow's "face" method), or None."""
    row = await db.fetchrow("SELECT * FROM idn_realname WHERE \"user\" = $1 AND result = 'passed'"
                            " ORDER BY created_at DESC, id DESC LIMIT 1", user_id)
    return _shown(row) if row else None


async def passed_for(user_id: int, id_number: str) -> dict | None:
    """The user's most recent passed check of this ID number, or None."""
    row = await db.fetchrow("SELECT * FROM idn_realname WHERE \"user\" = $1 AND result = 'passed'"
                            " AND id_number = $2 ORDER BY created_at DESC, id DESC LIMIT 1",
                            user_id, id_numbers.normalise(id_number))
    return _shown(row) if row else None
