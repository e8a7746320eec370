"""The reusable e-signature field (EXP-09; the reviews module's fee letters reuse it): on a phone with JS the
expert draws in a <canvas> (static/js/signature-pad.js writes a PNG data URL into a hidden input); without JS the
typed full name, which must equal the signer's name, is the signature. The template half is the macro
`signature_field` in components/signature.html.

    sig = signatures.parse(data, expected_name=expert["name"])   # raises Invalid(field, message)
    key = signatures.store(sig)                                   # "" for a typed-name signature
"""
from __future__ import annotations

import base64
import binascii
import io
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date

from PIL import Image, UnidentifiedImageError

from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.storage import storage

DRAWING_FIELD = "signature"
NAME_FIELD = "signed_name"
PREFIX = "data:image/png;base64,"
MAX_BYTES = 300_000  # a 1000×400 phone drawing is ~20–60 kB
MAX_SIDE = 3000
MIN_SIDE = 50
MIN_INK = 40  # dark pixels: a stray tap is not a signature
MIN_INK_SPAN = 15  # px the ink covers across or down


@dataclass(frozen=True)
class Signature:
    name: str  # the typed name ("" when only drawn)
    png: bytes | None  # the drawing, checked (None: the typed name is the signature)

    @property
    def kind(self) -> str:
        return "drawn" if self.png else "typed"


def _normal(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name or "").split()).casefold()


def _ink(image: Image.Image) -> tuple[int, int, int]:
    """Dark, visible pixels (count, width and height of their bounding box) of a drawing."""
    rgba = image.convert("RGBA")
    if rgba.width * rgba.height > 4_000_000:
        rgba = rgba.resize((rgba.width // 4, rgba.height // 4))
    gray = rgba.convert("L")
    alpha = rgba.getchannel("A")
    mask = Image.eval(gray, lambda v: 255 if v < 160 else 0)
    ink = Image.composite(mask, Image.new("L", rgba.size, 0), Image.eval(alpha, lambda a: 255 if a > 64 else 0))
    box = ink.getbbox()
    count = sum(1 for v in ink.tobytes() if v)
    return count, (box[2] - box[0]) if box else 0, (box[3] - box[1]) if box else 0


def check_png(data_url: str) -> bytes:
    """The PNG of a drawn signature, checked: a PNG data URL, size limits, really an image, not blank."""
    data_url = (data_url or "").strip()
    if not data_url.startswith(PREFIX):
        raise Invalid(DRAWING_FIELD, _("The signature is not a PNG drawing."))
    if len(data_url) > MAX_BYTES * 4 // 3 + len(PREFIX) + 4:
        raise Invalid(DRAWING_FIELD, _("The signature drawing is too large."))
    try:
        raw = base64.b64decode(data_url[len(PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise Invalid(DRAWING_FIELD, _("The signature is not a PNG drawing.")) from None
    if not raw.startswith(b"\x89PNG\r\n\x1a\n"):
        raise Invalid(DRAWING_FIELD, _("The signature is not a PNG drawing."))
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            probe.verify()
        image = Image.open(io.BytesIO(raw))
        if image.format != "PNG":
            raise Invalid(DRAWING_FIELD, _("The signature is not a PNG drawing."))
        if max(image.size) > MAX_SIDE or min(image.size) < MIN_SIDE:
            raise Invalid(DRAWING_FIELD, _("The signature drawing has an unusual size."))
        count, width, height = _ink(image)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise Invalid(DRAWING_FIELD, _("The signature is not a PNG drawing.")) from None
    if count < MIN_INK or max(width, height) < MIN_INK_SPAN:
        raise Invalid(DRAWING_FIELD, _("The signature box is empty: sign with your finger, or type your full"
                                       " name."))
    return raw


def parse(data: dict, *, expected_name: str) -> Signature:
    """The signature of a submitted form: the drawing when there is one (a typed name beside it must still be the
    signer's), else the typed name, which must equal `expected_name`. Raises Invalid(field, message)."""
    drawing = str(data.get(DRAWING_FIELD) or "").strip()
    typed = " ".join(str(data.get(NAME_FIELD) or "").split())[:64]
    if typed and _normal(typed) != _normal(expected_name):
        raise Invalid(NAME_FIELD, _("The typed name does not match your name on record."))
    if drawing:
        return Signature(typed, check_png(drawing))
    if not typed:
        raise Invalid(NAME_FIELD, _("Sign in the box, or type your full name."))
    return Signature(typed, None)


def store(sig: Signature) -> str:
    """The storage key of the drawing ("" for a typed-name signature)."""
    if not sig.png:
        return ""
    key = f"signatures/{date.today():%Y/%m}/{secrets.token_urlsafe(16)}.png"
    storage().put(key, sig.png)
    return key


def discard(key: str) -> None:
    if key and key.startswith("signatures/"):
        storage().delete(key)


def load(key: str) -> bytes | None:
    if not key or not key.startswith("signatures/") or not storage().exists(key):
        return None
    return storage().get(key)


def data_url(key: str) -> str:
    """The stored drawing as a data URL (for printables)."""
    png = load(key)
    return PREFIX + base64.b64encode(png).decode() if png else ""
