"""Combined query (REC-05): nested AND/OR over basic, education and custom fields; every operator; clear
messages for bad input; injection attempts are inert; the flat URL encoding round-trips; saved queries
re-run; scope (cs_admin never gets EM records)."""
from datetime import date
from urllib.parse import urlencode

import pytest

from app.core.audit import SYSTEM
from app.core.forms import Invalid
from app.core.pagination import PageRequest
from app.records import api, query
from tests.helpers import csrf_from

pytestmark = pytest.mark.req("REC-05")

MARK = {"field": "employer", "cmp": "contains", "value": "QT-"}  # only this test's persons


async def org(code: str) -> int:
    from app.core import db

    return await db.fetchval("SELECT id FROM org_node WHERE code = $1", code)


async def make_people(db) -> dict[str, int]:
    """Four persons with known basic, education and custom values."""
    await db.execute("INSERT INTO rec_field (code, label, kind, dict_type) VALUES ('hobby', '爱好', 'text', ''),"
                     " ('donation', '捐赠额', 'number', ''), ('interests', '兴趣', 'multiselect', 'industry'),"
                     " ('joined', '入会日期', 'date', '')")
    cs, em = await org("CS"), await org("EM")
    people = {
        "A": ({"name": "甲测一", "gender": "1", "employer": "QT-Alpha", "org": cs, "birthday": date(1986, 3, 1),
               "custom": {"hobby": "围棋", "donation": 500, "interests": ["I", "J"], "joined": "2015-06-01"}},
              [{"college": cs, "entry_year": 2008, "degree": "bk", "major": "软件工程"}]),
        "B": ({"name": "乙测二", "gender": "2", "employer": "QT-Beta", "org": cs, "phone": "13900000002",
               "custom": {"hobby": "", "donation": 50}},
              [{"college": cs, "entry_year": 2012, "degree": "ss", "major": ""}]),
        "C": ({"name": "丙测三", "gender": "1", "employer": "QT-Gamma", "org": em, "is_key": True,
               "custom": {"donation": 1000, "interests": ["K"]}},
              [{"college": em, "entry_year": 2008, "degree": "bk", "major": "金融"},
               {"college": cs, "entry_year": 2014, "degree": "ss", "major": "数据科学"}]),
        "D": ({"name": "丁测四", "gender": "2", "employer": "QT-Delta", "org": em, "birthday": date(1990, 5, 1),
               "custom": {"hobby": "象棋"}}, []),
    }
    return {k: await api.create_person(SYSTEM, data, edus) for k, (data, edus) in people.items()}


async def names(tree: dict, actor=SYSTEM) -> set[str]:
    ids = await query.matching_ids(actor, {"op": "and", "items": [MARK, tree]})
    from app.core import db

    rows = await db.fetch("SELECT name FROM rec_person WHERE id = ANY($1::int[])", ids)
    return {r["name"][0] for r in rows}


def form(tree: dict, **extra) -> dict:
    """The flat encoding as httpx form data (repeated keys as lists)."""
    data: dict = {}
    for k, v in query.encode(tree):
        data.setdefault(k, []).append(v)
    return {**data, **extra}


def c(field, cmp, value="", value2=""):
    return {"field": field, "cmp": cmp, "value": value, "value2": value2}


async def test_nested_and_or_over_basic_education_and_custom(db):
    await make_people(db)
    cs = await org("CS")
    tree = {"op": "or", "items": [
        {"op": "and", "items": [c("college", "eq", str(cs)), c("entry_year", "eq", "2008"), c("gender", "eq", "1")]},
        {"op": "and", "items": [c("donation", "gt", "800"),
                                {"op": "or", "items": [c("interests", "in", ["K", "Z"]), c("hobby", "eq", "x")]}]},
        c("hobby", "eq", "象棋"),
    ]}
    assert await names(tree) == {"甲", "丙", "丁"}
    # the same tree through the page: only those rows
    page = await query.run(SYSTEM, {"op": "and", "items": [MARK, tree]}, PageRequest(sort="name"))
    assert page.total == 3


@pytest.mark.parametrize("cond, expected", [
    (c("name", "eq", "乙测二"), {"乙"}),
    (c("gender", "ne", "1"), {"乙", "丁"}),
    (c("name", "contains", "测三"), {"丙"}),
    (c("employer", "in", "QT-Alpha, QT-Delta"), {"甲", "丁"}),
    (c("employer", "in", ["QT-Beta", "QT-Gamma"]), {"乙", "丙"}),
    (c("entry_year", "between", "2011", "2007"), {"甲", "丙"}),  # ends in either order
    (c("entry_year", "gt", "2010"), {"乙", "丙"}),
    (c("entry_year", "lt", "2010"), {"甲", "丙"}),
    (c("entry_year", "empty"), {"丁"}),  # no education record with a year
    (c("entry_year", "not_empty"), {"甲", "乙", "丙"}),
    (c("major", "ne", "金融"), {"甲", "乙", "丁"}),  # no education record in 金融
    (c("degree", "in", ["ss"]), {"乙", "丙"}),
    (c("birthday", "between", "1985-01-01", "1987-01-01"), {"甲"}),
    (c("birthday", "empty"), {"乙", "丙"}),
    (c("phone", "not_empty"), {"乙"}),
    (c("is_key", "eq", "1"), {"丙"}),
    (c("hobby", "empty"), {"乙", "丙"}),
    (c("hobby", "not_empty"), {"甲", "丁"}),
    (c("hobby", "contains", "棋"), {"甲", "丁"}),
    (c("donation", "between", "100", "600"), {"甲"}),
    (c("donation", "lt", "100"), {"乙"}),
    (c("donation", "empty"), {"丁"}),
    (c("interests", "in", ["J", "K"]), {"甲", "丙"}),
    (c("interests", "eq", "I"), {"甲"}),
    (c("interests", "empty"), {"乙", "丁"}),
    (c("joined", "gt", "2015-01-01"), {"甲"}),
])
async def test_each_operator(db, cond, expected):
    await make_people(db)
    assert await names(cond) == expected


@pytest.mark.parametrize("cond, message", [
    (c("no_such", "eq", "1"), "Condition 2: there is no field “no_such”."),
    (c("name", "gt", "x"), "Condition 2 (Name): the operator “is greater than” cannot be used with this field."),
    (c("entry_year", "eq", "20x8"), "Condition 2 (Entry year): enter a year between 1900 and 2100."),
    (c("donation", "gt", "lots"), "Condition 2 (捐赠额): enter a number."),
    (c("birthday", "between", "1990-01-01", "31/12/1990"), "Condition 2 (Birthday): enter a date as YYYY-MM-DD."),
    (c("name", "eq", ""), "Condition 2 (Name): enter a value."),
    (c("college", "eq", "CS"), "Condition 2 (College): choose an entry from the list."),
])
async def test_bad_input_names_the_condition(db, cond, message):
    await make_people(db)
    with pytest.raises(Invalid) as exc:
        await names(cond)
    assert exc.value.message == message


async def test_limits(db):
    too_many = {"op": "and", "items": [c("name", "eq", str(i)) for i in range(query.MAX_CONDITIONS + 1)]}
    with pytest.raises(Invalid, match="at most 30 conditions"):
        await query.build_where(SYSTEM, too_many)
    deep = c("name", "eq", "x")
    for _ in range(query.MAX_DEPTH + 1):
        deep = {"op": "and", "items": [deep]}
    with pytest.raises(Invalid, match="at most 4 levels"):
        await query.build_where(SYSTEM, deep)
    with pytest.raises(Invalid, match="at most 4 levels"):
        query.parse_params([("c-0.0.0.0.0-field", "name")])


async def test_injection_attempts_are_inert(db):
    await make_people(db)
    before = await db.fetchval("SELECT count(*) FROM rec_person")
    for value in ["'; DROP TABLE rec_person; --", "x' OR '1'='1", "%", "_", "\\"]:
        assert await names(c("name", "eq", value)) == set()
        assert await names(c("name", "contains", value)) == set()
        assert await names(c("employer", "in", [value, "QT-Beta"])) == {"乙"}
    with pytest.raises(Invalid):
        await names(c("name); DROP TABLE rec_person; --", "eq", "x"))
    with pytest.raises(Invalid):
        await names(c("name", "eq) OR (1=1", "x"))
    assert await db.fetchval("SELECT count(*) FROM rec_person") == before


def test_flat_encoding_round_trips():
    tree = {"op": "or", "items": [
        c("name", "contains", "张"),
        {"op": "and", "items": [c("gender", "in", ["1", "2"]), {"op": "or", "items": [c("entry_year", "between",
                                                                                       "2008", "2010")]}]},
        c("birthday", "empty"),
    ]}
    assert query.parse_params(query.encode(tree)) == query.normalize(tree)
    edited = query.edit(query.normalize(tree), "add:1.1")
    assert len(edited["items"][1]["items"][1]["items"]) == 2
    edited = query.edit(edited, "del:1")
    assert [i.get("field") for i in edited["items"]] == ["name", "birthday"]


async def test_page_builds_runs_and_keeps_the_query_when_sorting(db, as_user):
    await make_people(db)
    client = await as_user("admin")
    tree = {"op": "and", "items": [MARK, {"op": "or", "items": [c("gender", "eq", "2"), c("donation", "gt", "900")]}]}
    url = "/admin/records/query?" + urlencode(query.encode(tree))
    page = await client.get(url + "&sort=name")
    assert page.status_code == 200
    for name in ("乙测二", "丙测三", "丁测四"):
        assert name in page.text
    assert "甲测一" not in page.text
    assert "sort=-name" in page.text and "c-1.0-field=gender" in page.text  # sort links keep the query
    # builder buttons without JS: the server edits the tree and redirects to the new URL
    added = await client.get(url + "&act=add:1")
    assert added.status_code == 303 and "c-1.2-field=" in added.headers["location"]
    removed = await client.get(url + "&act=del:1")
    assert removed.status_code == 303 and "c-1" not in removed.headers["location"]
    # htmx: only the builder block comes back
    fragment = await client.get(url + "&act=addg:", headers={"HX-Request": "true", "HX-Target": "query-builder"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and 'name="g-2-op"' in fragment.text
    bad = await client.get("/admin/records/query?" + urlencode(query.encode(
        {"op": "and", "items": [c("entry_year", "eq", "soon")]})))
    assert bad.status_code == 422 and "Condition 1 (Entry year): enter a year between 1900 and 2100." in bad.text


async def test_saved_query_rerun_and_delete(db, as_user):
    await make_people(db)
    client = await as_user("admin")
    tree = {"op": "and", "items": [MARK, c("gender", "eq", "1")]}
    url = "/admin/records/query?" + urlencode(query.encode(tree))
    page = await client.get(url)
    token = csrf_from(page.text)
    empty_name = await client.post("/admin/records/query/save", data=form(tree, name=" ", _csrf_token=token))
    assert empty_name.status_code == 422 and "Enter a name for the query." in empty_name.text
    saved = await client.post("/admin/records/query/save", data=form(tree, name="男校友样本", shared="on",
                                                                     _csrf_token=token))
    assert saved.status_code == 303
    row = await db.fetchrow("SELECT * FROM rec_saved_query WHERE name = '男校友样本'")
    assert row["shared"] and query.normalize(row["query"]) == query.normalize(tree)
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'rec_saved_query' AND action = 'create'")
    listing = await client.get("/admin/records/query")
    assert "男校友样本" in listing.text
    rerun = await client.get(f"/admin/records/queries/{row['id']}")
    assert rerun.status_code == 303
    result = await client.get(rerun.headers["location"])
    assert "甲测一" in result.text and "丙测三" in result.text and "乙测二" not in result.text
    # another admin sees the shared query but cannot delete it
    other = await as_user("hq")
    assert "男校友样本" in (await other.get("/admin/records/query")).text
    page = await other.get(f"/admin/records/queries/{row['id']}/delete")
    refused = await other.post(f"/admin/records/queries/{row['id']}/delete", data={"_csrf_token": csrf_from(page.text)})
    assert refused.status_code == 303 and await db.fetchval("SELECT count(*) FROM rec_saved_query")
    client = await as_user("admin")
    page = await client.get(f"/admin/records/queries/{row['id']}/delete")
    assert page.status_code == 200 and "男校友样本" in page.text
    gone = await client.post(f"/admin/records/queries/{row['id']}/delete", data={"_csrf_token": csrf_from(page.text)})
    assert gone.status_code == 303 and not await db.fetchval("SELECT count(*) FROM rec_saved_query")


async def test_scope_cs_admin_never_gets_em_records(db, as_user):
    await make_people(db)
    client = await as_user("cs_admin")
    em = await org("EM")
    everyone = {"op": "or", "items": [c("employer", "not_empty"), c("employer", "empty"), c("college", "eq", str(em))]}
    url = "/admin/records/query?" + urlencode(query.encode(everyone)) + "&per_page=100"
    page = await client.get(url)
    assert page.status_code == 200
    assert "甲测一" in page.text and "乙测二" in page.text
    assert "丙测三" not in page.text and "丁测四" not in page.text  # EM-owned records
    visible = await db.fetchval("SELECT count(*) FROM rec_person p JOIN org_node o ON o.id = p.org WHERE p.status ="
                                " 'active' AND p.secrecy <= 1 AND o.path LIKE '/1/3/%'")
    assert f"{visible} records" in page.text


async def test_education_conditions_of_one_and_group_hold_on_the_same_record(db):
    await make_people(db)
    cs = await org("CS")
    same = {"op": "and", "items": [c("college", "eq", str(cs)), c("entry_year", "lt", "2013")]}
    assert await names(same) == {"甲", "乙"}  # 丙: CS in 2014 and EM in 2008 are different records
    either = {"op": "or", "items": [c("college", "eq", str(cs)), c("entry_year", "lt", "2009")]}
    assert await names(either) == {"甲", "乙", "丙"}
