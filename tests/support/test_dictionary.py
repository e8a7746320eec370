"""SUP-10 data dictionary: built-in national codes, local codes, drill-down, disable, protected built-ins."""
import csv

import pytest

from app.core import dictionary, i18n
from app.core.audit import SYSTEM
from app.core.forms import Invalid
from app.support import dictionary as dictionary_service
from tests.helpers import csrf_from, post_form


async def make_type(db, code: str, name: str, hierarchical: bool = False, builtin_items=()) -> None:
    """A code table with some built-in items (code, name, parent) as load_builtin() would create them."""
    await db.execute("INSERT INTO dict_type (code, name, hierarchical, builtin) VALUES ($1, $2, $3, TRUE)",
                     code, name, hierarchical)
    for sort, (item_code, item_name, parent) in enumerate(builtin_items):
        await db.execute("INSERT INTO dict_item (type_code, code, name, parent_code, level, sort, builtin) "
                         "VALUES ($1, $2, $3, $4, $5, $6, TRUE)", code, item_code, item_name, parent,
                         2 if parent else 1, sort)
    dictionary.invalidate()


@pytest.fixture
async def english(client):
    client.cookies.set("tc_lang", "en")
    return client


@pytest.mark.req("SUP-10")
async def test_builtin_codes_are_loaded_from_csv(as_user, db):
    types_file = dictionary.DATA_DIR / "types.csv"
    if not types_file.exists():
        pytest.skip(f"built-in code tables not delivered yet ({types_file} is missing)")
    await dictionary.load_builtin()
    with types_file.open(encoding="utf-8") as f:
        types = list(csv.DictReader(f))
    assert types
    client = await as_user("admin")
    listing = await client.get("/admin/dictionary")
    assert listing.status_code == 200
    for t in types:
        assert f'href="/admin/dictionary/{t["code"]}"' in listing.text
        path = dictionary.DATA_DIR / f"{t['code']}.csv"
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        stored = await db.fetchval("SELECT count(*) FROM dict_item WHERE type_code = $1 AND builtin", t["code"])
        assert stored == len(rows), t["code"]
        top = next(r for r in rows if not r.get("parent_code"))
        assert top["code"] in [c for c, _label in await dictionary.choices(t["code"])]
        page = await client.get(f"/admin/dictionary/{t['code']}", params={"q": top["code"]})
        assert top["name"] in page.text
    if any(t["code"] == "region" for t in types):
        parent = await db.fetchrow("SELECT p.code, p.name FROM dict_item p WHERE p.type_code = 'region' AND EXISTS "
                                   "(SELECT 1 FROM dict_item c WHERE c.type_code = 'region' AND c.parent_code = p.code)"
                                   " ORDER BY p.sort LIMIT 1")
        child = await db.fetchrow("SELECT code, name FROM dict_item WHERE type_code = 'region' AND parent_code = $1 "
                                  "ORDER BY sort LIMIT 1", parent["code"])
        drill = await client.get("/admin/dictionary/region", params={"parent": parent["code"]})
        assert child["name"] in drill.text
        crumbs = drill.text.split('class="crumbs"')[1].split("</nav>")[0]
        assert parent["name"] in crumbs


@pytest.mark.req("SUP-10")
async def test_add_local_code_with_drill_down_and_breadcrumb(as_user, db, english):
    await make_type(db, "t_region", "Test regions", hierarchical=True,
                    builtin_items=[("130000", "河北省", None), ("130100", "石家庄市", "130000")])
    client = await as_user("admin")
    top = await client.get("/admin/dictionary/t_region")
    assert "河北省" in top.text and "石家庄市" not in top.text  # one level at a time
    drill = await client.get("/admin/dictionary/t_region?parent=130000")
    assert "石家庄市" in drill.text and "河北省" in drill.text.split('class="crumbs"')[1].split("</nav>")[0]

    added = await post_form(client, "/admin/dictionary/t_region?parent=130100", "/admin/dictionary/t_region",
                            {"code": "130199", "name": "高新区", "name_en": "Hi-tech Zone", "parent_code": "130100",
                             "sort": "5"})
    assert added.status_code == 303 and added.headers["location"] == "/admin/dictionary/t_region?parent=130100"
    row = await db.fetchrow("SELECT * FROM dict_item WHERE type_code = 't_region' AND code = '130199'")
    assert row["builtin"] is False and row["level"] == 3 and row["parent_code"] == "130100" and row["sort"] == 5
    assert ("130199", "Hi-tech Zone") in await dictionary.choices("t_region", "130100")  # tests run in English
    token = i18n.current_locale.set("zh_CN")
    try:
        assert ("130199", "高新区") in await dictionary.choices("t_region", "130100")
    finally:
        i18n.current_locale.reset(token)
    log = await db.fetchrow("SELECT * FROM audit_log WHERE entity = 'dict_item' AND entity_id = 't_region:130199'")
    assert log["action"] == "create" and log["actor_name"] == "admin"

    level3 = await client.get("/admin/dictionary/t_region?parent=130100")
    assert "高新区" in level3.text and "Hi-tech Zone" in level3.text
    crumbs = level3.text.split('class="crumbs"')[1].split("</nav>")[0]
    assert crumbs.index("河北省") < crumbs.index("石家庄市")
    found = await client.get("/admin/dictionary/t_region", params={"q": "hi-tech"})  # English name, any level
    assert "130199" in found.text and "河北省" not in found.text.split('id="results"')[1]

    duplicate = await post_form(client, "/admin/dictionary/t_region", "/admin/dictionary/t_region",
                                {"code": "130100", "name": "重复", "parent_code": "130000"})
    assert duplicate.status_code == 422 and "already exists" in duplicate.text
    orphan = await post_form(client, "/admin/dictionary/t_region", "/admin/dictionary/t_region",
                             {"code": "990000", "name": "无", "parent_code": "nope"})
    assert orphan.status_code == 422 and 'id="f-parent_code-err"' in orphan.text


@pytest.mark.req("SUP-10")
async def test_items_are_paginated_and_searchable(as_user, db, english):
    await make_type(db, "t_tags", "Tags", builtin_items=[(f"T{n:03d}", f"标签{n}", None) for n in range(45)])
    client = await as_user("admin")
    first = await client.get("/admin/dictionary/t_tags")
    assert "T000" in first.text and "T020" not in first.text and "1–20 of 45" in first.text.replace("&ndash;", "–")
    third = await client.get("/admin/dictionary/t_tags?page=3")
    assert "T044" in third.text and "T000" not in third.text
    search = await client.get("/admin/dictionary/t_tags?q=%E6%A0%87%E7%AD%BE4")  # 标签4 → 4, 40…44
    assert search.text.count('href="/admin/dictionary/t_tags/items/') == 6


@pytest.mark.req("SUP-10")
async def test_builtin_code_cannot_be_deleted_or_renumbered_local_can(as_user, db, english):
    await make_type(db, "t_degree", "Degrees", builtin_items=[("1", "博士", None)])
    client = await as_user("admin")
    confirm = await client.get("/admin/dictionary/t_degree/items/1/delete")
    refused = await client.post("/admin/dictionary/t_degree/items/1/delete",
                                data={"_csrf_token": csrf_from(confirm.text)})
    assert refused.status_code == 303 and refused.headers["location"] == "/admin/dictionary/t_degree/items/1"
    assert await db.fetchval("SELECT count(*) FROM dict_item WHERE type_code = 't_degree' AND code = '1'") == 1
    detail = await client.get("/admin/dictionary/t_degree/items/1")
    assert "cannot be deleted" in detail.text  # the flash explains why
    assert 'href="/admin/dictionary/t_degree/items/1/delete"' not in detail.text
    with pytest.raises(Invalid):
        await dictionary_service.update_item(SYSTEM, "t_degree", "1", new_code="9", name="博士")
    # The form ignores a code sent for a built-in item (its input is read-only).
    saved = await post_form(client, "/admin/dictionary/t_degree/items/1", "/admin/dictionary/t_degree/items/1",
                            {"code": "9", "name": "博士研究生", "name_en": "Doctor", "sort": "0", "enabled": "on"})
    assert saved.status_code == 303
    row = await db.fetchrow("SELECT code, name, name_en FROM dict_item WHERE type_code = 't_degree' AND code = '1'")
    assert row == {"code": "1", "name": "博士研究生", "name_en": "Doctor"}

    await post_form(client, "/admin/dictionary/t_degree", "/admin/dictionary/t_degree",
                    {"code": "L1", "name": "本地学位"})
    confirm = await client.get("/admin/dictionary/t_degree/items/L1/delete")
    assert confirm.status_code == 200 and 'action="/admin/dictionary/t_degree/items/L1/delete"' in confirm.text
    deleted = await client.post("/admin/dictionary/t_degree/items/L1/delete",
                                data={"_csrf_token": csrf_from(confirm.text)})
    assert deleted.status_code == 303
    assert await db.fetchval("SELECT count(*) FROM dict_item WHERE type_code = 't_degree' AND code = 'L1'") == 0
    assert await db.fetchval("SELECT before->>'name' FROM audit_log WHERE entity = 'dict_item' AND action = 'delete' "
                             "AND entity_id = 't_degree:L1'") == "本地学位"


@pytest.mark.req("SUP-10")
async def test_disabled_code_disappears_from_choices(as_user, db):
    await make_type(db, "t_gender", "Gender",
                    builtin_items=[("1", "男", None), ("2", "女", None), ("9", "未说明", None)])
    assert [c for c, _label in await dictionary.choices("t_gender")] == ["1", "2", "9"]  # now cached
    client = await as_user("admin")
    saved = await post_form(client, "/admin/dictionary/t_gender/items/9", "/admin/dictionary/t_gender/items/9",
                            {"name": "未说明", "sort": "2"})  # "enabled" unchecked
    assert saved.status_code == 303
    assert [c for c, _label in await dictionary.choices("t_gender")] == ["1", "2"]
    assert "9" in [i["code"] for i in await dictionary.items("t_gender", include_disabled=True)]
    log = await db.fetchrow("SELECT before, after FROM audit_log "
                            "WHERE entity = 'dict_item' AND entity_id = 't_gender:9'")
    assert '"enabled": true' in log["before"] and '"enabled": false' in log["after"]
    listing = await client.get("/admin/dictionary/t_gender")
    assert listing.text.count('class="badge off"') == 1  # still listed for admins, marked disabled


@pytest.mark.req("SUP-10")
async def test_dictionary_permissions(as_user, db):
    await make_type(db, "t_perm", "Perm", builtin_items=[("1", "一", None)])
    client = await as_user("cs_admin")  # college admins hold neither sup.dict.view nor sup.dict.edit
    assert (await client.get("/admin/dictionary")).status_code == 403
    assert (await client.get("/admin/dictionary/t_perm")).status_code == 403
    await post_form(client, "/admin", "/logout", {})
    admin = await as_user("admin")
    assert (await admin.get("/admin/dictionary/no_such_type")).status_code == 404
