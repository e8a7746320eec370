"""Checks before anything is queued (SMS-10): number format, duplicates, blacklist (global and per
account) and sensitive words, each refusal with a reason the operator can act on."""
from __future__ import annotations

import re

from app.core import db
from app.core.i18n import gettext as _

_CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_INTL = re.compile(r"^\d{8,15}$")


def normalize(raw: str) -> str | None:
    """Digits as sent to the SMSC: mainland mobiles as 11 digits (86/+86 dropped), others with their
    country code (from + or 00). None when it is not a phone number."""
    s = re.sub(r"[\s\-()]", "", raw or "")
    if s.startswith("+"):
        s = s[1:]
        intl = True
    elif s.startswith("00"):
        s, intl = s[2:], True
    else:
        intl = False
    if not s.isdigit():
        return None
    if s.startswith("86") and _CN_MOBILE.match(s[2:]):
        return s[2:]
    if _CN_MOBILE.match(s) and not intl:
        return s
    return s if intl and _INTL.match(s) else None


def clean_numbers(raw: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """(valid unique numbers in input order, [(raw, reason)])."""
    ok: list[str] = []
    seen: set[str] = set()
    rejected: list[tuple[str, str]] = []
    for item in raw:
        phone = normalize(str(item))
        if phone is None:
            rejected.append((str(item), _("Not a valid mobile number")))
        elif phone in seen:
            rejected.append((str(item), _("Duplicate number")))
        else:
            seen.add(phone)
            ok.append(phone)
    return ok, rejected


async def blacklisted(account_id: int, phones: list[str]) -> dict[str, str]:
    """phone → blacklist reason, for the global list and the account's own."""
    if not phones:
        return {}
    rows = await db.fetch("SELECT phone, reason FROM sms_blacklist WHERE phone = ANY($1::text[])"
                          " AND (account IS NULL OR account = $2)", phones, account_id)
    return {r["phone"]: r["reason"] for r in rows}


async def sensitive_words(text: str) -> list[tuple[str, str]]:
    """[(word, action)] found in the text; action block or review."""
    rows = await db.fetch("SELECT word, action FROM sms_sensitive_word WHERE strpos($1, word) > 0 ORDER BY word", text)
    return [(r["word"], r["action"]) for r in rows]


async def text_problem(text: str, *, reviewed: bool) -> str | None:
    """Why this text may not be sent, or None. Words marked `review` pass only in a reviewed
    (approved-template) text; `block` words never pass."""
    return (await text_problems([text], reviewed=reviewed)).get(0)


async def add_blacklist(phone: str, reason: str, *, account_id: int | None = None, actor_id: int | None = None) -> None:
    await db.execute("INSERT INTO sms_blacklist (phone, account, reason, created_by) VALUES ($1, $2, $3, $4)"
                     " ON CONFLICT DO NOTHING", normalize(phone) or phone, account_id, reason, actor_id)


async def text_problems(texts: list[str], *, reviewed: bool) -> dict[int, str]:
    """index → refusal reason, for many texts in one query (per-number template parameters)."""
    rows = await db.fetch(
        "SELECT t.i, w.word, w.action FROM unnest($1::text[]) WITH ORDINALITY AS t(txt, i)"
        " JOIN sms_sensitive_word w ON strpos(t.txt, w.word) > 0 ORDER BY t.i, w.action, w.word", texts)
    out: dict[int, str] = {}
    for r in rows:
        i = r["i"] - 1
        if i in out:
            continue
        if r["action"] == "block":
            out[i] = _("The text contains the blocked word “%(word)s”.", word=r["word"])
        elif not reviewed:
            out[i] = _("The text contains “%(word)s”, which is only allowed in an approved template.", word=r["word"])
    return out
