"""Word import (ORG-05): a .docx becomes clean article HTML. mammoth maps the document's structure (headings,
paragraphs, lists, tables, bold/italic, links) to plain HTML — it ignores Word's fonts and colours on purpose —,
then the result goes through the same sanitiser as a paste.

Images are embedded in the HTML as data: URIs of a re-encoded copy (≤ 1280 px, EXIF and other metadata
removed, see app/content/images.py), so an imported article needs no separate files and its images follow the
article's own visibility; drawings Word keeps as EMF/WMF, and damaged images, are left out. Linked (external)
images are never fetched: mammoth's external file access stays off."""
from __future__ import annotations

import io
import zipfile

import mammoth

from app.content import images
from app.content.sanitizer import sanitize_rich_html
from app.core.forms import Invalid
from app.core.i18n import gettext as _

MAX_DOCX_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # a zip bomb is refused before mammoth unpacks it

# Word's built-in paragraph styles → our headings (mammoth's defaults cover "Heading 1…6" by style name;
# these add the Chinese Word names)
STYLE_MAP = "\n".join(f"p[style-name='标题 {n}'] => h{n}:fresh" for n in range(1, 7))


def _embedded(image) -> dict:
    with image.open() as stream:
        uri = images.data_uri(stream.read())
    return {"src": uri} if uri else {}


def import_docx(data: bytes, field: str = "docx") -> str:
    """The .docx file's content as sanitised HTML; Invalid(field, …) when it is not a readable .docx."""
    if not data:
        raise Invalid(field, _("The file is empty."))
    if len(data) > MAX_DOCX_BYTES:
        raise Invalid(field, _("The Word file is larger than %(mb)s MB.", mb=MAX_DOCX_BYTES // 1024 // 1024))
    not_docx = Invalid(field, _("This is not a Word .docx file (an old .doc must be saved as .docx first)."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "word/document.xml" not in names:
                raise not_docx
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise Invalid(field, _("The Word file is too large once unpacked."))
    except zipfile.BadZipFile:
        raise not_docx from None
    try:
        result = mammoth.convert_to_html(io.BytesIO(data), style_map=STYLE_MAP,
                                         convert_image=mammoth.images.img_element(_embedded))
    except Exception:
        raise not_docx from None
    html = sanitize_rich_html(result.value)
    if not html:
        raise Invalid(field, _("The Word file has no text to import."))
    return html
