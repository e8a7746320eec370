"""PDF printables: A4 pages, real CJK glyphs, the SUP-15 watermark on every page, scope and audit of prints."""
import asyncio
import io
import socket
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from pypdf import PdfReader

from app.core import pdf
from app.core.audit import Actor
from app.core.web import environment
from app.support import printing
from tests.helpers import dark_pixels, first_page_gray

A4 = (595.28, 841.89)  # points


async def _user_id(db, username: str) -> int:
    return await db.fetchval("SELECT id FROM app_user WHERE username = $1", username)


def _reader(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-"), data[:40]
    return PdfReader(io.BytesIO(data))


def _fonts(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def _non_white_pixels(data: bytes, tmp_path: Path) -> int:
    """Rasterise page 1 and count the pixels that are not (nearly) white; the page must be A4."""
    gray = first_page_gray(data, tmp_path)
    assert abs(gray.width - A4[0] / 72 * 50) <= 1 and abs(gray.height - A4[1] / 72 * 50) <= 1
    return dark_pixels(gray)


@pytest.mark.req("NFR-08")
async def test_user_sheet_is_a4_pdf_with_real_chinese_glyphs(as_user, db, tmp_path):
    client = await as_user("admin")
    target = await _user_id(db, "cs_admin")
    response = await client.get(f"/admin/users/{target}/sheet.pdf")
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline;")
    assert "filename*=UTF-8''user-cs_admin-" in response.headers["content-disposition"]
    reader = _reader(response.content)
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert abs(width - A4[0]) <= 1 and abs(height - A4[1]) <= 1  # A4 portrait
    text = reader.pages[0].extract_text()
    # Chinese comes out of the PDF as text: glyphs from an embedded CJK font, not images or boxes.
    assert "李计算" in text and "计算机科学与技术学院" in text and "学院管理员" in text and "同窗校友平台" in text
    assert any("NotoSansCJK" in name.replace("-", "") for name in _fonts(reader)), _fonts(reader)
    assert "<svg" not in text  # the QR code is drawn, not dumped as markup
    assert _non_white_pixels(response.content, tmp_path) > 2000  # a printed page, not a blank one


@pytest.mark.req("SUP-15")
async def test_sheet_carries_viewer_watermark_and_masks_per_viewer(as_user, db):
    client = await as_user("cs_admin")  # clear names, masked phone and email (seeded college_admin role)
    target = await db.fetchrow("SELECT id, name, phone, email FROM app_user WHERE username = 'liaison'")
    response = await client.get(f"/admin/users/{target['id']}/sheet.pdf")
    assert response.status_code == 200
    text = _reader(response.content).pages[0].extract_text()
    watermark = f"李计算 cs_admin {date.today().isoformat()}"
    assert text.count(watermark) >= 2  # diagonal band and page footer
    assert target["name"] in text
    assert target["phone"] not in text and target["phone"][:3] + "****" + target["phone"][-4:] in text
    assert target["email"] not in text and "l***@tongchuang.local" in text
    logged = await db.fetchrow("SELECT * FROM audit_log WHERE action = 'print' AND entity = 'user' "
                               "ORDER BY id DESC LIMIT 1")
    assert logged["entity_id"] == str(target["id"]) and logged["actor_name"] == "cs_admin"


@pytest.mark.req("SUP-15")
async def test_watermark_repeats_on_every_page(db):
    viewer = await db.fetchrow("SELECT id, username FROM app_user WHERE username = 'hq'")
    actor = Actor(viewer["id"], viewer["username"], perms=frozenset({"sup.user.view"}))
    context = await printing.user_sheet_context(actor, await _user_id(db, "cs_admin"))
    context["target"]["roles"] = [f"角色{i}" for i in range(60)]  # long enough to need more pages
    context["target"]["org"] = "很长的组织名称" * 150
    reader = _reader(pdf.render_pdf(printing.USER_SHEET, **context))
    assert len(reader.pages) >= 2
    for page in reader.pages:
        assert "王总会 hq " in page.extract_text()
        assert abs(float(page.mediabox.width) - A4[0]) <= 1


@pytest.mark.req("NFR-08")
async def test_sheet_outside_data_scope_is_403_and_not_audited(as_user, db):
    client = await as_user("cs_admin")
    em_user = await db.fetchval("SELECT u.id FROM app_user u JOIN org_node o ON o.id = u.org "
                                "WHERE o.code = 'EM' LIMIT 1")
    response = await client.get(f"/admin/users/{em_user}/sheet.pdf")
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert not await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'print' AND entity_id = $1",
                                 str(em_user))


@pytest.mark.req("NFR-08")
async def test_sheet_needs_the_user_view_permission(as_user, db):
    client = await as_user("liaison")  # may see their own record, but holds no sup.user.view
    assert (await client.get(f"/admin/users/{await _user_id(db, 'liaison')}/sheet.pdf")).status_code == 403


@pytest.mark.req("NFR-08")
async def test_sheet_of_a_missing_user_is_404(as_user):
    client = await as_user("admin")
    assert (await client.get("/admin/users/987654321/sheet.pdf")).status_code == 404


@pytest.mark.req("NFR-08")
async def test_render_runs_off_the_event_loop(db):
    context = await printing.user_sheet_context(Actor(None, "system", is_superuser=True), await _user_id(db, "hq"))
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        data = await pdf.render_pdf_async(printing.USER_SHEET, **context)
    finally:
        task.cancel()
    assert data.startswith(b"%PDF-")
    assert ticks >= 5  # the loop kept serving while WeasyPrint laid out the page


@pytest.mark.req("NFR-08")
def test_pdf_response_names_the_file_in_utf8_with_ascii_fallback():
    response = pdf.pdf_response("用户 sheet.pdf", b"%PDF-1.7")
    disposition = response.headers["Content-Disposition"]
    assert disposition == f"inline; filename=\"___sheet.pdf\"; filename*=UTF-8''{quote('用户 sheet.pdf')}"
    assert response.media_type == "application/pdf"


@pytest.mark.req("NFR-08")
def test_printables_load_static_files_but_never_fetch_urls():
    with socket.socket() as server:  # a listener the renderer must not contact (no SSRF from printables)
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.setblocking(False)
        port = server.getsockname()[1]
        static_url = environment().globals["static"]("img/share.png")  # "/static/img/share.png?v=…"
        html = (f'<html><body><img src="{static_url}" style="width:20mm">'
                f'<img src="http://127.0.0.1:{port}/track.png"><img src="file:///etc/hostname"></body></html>')
        reader = _reader(pdf.html_to_pdf(html))
        with pytest.raises(BlockingIOError):
            server.accept()
    images = reader.pages[0]["/Resources"]["/XObject"]
    assert len(images) == 1  # the static image only


@pytest.mark.req("MALL-07")
def test_documents_laid_out_in_parallel_join_in_order():
    docs = [f"<html><body><p>第{n}页 page-{n}</p></body></html>" for n in (1, 2, 3)]
    reader = PdfReader(io.BytesIO(pdf.html_to_pdf_parallel(docs)))
    assert [page.extract_text().strip().split()[-1] for page in reader.pages] == ["page-1", "page-2", "page-3"]
