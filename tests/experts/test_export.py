"""Export of a smart-search result (EXP-11 export half, EXP-17): xlsx/csv with a watermark, contacts masked by the
reveal rule in the file too (the xlsx is unzipped and searched for the raw phone), the per-field allow list
honoured even when a denied column is requested, and the export audited."""
import html
import io
import zipfile

import pytest

from app.experts import contact
from tests.experts.test_contact_reveal import VIEW_PERMS, an_expert, invite, make_admin
from tests.helpers import csrf_from

PHONE = "17755500017"


def xlsx_text(data: bytes) -> str:
    """Every part's text, character references resolved (openpyxl writes non-ASCII as &#…; when lxml is there)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return html.unescape("".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()))


async def export(client, cols: list[str], fmt: str = "xlsx", q: str = "揭示"):
    page = await client.get(f"/admin/experts/search?q={q}&run=1")
    data = {"_csrf_token": csrf_from(page.text), "q": q, "fmt": fmt, "cols": cols}
    return await client.post("/admin/experts/search/export", data=data)


@pytest.mark.req("EXP-11", "EXP-19")
async def test_export_masks_contacts_outside_the_window_and_shows_them_inside(as_user, db):
    e = await an_expert()
    await make_admin("exporter", [*VIEW_PERMS, contact.PERMISSION])
    client = await as_user("exporter")
    masked = await export(client, ["name", "phone", "email"])
    assert masked.status_code == 200
    assert masked.headers["content-type"].startswith("application/vnd.openxmlformats")
    text = xlsx_text(masked.content)
    assert "揭示测试" in text and "177****0017" in text
    assert PHONE not in text and "reveal.me@example.org" not in text
    assert "Exported by" in text  # the watermark
    await invite(db, e, 1)
    clear = xlsx_text((await export(client, ["name", "phone"])).content)
    assert PHONE in clear
    as_csv = await export(client, ["name", "phone"], fmt="csv")
    assert as_csv.headers["content-type"].startswith("text/csv") and PHONE in as_csv.content.decode("utf-8-sig")
    entry = await db.fetchrow("SELECT actor_name, after FROM audit_log WHERE entity = 'exp_expert'"
                              " AND action = 'export' ORDER BY id DESC LIMIT 1")
    assert entry["actor_name"] == "exporter"
    assert '"count": 1' in entry["after"] and '"phone"' in entry["after"]


@pytest.mark.req("EXP-11")
async def test_deny_list_is_honoured_even_when_the_column_is_requested(as_user, db):
    e = await an_expert()
    await invite(db, e, 1)  # inside the window: the phone would be clear if it were exported
    await make_admin("exporter2", [*VIEW_PERMS, contact.PERMISSION])
    client = await as_user("exporter2")
    settings_page = await client.get("/admin/experts/search/export-fields")
    assert settings_page.status_code == 200
    allow = ["number", "name", "employer"]
    saved = await client.post("/admin/experts/search/export-fields",
                              data={"_csrf_token": csrf_from(settings_page.text), "allow": allow})
    assert saved.status_code == 303
    text = xlsx_text((await export(client, ["name", "phone", "email", "employer"])).content)
    assert "揭示测试" in text and "揭示单位" in text
    assert PHONE not in text and "177****0017" not in text and "Mobile number" not in text
    everything = xlsx_text((await export(client, [])).content)  # no choice: every allowed column, still no phone
    assert PHONE not in everything and "揭示单位" in everything
    page = await client.get("/admin/experts/search?q=揭示&run=1")
    assert 'name="cols" value="phone"' not in page.text  # not even offered


@pytest.mark.req("EXP-11")
async def test_export_needs_the_export_permission(as_user, db):
    await an_expert()
    await make_admin("viewonly", ["sup.admin", "exp.expert.view"])
    client = await as_user("viewonly")
    page = await client.get("/admin/experts/search?q=揭示&run=1")
    assert 'id="export-form"' not in page.text
    refused = await client.post("/admin/experts/search/export",
                                data={"_csrf_token": csrf_from(page.text), "q": "揭示", "cols": "phone"})
    assert refused.status_code == 403
    assert (await client.get("/admin/experts/search/export-fields")).status_code == 403
