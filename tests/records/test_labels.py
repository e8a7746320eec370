"""Codes shown as words (issue #18): region codes the dictionary lacks (310100, the city proper of
Shanghai) are named by their province in the list, detail and export; the update log shows methods,
batch kinds, sections, field values and colleges by name; the alumni list's Export action carries its
filters and is shown only with the export permission."""
import html
import re

import pytest

from app.core.audit import SYSTEM
from app.records import batch_update
from app.records.api import PersonFilters
from tests.records.merge_helpers import org, person
from tests.records.test_export import read_csv


def text_of(page) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text)))


@pytest.mark.req("REC-01")
@pytest.mark.req("SUP-10")
async def test_municipality_region_codes_show_as_names(as_user, db):
    pid = await person("地区甲", phone="13977770001", region="310100", native_region="110100")
    client = await as_user("admin")
    listing = await client.get("/admin/records", params={"q": "13977770001",
                                                          "cols": ["name", "region", "native_region"]})
    cells = text_of(listing)
    assert "Shanghai" in cells and "Beijing" in cells
    assert "310100" not in cells and "110100" not in cells
    detail = text_of(await client.get(f"/admin/records/{pid}?tab=contact"))
    assert "Shanghai" in detail and "310100" not in detail
    basic = text_of(await client.get(f"/admin/records/{pid}?tab=basic"))
    assert "Beijing" in basic and "110100" not in basic
    await db.execute("INSERT INTO rec_interaction (person, kind, title) VALUES ($1, 'donation', '校庆捐赠')", pid)
    interactions = text_of(await client.get(f"/admin/records/{pid}?tab=interactions"))
    assert "Donation 校庆捐赠" in interactions and "donation" not in interactions
    page = await client.get(f"/admin/records/export?ids={pid}")
    exported = await client.post("/admin/records/export", data={
        "ids": str(pid), "cols": ["name", "region"], "format": "csv",
        "_csrf_token": re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)})
    row = next(r for r in read_csv(exported.content) if r and r[0] == "地区甲")
    assert row[1] == "Shanghai"


@pytest.mark.req("REC-16")
async def test_update_log_shows_words_not_codes(as_user, db):
    pid = await person("日志甲", phone="13977770002", region="110000", industry="I", gender="1")
    batch, changed = await batch_update.apply(SYSTEM, PersonFilters(q="13977770002"),
                                              {"region": "310100", "industry": "J", "gender": "2", "kind": "staff",
                                               "is_key": True})
    assert changed == 1
    client = await as_user("admin")
    log = text_of(await client.get("/admin/records/changes", params={"person": pid, "per_page": 50}))
    for shown in ("Batch update", "Manual", "Created (Basic)", "Created (Education)", "Beijing → Shanghai",
                  "Female", "Finance", "Staff", "Yes", "College: 计算机科学与技术学院",
                  "Owning org: 计算机科学与技术学院"):
        assert shown in log, shown
    for raw in ("batch_update", "(basic)", "(education)", "310100", "→ J "):
        assert raw not in log, raw
    assert not re.search(r"(, |— → )(org|college|degree): ", log)  # keys by label, org ids by name
    person_tab = text_of(await client.get(f"/admin/records/{pid}?tab=changes"))
    assert "Batch update" in person_tab and "batch_update" not in person_tab
    batches = text_of(await client.get("/admin/records/changes/batches"))
    assert "Batch update" in batches and "batch_update" not in batches
    detail = text_of(await client.get(f"/admin/records/changes/batches/{batch}"))
    assert "Kind Batch update" in detail and "batch_update" not in detail


@pytest.mark.req("REC-10")
async def test_list_export_action_carries_filters_and_needs_the_permission(as_user, db):
    cs = await org("CS")
    client = await as_user("admin")
    params = {"college": cs, "major": "软件工程", "cols": ["name", "college_name"]}
    listing = await client.get("/admin/records", params=params)
    link = re.search(r'<a class="button small" id="export-link" href="([^"]+)"', listing.text)
    assert link, "the alumni list has no Export action"
    url = html.unescape(link.group(1))
    assert url.startswith("/admin/records/export?") and f"college={cs}" in url and "cols=college" in url
    shown = int(re.search(r'class="result-count">(\d+) record', listing.text).group(1))
    in_major = await db.fetchval("SELECT count(DISTINCT p.id) FROM rec_person p JOIN rec_education e ON e.person = p.id"
                                 " WHERE e.college = $1 AND e.major = '软件工程' AND p.status = 'active'", cs)
    assert shown == in_major
    export_page = await client.get(url)
    assert f"All {in_major} records of the current filter will be exported." in export_page.text
    assert re.search(r'name="cols" value="college" checked', export_page.text)
    liaison = await as_user("liaison")  # may view records, may not export
    page = await liaison.get("/admin/records")
    assert page.status_code == 200 and 'id="export-link"' not in page.text
    assert (await liaison.get(url)).status_code == 403
