"""Compliance checks on what users publish (CLS-03/04/06, ORG-06): sensitive words from the data dictionary
(type `sensitive_word`, one word per item name, edited at /admin/dictionary) and images whose real type, size
and integrity are checked with Pillow (a renamed SVG, HTML or truncated file never reaches storage).

What a sensitive word does is a deployment setting, `content.sensitive_action`: "moderate" (default — the
item waits for a moderator, who sees the words found) or "block" (refused with the words named)."""
from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass

from PIL import Image, ImageFile, UnidentifiedImageError

from app.core import audit, db, dictionary, ratelimit, settings_store
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _

WORD_TYPE = "sensitive_word"
ACTION_KEY = "content.sensitive_action"
ACTIONS = ("moderate", "block")
settings_store.DEFAULTS.setdefault(ACTION_KEY, "moderate")

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel photo is plenty; bigger ones are decompression bombs
IMAGE_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "GIF": ("image/gif", "gif"),
                 "WEBP": ("image/webp", "webp")}
IMAGE_EXTENSIONS = {"jpg", "jpeg", "png", "gif", "webp"}

# spaces, zero-width characters and punctuation people slip between the characters of a word
_GAPS = re.compile(r"[\s\u200b-\u200f\u2060\ufeff·.,，。、_\-*|/\\~!！?？]+")


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


async def words() -> list[str]:
    return [item["name"].strip() for item in await dictionary.items(WORD_TYPE) if item["name"].strip()]


async def check_text(text: str) -> list[str]:
    """The sensitive words found in `text` (each once, in list order): full-width letters, case and characters
    padded with spaces or dots ("敏 感 词", "ＡＢＣ") do not hide a word."""
    if not text:
        return []
    plain = _normal(text)
    squeezed = _GAPS.sub("", plain)
    found = []
    for word in await words():
        needle = _normal(word)
        if needle and (needle in plain or (_GAPS.sub("", needle) or needle) in squeezed) and word not in found:
            found.append(word)
    return found


async def sensitive_action() -> str:
    value = await settings_store.get(ACTION_KEY)
    return value if value in ACTIONS else "moderate"


async def set_sensitive_action(actor: Actor, action: str) -> None:
    if action not in ACTIONS:
        raise Invalid("action", _("Choose from the list."))
    before = await sensitive_action()
    async with db.transaction():
        await settings_store.put(ACTION_KEY, action, actor.id)
        await audit.record(actor, "update", "site_setting", ACTION_KEY, before={"value": before},
                           after={"value": action}, summary=ACTION_KEY)


async def screen(text: str, field: str) -> list[str]:
    """check_text inside a write: the words found (the item goes to moderation), or Invalid in block mode."""
    found = await check_text(text)
    if found and await sensitive_action() == "block":
        raise Invalid(field, _("Please remove these words before publishing: %(words)s.", words="、".join(found)))
    return found


# how much one person may write (spam floods): (hits, per seconds) per kind of write
LIMITS = {"comment": (30, 600), "post": (30, 3600), "photo": (300, 3600)}


async def throttle(actor: Actor, what: str, field: str) -> None:
    """Invalid when this person wrote too much of `what` lately (counted across every web process)."""
    if actor.id is None or actor.is_superuser:
        return
    limit, seconds = LIMITS[what]
    if not await ratelimit.allow(f"cnt-{what}", f"user:{actor.id}", limit, seconds):
        raise Invalid(field, _("You are posting too fast. Please wait a few minutes and try again."))


@dataclass(frozen=True)
class ImageInfo:
    format: str  # JPEG / PNG / GIF / WEBP
    mime: str
    ext: str
    width: int
    height: int


def open_image(data: bytes) -> Image.Image:
    """The decoded image (fully loaded, so a truncated file fails here); Invalid when it is not one we accept."""
    try:
        image = Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise Invalid("image", _("This file is not a JPEG, PNG, GIF or WebP image.")) from None
    if image.width * image.height > MAX_PIXELS:
        raise Invalid("image", _("The image is too large (at most %(n)s megapixels).", n=MAX_PIXELS // 1_000_000))
    # WeasyPrint sets ImageFile.LOAD_TRUNCATED_IMAGES process-wide when it is imported (any PDF): an upload must
    # still be whole, so the check loads strictly (synchronous, so no other task sees the flag changed).
    lenient, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        image.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise Invalid("image", _("The image file is damaged or incomplete.")) from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient
    return image


def size_text(n: int) -> str:
    return f"{n / 1048576:.3g} MB" if n >= 1048576 else f"{n / 1024:.3g} KB"


async def record_refused_upload(actor: Actor, where: str, filename: str, refusal: Invalid) -> None:
    """Audit an upload refused as not a real image or too large (an SVG or a huge file posing as a photo)."""
    summary = f"{(filename or '')[-80:]}: {refusal.message}"[:200]
    await audit.record(actor, "refused", "cnt_upload", where, summary=summary)


async def audited_check_image(actor: Actor, where: str, filename: str, data: bytes, field: str = "image") -> None:
    """check_image, auditing a refusal (call it outside a transaction that the refusal rolls back)."""
    try:
        check_image(filename, data, field=field)
    except Invalid as refusal:
        await record_refused_upload(actor, where, filename, refusal)
        raise


def check_image(filename: str, data: bytes, max_bytes: int = MAX_IMAGE_BYTES, field: str = "image") -> ImageInfo:
    """Size, name and real content of an uploaded image: JPEG, PNG, GIF or WebP only, sniffed by Pillow (not by
    the name), complete, at most `max_bytes`. Raises Invalid(field, message)."""
    return checked_image(filename, data, max_bytes, field)[0]


def checked_image(filename: str, data: bytes, max_bytes: int = MAX_IMAGE_BYTES,
                  field: str = "image") -> tuple[ImageInfo, Image.Image]:
    """check_image, also handing back the decoded image (so a write decodes the upload once)."""
    if not data:
        raise Invalid(field, _("The file is empty."))
    if len(data) > max_bytes:
        raise Invalid(field, _("The image is larger than %(size)s.", size=size_text(max_bytes)))
    ext = filename.rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    if ext not in IMAGE_EXTENSIONS:
        raise Invalid(field, _("Only JPEG, PNG, GIF or WebP images are accepted."))
    try:
        image = open_image(data)
    except Invalid as exc:
        raise Invalid(field, exc.message) from None
    mime, real_ext = IMAGE_FORMATS[image.format]
    return ImageInfo(image.format, mime, real_ext, image.width, image.height), image
