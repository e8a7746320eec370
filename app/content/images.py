"""Stored copies of uploaded images (ORG-06, CLS-06): never the original file. Each upload is decoded, turned
upright from its EXIF orientation, and re-encoded without any metadata (no EXIF — so no GPS position, camera
or time —, no XMP, no ICC comments) in two sizes: a display copy (long side ≤ 1280 px) and a thumbnail that
fits 320 × 320 px. JPEG when the image is opaque, PNG when it has transparency; an animated GIF keeps its first
frame."""
from __future__ import annotations

import base64
import io
import secrets
from dataclasses import dataclass
from datetime import date

from PIL import Image, ImageOps

from app.content import compliance
from app.core.storage import storage

DISPLAY_PX = 1280
THUMB_PX = 320
SIZES = ("thumb", "display")


@dataclass(frozen=True)
class Encoded:
    data: bytes
    ext: str
    mime: str
    width: int
    height: int


@dataclass(frozen=True)
class StoredImage:
    display_key: str
    thumb_key: str
    mime: str
    width: int  # of the display copy
    height: int
    size: int  # bytes of the display copy


def _upright(image: Image.Image) -> Image.Image:
    upright = ImageOps.exif_transpose(image) or image
    transparent = upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and "transparency" in upright.info)
    clean = upright.convert("RGBA" if transparent else "RGB")
    clean.info = {}  # nothing of the original's metadata travels on
    return clean


def _encode(image: Image.Image, box: int) -> Encoded:
    copy = image.copy()
    copy.thumbnail((box, box), Image.Resampling.LANCZOS)
    copy.info = {}
    out = io.BytesIO()
    if copy.mode == "RGBA":
        copy.save(out, "PNG", optimize=True)
        ext, mime = "png", "image/png"
    else:
        copy.save(out, "JPEG", quality=85, optimize=True, progressive=True)
        ext, mime = "jpg", "image/jpeg"
    return Encoded(out.getvalue(), ext, mime, copy.width, copy.height)


def variants(image: Image.Image) -> tuple[Encoded, Encoded]:
    """(display, thumbnail) of a decoded image, upright and without metadata."""
    clean = _upright(image)
    return _encode(clean, DISPLAY_PX), _encode(clean, THUMB_PX)


def store(filename: str, data: bytes, max_bytes: int = compliance.MAX_IMAGE_BYTES, field: str = "image") -> StoredImage:
    """check_image, then the two clean copies into storage (content/YYYY/MM/<random>-d.jpg, …-t.jpg)."""
    _info, image = compliance.checked_image(filename, data, max_bytes, field)
    display, thumb = variants(image)
    stem = f"content/{date.today():%Y/%m}/{secrets.token_urlsafe(12)}"
    display_key, thumb_key = f"{stem}-d.{display.ext}", f"{stem}-t.{thumb.ext}"
    files = storage()
    files.put(display_key, display.data)
    files.put(thumb_key, thumb.data)
    return StoredImage(display_key, thumb_key, display.mime, display.width, display.height, len(display.data))


def data_uri(data: bytes) -> str | None:
    """An image embedded in a document (a .docx) as a clean data: URI of its display copy; None when it is not a
    JPEG/PNG/GIF/WebP we can read (Word's EMF/WMF drawings, damaged files)."""
    try:
        image = compliance.open_image(data)
    except Exception:
        return None
    display, _thumb = variants(image)
    return f"data:{display.mime};base64,{base64.b64encode(display.data).decode()}"


def remove(*keys: str) -> None:
    files = storage()
    for key in keys:
        if key:
            files.delete(key)


def mime_of(key: str) -> str:
    return "image/png" if key.endswith(".png") else "image/jpeg"
