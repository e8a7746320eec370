"""Smart search of the expert pool (EXP-15): nested AND/OR conditions, the fuzzy keyword, fields of expertise
matching their subtree, the bookmarkable URL and the no-JS builder, saved searches (save, re-run, rename,
delete), and the phone condition kept from viewers who may not see phones."""
from urllib.parse import urlencode

import pytest

from app.core import query_tree as qt
from app.core.audit import SYSTEM, Actor
from app.core.forms import Invalid
from app.core.pagination import PageRequest
from app.experts import experts, saved_searches, search
from tests.experts.helpers import make_fields
from tests.helpers import csrf_from, post_form

pytestmark = pytest.mark.req("EXP-15")
VIEWER = Actor(1, "admin", is_superuser=True)


def c(field, cmp, value="", value2=""):
    return {"field": field, "cmp": cmp, "value": value, "value2": value2}


async def pool() -> dict:
    f = await make_fields()
    rows = {
        "a": {"name": "王小伟", "phone": "17755510001", "employer": "市政设计研究院", "title": "教授", "region": "北京",
              "specialty": "桥梁抗震", "fields": [f["leaf"]]},
        "b": {"name": "李明", "phone": "17755510002", "employer": "市政设计研究院", "title": "高级工程师",
              "region": "上海", "specialty": "隧道", "fields": [f["mid"]]},
        "c": {"name": "张伟", "phone": "17755510003", "employer": "Huaxin Audit", "title": "会计师", "region": "北京",
              "specialty": "审计", "fields": [f["other"]]},
        "d": {"name": "赵强", "phone": "17755510004", "employer": "测试材料公司", "title": "教授", "region": "广州",
              "specialty": "材料", "fields": []},
    }
    ids = {k: await experts.create(SYSTEM, v) for k, v in rows.items()}
    return {**ids, "f": f}


async def names(wanted: search.SmartSearch) -> list[str]:
    page = await search.run(VIEWER, wanted, PageRequest(per_page=100, sort="name"))
    return sorted(r["name"] for r in page.items)


async def test_nested_and_or(db):
    await pool()
    tree = {"op": "and", "items": [c("employer", "contains", "设计研究院"),
                                   {"op": "or", "items": [c("title", "eq", "教授"), c("region", "eq", "上海")]}]}
    assert await names(search.SmartSearch(tree=tree)) == ["李明", "王小伟"]
    tree = {"op": "or", "items": [c("region", "eq", "广州"),
                                  {"op": "and", "items": [c("region", "eq", "北京"), c("title", "ne", "教授")]}]}
    assert await names(search.SmartSearch(tree=tree)) == ["张伟", "赵强"]
    tree = {"op": "and", "items": [c("title", "in", "教授, 会计师"), c("valid_until", "gt", "2000-01-01")]}
    assert await names(search.SmartSearch(tree=tree)) == ["张伟", "王小伟", "赵强"]


async def test_keyword_is_fuzzy_and_combines_with_conditions(db):
    await pool()
    assert await names(search.SmartSearch(q="王伟")) == ["王小伟"]  # characters in order, gaps allowed
    assert await names(search.SmartSearch(q="伟")) == ["张伟", "王小伟"]
    assert await names(search.SmartSearch(q="huaxin")) == ["张伟"]  # case-insensitive
    assert await names(search.SmartSearch(q="研究院 隧道")) == ["李明"]  # every term, any column
    assert await names(search.SmartSearch(q="50%")) == []  # LIKE wildcards are literal
    only_prof = {"op": "and", "items": [c("title", "eq", "教授")]}
    assert await names(search.SmartSearch(q="研究院", tree=only_prof)) == ["王小伟"]


async def test_fields_of_expertise_match_their_subtree(db):
    p = await pool()
    f = p["f"]
    assert await names(search.SmartSearch(tree={"op": "and", "items": [c("fields", "in", [str(f["top"])])]})) \
        == ["李明", "王小伟"]
    assert await names(search.SmartSearch(tree={"op": "and", "items": [c("fields", "in", [str(f["leaf"]),
                                                                                         str(f["other"])])]})) \
        == ["张伟", "王小伟"]
    assert await names(search.SmartSearch(tree={"op": "and", "items": [c("fields", "empty")]})) == ["赵强"]


async def test_bad_conditions_are_named(db):
    with pytest.raises(Invalid) as exc:
        await search.run(VIEWER, search.SmartSearch(tree={"op": "and", "items": [c("valid_until", "gt", "明天")]}),
                         PageRequest())
    assert "Condition 1 (Valid until)" in exc.value.message
    with pytest.raises(Invalid) as exc:
        await search.run(VIEWER, search.SmartSearch(tree={"op": "and", "items": [c("name", "eq", "x"),
                                                                                  c("evil; DROP", "eq", "1")]}),
                         PageRequest())
    assert "Condition 2" in exc.value.message


async def test_phone_is_no_condition_for_who_may_not_see_phones(db):
    await pool()
    plain = Actor(5, "plain", perms=frozenset({"exp.expert.view"}))
    probe = search.SmartSearch(tree={"op": "and", "items": [c("phone", "eq", "17755510001")]})
    with pytest.raises(Invalid):
        await search.run(plain, probe, PageRequest())
    assert await names(probe) == ["王小伟"]  # the superuser holds exp.contact.view


async def test_page_works_without_js_and_with_htmx(as_user, db):
    await pool()
    client = await as_user("admin")
    wanted = search.SmartSearch(q="研究院", tree={"op": "and", "items": [c("title", "eq", "教授")]})
    url = "/admin/experts/search?" + urlencode(wanted.encode())
    page = await client.get(url)
    assert page.status_code == 200 and "王小伟" in page.text and "李明" not in page.text
    added = await client.get(url + "&act=add:")  # the builder's "+ Condition" without JS
    assert added.status_code == 303
    assert "c-1-field=" in added.headers["location"] and "q=" in added.headers["location"]
    grown = await client.get(url + "&act=addg:", headers={"HX-Request": "true", "HX-Target": "query-builder"})
    assert grown.status_code == 200 and 'name="g-1-op"' in grown.text and "<html" not in grown.text
    frag = await client.get(url + "&run=1", headers={"HX-Request": "true", "HX-Target": "results"})
    assert "王小伟" in frag.text and "<html" not in frag.text and frag.headers.get("hx-push-url")
    bad = await client.get("/admin/experts/search?c-0-field=valid_until&c-0-cmp=gt&c-0-value=x")
    assert bad.status_code == 422 and "Condition 1 (Valid until)" in bad.text


async def test_saved_search_round_trip(as_user, db):
    await pool()
    client = await as_user("admin")
    wanted = search.SmartSearch(q="研究院", tree={"op": "or", "items": [c("title", "eq", "教授"),
                                                                        c("region", "eq", "上海")]})
    url = "/admin/experts/search?" + urlencode(wanted.encode())
    saved = await post_form(client, url, "/admin/experts/search/save", {**dict(wanted.encode()), "name": "研究院专家",
                                                                         "shared": "on"})
    assert saved.status_code == 303
    row = await db.fetchrow("SELECT id, owner, shared, query FROM exp_saved_search WHERE name = '研究院专家'")
    assert row["shared"]
    listing = await client.get("/admin/experts/search")
    assert "研究院专家" in listing.text
    rerun = await client.get(f"/admin/experts/searches/{row['id']}")
    assert rerun.status_code == 303
    again = await client.get(rerun.headers["location"])
    assert "王小伟" in again.text and "李明" in again.text and "张伟" not in again.text
    mine = (await saved_searches.get_saved(SYSTEM.__class__(row["owner"], "admin"), row["id"]))["search"]
    assert mine.q == "研究院" and qt.count_conditions(mine.tree) == 2
    rename_url = f"/admin/experts/searches/{row['id']}/rename"
    refused = await post_form(client, rename_url, rename_url, {"name": ""})
    assert refused.status_code == 422
    done = await post_form(client, rename_url, rename_url, {"name": "设计院专家"})
    assert done.status_code == 303
    assert await db.fetchval("SELECT name FROM exp_saved_search WHERE id = $1", row["id"]) == "设计院专家"
    assert not await db.fetchval("SELECT shared FROM exp_saved_search WHERE id = $1", row["id"])  # unticked
    delete_url = f"/admin/experts/searches/{row['id']}/delete"
    confirm = await client.get(delete_url)
    assert "设计院专家" in confirm.text
    gone = await client.post(delete_url, data={"_csrf_token": csrf_from(confirm.text)})
    assert gone.status_code == 303
    assert await db.fetchval("SELECT count(*) FROM exp_saved_search") == 0
    actions = [r["action"] for r in await db.fetch("SELECT action FROM audit_log WHERE entity = 'exp_saved_search'"
                                                   " ORDER BY id")]
    assert actions == ["create", "update", "delete"]


async def test_saving_needs_a_name_and_a_condition(db):
    with pytest.raises(Invalid):
        await saved_searches.save(VIEWER, "空的", search.SmartSearch())
    with pytest.raises(Invalid):
        await saved_searches.save(VIEWER, "", search.SmartSearch(q="x"))
