"""Keyword filter (IM-11): the site setting `im.blocked_words` (one word or phrase a line) that a message may not
contain. `check(text)` answers the first blocked word found, or None. Matching ignores case and full-width /
half-width differences (NFKC), so "ＡＢＣ" is caught by "abc".

The compiled pattern is cached per setting text: settings_store keeps the settings for a few seconds, saving
(`save`) drops that cache at once in this process, and another process sees the new list within its TTL."""
from __future__ import annotations

import re
import unicodedata

from app.core import audit, settings_store
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _

SETTING = "im.blocked_words"
MAX_WORDS = 2000
MAX_WORD_CHARS = 50
_compiled: tuple[str, re.Pattern | None, dict[str, str]] | None = None


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").casefold()


def parse(text: str) -> list[str]:
    """The words of the setting's text: one a line, trimmed, blank lines and repeats dropped, order kept."""
    words: list[str] = []
    seen: set[str] = set()
    for line in (text or "").replace("\r\n", "\n").split("\n"):
        word = line.strip()
        if word and _norm(word) not in seen:
            seen.add(_norm(word))
            words.append(word)
    return words


def _compile(text: str) -> tuple[str, re.Pattern | None, dict[str, str]]:
    words = parse(text)
    by_norm = {_norm(w): w for w in words}
    if not by_norm:
        return text, None, {}
    alternatives = sorted(by_norm, key=len, reverse=True)  # the longest word wins where two overlap
    return text, re.compile("|".join(re.escape(w) for w in alternatives)), by_norm


async def words_text() -> str:
    value = await settings_store.get(SETTING, "")
    return value if isinstance(value, str) else ""


async def check(text: str) -> str | None:
    """The blocked word `text` contains (as the list spells it), or None."""
    global _compiled
    raw = await words_text()
    if _compiled is None or _compiled[0] != raw:
        _compiled = _compile(raw)
    _, pattern, by_norm = _compiled
    if pattern is None or not text:
        return None
    found = pattern.search(_norm(text))
    return by_norm.get(found.group()) if found else None


async def save(actor: Actor, text: str) -> list[str]:
    """Store the list (validated), audited with what changed."""
    global _compiled
    words = parse(text)
    if len(words) > MAX_WORDS:
        raise Invalid("words", _("At most %(n)s words.", n=MAX_WORDS))
    long = next((w for w in words if len(w) > MAX_WORD_CHARS), None)
    if long:
        raise Invalid("words", _("A word has at most %(n)s characters: %(word)s", n=MAX_WORD_CHARS,
                                 word=long[:MAX_WORD_CHARS] + "…"))
    before = parse(await words_text())
    await settings_store.put(SETTING, "\n".join(words), actor.id)
    _compiled = None
    await audit.record(actor, "update", "site_setting", SETTING, summary=f"blocked words: {len(words)}",
                       after={"added": [w for w in words if w not in before],
                              "removed": [w for w in before if w not in words]})
    return words


async def refuse_if_blocked(actor: Actor, conversation: int, body: str) -> None:
    """What messages.send calls first: a blocked word refuses the message (Invalid on "body", naming the word)
    and the refusal is audited with the word, the target and the sender's IP (in the actor)."""
    word = await check(body)
    if word is not None:
        await audit.record(actor, "refused", "im_message", conversation, summary="blocked word",
                           after={"word": word, "body": (body or "")[:200]})
        raise Invalid("body", _("This message contains a blocked word: %(word)s", word=word))
