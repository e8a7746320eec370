"""Bulk grant/deduct from a spreadsheet (MALL-04) through the core import engine: bad rows reported
(unknown user, zero points, deduct larger than the balance), the rest applied as ledger movements,
and a rollback writes the opposite movements."""
import json

import pytest

from app.points import api as points
from app.points.grant_import import POINTS_IMPORT
from tests.helpers import csrf_from, post_form, xlsx
from tests.points.test_api import make_user
from tests.support.test_user_import import commit, upload

HEADERS = ["Username", "Points", "Reason"]


@pytest.fixture
def english(client):
    client.cookies.set("tc_lang", "en")


async def upload_and_check(client, rows: list[list]) -> int:
    import re

    response = await upload(client, "points.xlsx", xlsx([HEADERS, *rows]), kind="points")
    assert response.status_code == 303, response.text[:800]
    mapping_url = response.headers["location"]
    batch_id = int(re.search(r"/batch/(\d+)/mapping", mapping_url).group(1))
    page = await client.get(mapping_url)
    selects = re.findall(r'<select id="map-\w+" name="(map_\w+)"[^>]*>(.*?)</select>', page.text, re.S)
    chosen = {name: re.search(r'value="(\d+)" selected', body).group(1) for name, body in selects if "selected" in body}
    assert len(chosen) == len(POINTS_IMPORT.columns)
    checked = await client.post(mapping_url, data={**chosen, "_csrf_token": csrf_from(page.text)})
    assert checked.status_code == 303
    return batch_id


@pytest.mark.req("MALL-04")
async def test_import_grants_and_deducts_then_rollback(db, as_user, english):
    alice, bob = await make_user(db, "pts_alice"), await make_user(db, "pts_bob")
    await points.earn(bob, 30, key="b", reason="x")
    client = await as_user("admin")
    batch_id = await upload_and_check(client, [["pts_alice", 120, "志愿服务"], ["pts_bob", -20, "重复报名扣回"],
                                               ["pts_bob", -500, "too much"], ["nobody_x", 5, "who"],
                                               ["pts_alice", 0, "zero"]])
    errors = {r["row_no"]: json.loads(r["errors"]) for r in await db.fetch(
        "SELECT row_no, errors FROM import_row WHERE batch = $1 AND status = 'error'", batch_id)}
    assert len(errors) == 3
    text = json.dumps(errors, ensure_ascii=False)
    assert "only 30" in text and "nobody_x" in text and "non-zero" in text
    await commit(client, batch_id)
    assert await points.balance(alice) == 120 and await points.balance(bob) == 10
    kinds = await db.fetch("SELECT kind, delta, reason FROM pts_ledger WHERE user_id = ANY($1::int[]) AND key LIKE"
                           " 'import:%' ORDER BY delta", [alice, bob])
    assert [(r["kind"], r["delta"]) for r in kinds] == [("deduct", -20), ("grant", 120)]

    rollback = f"/admin/imports/batch/{batch_id}/rollback"
    await post_form(client, rollback, rollback, {})
    assert await points.balance(alice) == 0 and await points.balance(bob) == 30
    assert await points.earned_total(alice) == 0
    assert await points.ledger_consistent() == []
