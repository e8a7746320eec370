"""gettext with a per-request locale (contextvar). Source strings are English msgids;
zh_CN is the default locale, en the other complete catalog."""
from __future__ import annotations

import contextvars
import gettext as _gettext
from functools import lru_cache

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from app.config import ROOT

LOCALES = {"zh_CN": "简体中文", "en": "English"}
DEFAULT_LOCALE = "zh_CN"
LOCALE_DIR = ROOT / "locale"
current_locale: contextvars.ContextVar[str] = contextvars.ContextVar("locale", default=DEFAULT_LOCALE)


def compile_catalogs() -> None:
    """Build .mo files from the committed .po files when missing or stale."""
    for po in LOCALE_DIR.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as f:
                catalog = read_po(f)
            with mo.open("wb") as f:
                write_mo(f, catalog)


@lru_cache
def translations(locale: str) -> _gettext.NullTranslations:
    compile_catalogs()
    return _gettext.translation("messages", localedir=str(LOCALE_DIR), languages=[locale], fallback=True)


def gettext(message: str, **variables) -> str:
    text = translations(current_locale.get()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables) -> str:
    text = translations(current_locale.get()).ngettext(singular, plural, n)
    variables.setdefault("num", n)
    return text % variables


_ = gettext


def N_(message: str) -> str:
    """Marks a msgid for extraction; translated later where it is shown (menus, permission labels)."""
    return message


def lazy(message: str) -> LazyString:
    return LazyString(message)


class LazyString(str):
    """A msgid translated when shown (for labels defined at import time: permissions, menus)."""

    def __str__(self) -> str:
        return gettext(str.__str__(self))

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(str(self)))


def pick_locale(cookie: str | None, accept_language: str | None, user_lang: str | None = None) -> str:
    for candidate in (cookie, user_lang):
        if candidate in LOCALES:
            return candidate
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("en"):
            return "en"
        if tag.startswith("zh"):
            return "zh_CN"
    return DEFAULT_LOCALE
