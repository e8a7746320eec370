"""Word import (ORG-05): a real .docx becomes clean article HTML with its headings, bold text, table, link and
picture (embedded as a re-encoded copy without EXIF); anything that is not a .docx is refused."""
import base64
import io
import re
import zipfile

import pytest
from PIL import ExifTags, Image

from app.content import api
from app.core.forms import Invalid
from tests.content.conftest import jpeg
from tests.content.docx_files import docx


def _gps_jpeg() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (39.0, 54.0, 27.0)
    return jpeg(1600, 800, exif=exif.tobytes())


@pytest.mark.req("ORG-05")
def test_a_word_document_is_imported_as_clean_html():
    html = api.import_docx(docx(_gps_jpeg(), extra_body='<w:p><w:r><w:t>&lt;script&gt;alert(1)&lt;/script&gt;</w:t>'
                                                         '</w:r></w:p>'))
    assert html.startswith("<h1>返校日活动通知</h1><h2>活动安排</h2><p><strong>亲爱的校友：</strong></p>")
    assert "<table>" in html and "<td><p>10月18日</p></td>" in html
    assert '<a href="https://alumni.example.cn/" rel="noopener noreferrer">校友网</a>' in html
    assert "<script" not in html and "&lt;script&gt;" in html  # the text of the document, never markup
    src = re.search(r'<img alt="校友合影" src="data:image/jpeg;base64,([^"]+)"', html).group(1)
    picture = Image.open(io.BytesIO(base64.b64decode(src)))
    assert picture.size == (1280, 640)  # the display copy, not the 1600 px original
    assert not picture.getexif() and "exif" not in picture.info  # no camera, no GPS position


@pytest.mark.req("ORG-05")
@pytest.mark.parametrize("data,message", [
    (b"%PDF-1.7 not a word file", "not a Word .docx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "not a Word .docx"),  # an old binary .doc
    (b"", "empty"),
])
def test_what_is_not_a_docx_is_refused(data, message):
    with pytest.raises(Invalid) as refused:
        api.import_docx(data)
    assert refused.value.field == "docx" and message in refused.value.message


@pytest.mark.req("ORG-05")
def test_a_zip_that_is_not_a_word_document_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(Invalid, match="not a Word .docx"):
        api.import_docx(out.getvalue())
