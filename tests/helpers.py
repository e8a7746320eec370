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
