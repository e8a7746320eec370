"""Helpers for tests: act like a browser (CSRF token from the page, then submit)."""
import re


def csrf_from(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


async def login(client, username: str, password: str) -> object:
    client.cookies.clear()  # a fresh browser: no earlier session
    page = await client.get("/login")
    return await client.post("/login", data={"username": username, "password": password,
                                              "_csrf_token": csrf_from(page.text), "next": "/admin"})


async def post_form(client, page_url: str, action: str, data: dict):
    """Load a page (for its CSRF token) and submit a form to `action` as a browser would."""
    page = await client.get(page_url)
    return await client.post(action, data={**data, "_csrf_token": csrf_from(page.text)})


def xlsx(rows: list[list]) -> bytes:
    """An .xlsx file whose first sheet holds these rows (header first), as a user would upload it."""
    import io

    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def first_page_gray(data: bytes, tmp_path):
    """Page 1 of a PDF rasterised by poppler at 50 dpi, in grey levels (size and not-blank checks)."""
    import subprocess

    from PIL import Image

    source = tmp_path / "doc.pdf"
    source.write_bytes(data)
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(source), str(tmp_path / "page")],
                   check=True, capture_output=True)
    (png,) = tmp_path.glob("page*.png")
    with Image.open(png) as image:
        return image.convert("L")


def dark_pixels(gray) -> int:
    """Pixels that are not (nearly) white: a blank page has none."""
    return sum(1 for value in gray.tobytes() if value < 200)  # one byte per pixel in mode L
