"""Tree browse of the alumni list (REC-04): configurable levels, counts per node over visible persons only,
a click on a node filters the list, one GROUP BY per expanded level."""
import html
import re

import pytest

from app.records import tree

pytestmark = pytest.mark.req("REC-04")


def nodes(page: str) -> dict[str, tuple[str, int]]:
    """label → (href, count) of the tree nodes on the page."""
    found = re.findall(r'<a class="tree-label" href="([^"]*)"[^>]*>([^<]*)</a> <span class="tree-count">(\d+)</span>',
                       page)
    return {label: (html.unescape(href), int(n)) for href, label, n in found}


async def _college(db, code: str) -> int:
    return await db.fetchval("SELECT id FROM org_node WHERE code = $1", code)


async def _count(db, where: str, *args, secrecy: int = 3, path: str = "/1/") -> int:
    return await db.fetchval(
        "SELECT count(DISTINCT p.id) FROM rec_person p JOIN rec_education e ON e.person = p.id"
        " JOIN org_node o ON o.id = p.org"
        f" WHERE p.status = 'active' AND p.secrecy <= {secrecy} AND o.path LIKE $1 || '%' AND {where}", path, *args)


async def test_counts_per_node_and_click_filters(as_user, db, monkeypatch):
    client = await as_user("admin")
    cs = await _college(db, "CS")
    top = nodes((await client.get("/admin/records")).text)
    assert top["计算机科学与技术学院"][1] == await _count(db, "e.college = $2", cs)
    assert top["经济与管理学院"][1] == await _count(db, "e.college = $2", await _college(db, "EM"))
    year = await db.fetchval("SELECT entry_year FROM rec_education WHERE college = $1 GROUP BY 1"
                             " ORDER BY count(*) DESC LIMIT 1", cs)
    calls = []
    original = tree._level_counts

    async def counting(*args, **kwargs):
        calls.append(args[1])
        return await original(*args, **kwargs)

    monkeypatch.setattr(tree, "_level_counts", counting)
    expanded = await client.get("/admin/records" + top["计算机科学与技术学院"][0])
    assert calls == ["college", "entry_year"]  # one query per expanded level, not per node
    years = nodes(expanded.text)
    href, n = years[str(year)]
    assert n == await _count(db, "e.college = $2 AND e.entry_year = $3", cs, year)
    assert href.startswith("?") and f"college={cs}" in href and f"entry_year={year}" in href
    listing = await client.get("/admin/records" + href + "&per_page=100")
    shown = {int(i) for i in re.findall(r'<a href="/admin/records/(\d+)">', listing.text)}
    expected = {r["id"] for r in await db.fetch(
        "SELECT DISTINCT p.id FROM rec_person p JOIN rec_education e ON e.person = p.id"
        " WHERE p.status = 'active' AND e.college = $1 AND e.entry_year = $2", cs, year)}
    assert shown == expected and f"{len(expected)} record" in listing.text
    assert f'aria-current="page">{year}</a>' in listing.text
    # the majors under that year, then a major filters on the same education record
    majors = nodes(listing.text)
    major, (major_href, major_n) = next((k, v) for k, v in majors.items() if "major=" in v[0])
    assert major_n == await _count(db, "e.college = $2 AND e.entry_year = $3 AND e.major = $4", cs, year, major)
    by_major = await client.get("/admin/records" + major_href + "&per_page=100")
    assert len(re.findall(r'<a href="/admin/records/(\d+)">', by_major.text)) == major_n


async def test_levels_are_configurable(as_user, db):
    client = await as_user("admin")
    page = await client.get("/admin/records", params={"tree": "degree,college"})
    top = nodes(page.text)
    assert "Bachelor" in top or any("degree=" in href for href, _ in top.values())
    assert all(href.startswith("?") and "degree=" in href for href, _ in top.values())
    assert '<option value="degree,college" selected>' in page.text
    bogus = await client.get("/admin/records", params={"tree": "password,college"})
    assert bogus.status_code == 200 and "计算机科学与技术学院" in nodes(bogus.text)


async def test_counts_cover_only_visible_persons(as_user, db):
    cs = await _college(db, "CS")
    person = await db.fetchval("SELECT p.id FROM rec_person p JOIN rec_education e ON e.person = p.id"
                               " JOIN org_node o ON o.id = p.org WHERE e.college = $1 AND p.secrecy = 0"
                               " AND o.path LIKE '/1/3/%' LIMIT 1", cs)
    await db.execute("UPDATE rec_person SET secrecy = 2 WHERE id = $1", person)
    client = await as_user("cs_admin")
    top = nodes((await client.get("/admin/records")).text)
    assert "经济与管理学院" not in top and "外国语学院" not in top  # EM/FL persons are outside a CS admin's scope
    assert top["计算机科学与技术学院"][1] == await _count(db, "e.college = $2", cs, secrecy=1, path="/1/3/")
    admin = await as_user("admin")
    all_cs = nodes((await admin.get("/admin/records")).text)["计算机科学与技术学院"][1]
    assert all_cs > top["计算机科学与技术学院"][1]  # the confidential record and the CS graduates owned elsewhere
