"""Custom fields admin (REC-02): validation, create/edit/disable/reorder through the pages, audit, and a
new field reaching the catalogue and the person forms."""
import pytest

from app.core.audit import SYSTEM
from app.records import field_definitions, fields
from tests.helpers import csrf_from, post_form

pytestmark = pytest.mark.req("REC-02")
NEW = "/admin/records/fields/new"


def _form_values(html: str) -> dict:
    """The values a browser would submit from a simple form (inputs, selected options, textareas)."""
    import re

    data = {k: v for k, v in re.findall(r'<input type="(?:text|date|number|email|tel|hidden)"[^>]*?name="([^"]+)"'
                                          r'[^>]*?value="([^"]*)"', html) if "disabled" not in k}
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        data[name] = chosen.group(1) if chosen else ""
    return data


def _field(**values) -> dict:
    return {"code": "hobby", "kind": "text", "label": "爱好", "label_en": "Hobby", "section": "basic",
            "visible": "on", **values}


@pytest.mark.parametrize("code, message", [
    ("Hobby", "Use 2 to 40 lower-case letters"),
    ("1abc", "Use 2 to 40 lower-case letters"),
    ("a", "Use 2 to 40 lower-case letters"),
    ("a" * 41, "At most 40 characters"),
    ("bad-code", "Use 2 to 40 lower-case letters"),
    ("phone", "belongs to a built-in field"),
    ("entry_year", "belongs to a built-in field"),
    ("status", "belongs to a built-in field"),
])
async def test_code_is_validated(as_user, db, code, message):
    client = await as_user("admin")
    response = await post_form(client, NEW, "/admin/records/fields", _field(code=code))
    assert response.status_code == 422
    assert message in response.text
    assert await db.fetchval("SELECT count(*) FROM rec_field") == 0


async def test_code_must_be_unique_and_select_needs_a_dictionary(as_user, db):
    client = await as_user("admin")
    assert (await post_form(client, NEW, "/admin/records/fields", _field())).status_code == 303
    again = await post_form(client, NEW, "/admin/records/fields", _field(label="又一个"))
    assert again.status_code == 422 and "A field with this code already exists." in again.text
    no_dict = await post_form(client, NEW, "/admin/records/fields", _field(code="club", kind="select"))
    assert no_dict.status_code == 422 and "Choose the dictionary the values come from." in no_dict.text
    assert await db.fetchval("SELECT count(*) FROM rec_field") == 1


async def test_admin_creates_edits_disables_and_reorders(as_user, db):
    client = await as_user("admin")
    response = await post_form(client, NEW, "/admin/records/fields",
                               _field(code="club", kind="multiselect", dict_type="industry", label="社团",
                                      section="work", required="on"))
    assert response.status_code == 303 and response.headers["location"] == "/admin/records/fields"
    row = await db.fetchrow("SELECT * FROM rec_field WHERE code = 'club'")
    assert (row["kind"], row["dict_type"], row["section"], row["required"], row["visible"], row["enabled"]) == \
        ("multiselect", "industry", "work", True, True, True)
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'rec_field' AND action = 'create'") == 1
    page = await client.get("/admin/records/fields")
    assert "社团" in page.text and "<code>club</code>" in page.text

    # edit: label and visibility change; the code stays
    edit_url = f"/admin/records/fields/{row['id']}"
    response = await post_form(client, edit_url, edit_url, {"label": "兴趣社团", "section": "work",
                                                            "dict_type": "industry", "sort": "5"})
    assert response.status_code == 303
    row = await db.fetchrow("SELECT * FROM rec_field WHERE id = $1", row["id"])
    assert (row["code"], row["label"], row["visible"], row["required"], row["sort"]) == ("club", "兴趣社团", False,
                                                                                         False, 5)
    # reorder inside a section
    await post_form(client, NEW, "/admin/records/fields", _field(code="motto", label="座右铭", section="work"))
    ids = [r["id"] for r in await db.fetch("SELECT id FROM rec_field WHERE section = 'work' ORDER BY sort, id")]
    assert ids[0] == row["id"]
    response = await post_form(client, "/admin/records/fields", f"/admin/records/fields/{ids[1]}/move/up", {})
    assert response.status_code == 303
    assert [r["id"] for r in await db.fetch("SELECT id FROM rec_field WHERE section = 'work' ORDER BY sort, id")] \
        == [ids[1], ids[0]]

    # disable: a confirm page first (no JS), then the POST
    confirm = await client.get(f"/admin/records/fields/{row['id']}/disable")
    assert confirm.status_code == 200 and "Disable field 兴趣社团?" in confirm.text
    response = await client.post(f"/admin/records/fields/{row['id']}/disable",
                                 data={"_csrf_token": csrf_from(confirm.text)})
    assert response.status_code == 303
    assert await db.fetchval("SELECT enabled FROM rec_field WHERE id = $1", row["id"]) is False
    assert "club" not in {f.code for f in await fields.catalogue()}
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'rec_field' AND action = 'disable'") == 1


async def test_new_field_reaches_the_catalogue_and_the_person_forms(as_user, db):
    client = await as_user("admin")
    await post_form(client, NEW, "/admin/records/fields",
                    _field(code="wechat_group", label="校友群", label_en="Alumni group"))
    spec = (await fields.by_code())["wechat_group"]  # labels follow the language (English in tests)
    assert spec.custom and spec.sql == "(p.custom->>'wechat_group')" and spec.label == "Alumni group"
    # the phone edit form of a record (built from the catalogue) offers it, and saving stores it
    person = await db.fetchval("SELECT min(id) FROM rec_person")
    form = await client.get(f"/h5/records/{person}/edit/basic")
    assert form.status_code == 200 and 'name="custom.wechat_group"' in form.text and "Alumni group" in form.text
    response = await client.post(f"/h5/records/{person}/edit/basic",
                                 data={**_form_values(form.text), "custom.wechat_group": "计算机08级群"})
    assert response.status_code == 303, response.text[-2000:]
    custom = await db.fetchval("SELECT custom->>'wechat_group' FROM rec_person WHERE id = $1", person)
    assert custom == "计算机08级群"
    assert await db.fetchval("SELECT count(*) FROM rec_change WHERE person = $1 AND field = 'custom'", person) == 1
    admin_form = await client.get("/admin/records/new")
    if admin_form.status_code == 200:  # the admin person form (records list module) reads the same catalogue
        assert "Alumni group" in admin_form.text


async def test_field_admin_needs_its_permission(as_user, db):
    client = await as_user("cs_admin")  # a college admin: records yes, field definitions no
    assert (await client.get("/admin/records/fields")).status_code == 403
    assert (await client.get(NEW)).status_code == 403


async def test_service_refuses_builtin_and_reserved_codes(db):
    for code in ("name", "college", "custom", "org"):
        with pytest.raises(field_definitions.Invalid):
            await field_definitions.create_field(SYSTEM, _field(code=code))
