"""Points admin over HTTP: rules and tasks (MALL-01), ledger filters, export and per-user page
(MALL-02), levels (MALL-03), manual grant/deduct with confirmation (MALL-04), permissions; the
alumnus's H5 points page."""
import io

import openpyxl
import pytest

from app.points import api as points
from app.points import levels
from tests.helpers import csrf_from, post_form
from tests.points.test_api import make_user


async def _uid(db, username: str) -> int:
    return await db.fetchval("SELECT id FROM app_user WHERE username = $1", username)


@pytest.mark.req("MALL-01")
async def test_rules_crud_with_validation(db, as_user):
    client = await as_user("admin")
    page = await client.get("/admin/points/rules")
    assert page.status_code == 200 and "daily_login" in page.text
    token = csrf_from((await client.get("/admin/points/rules/new")).text)
    bad = await client.post("/admin/points/rules", data={"action": "Bad Code", "name": "", "points": "0",
                                                         "_csrf_token": token})
    assert bad.status_code == 422
    assert "This field is required." in bad.text and "At least 1." in bad.text
    assert 'value="Bad Code"' in bad.text  # nothing typed is lost
    bad = await client.post("/admin/points/rules", data={"action": "Bad Code", "name": "Read news", "points": "3",
                                                         "_csrf_token": token})
    assert bad.status_code == 422 and "Use lower-case letters" in bad.text
    dup = await client.post("/admin/points/rules", data={"action": "vote", "name": "x", "points": "3",
                                                         "_csrf_token": token})
    assert dup.status_code == 422 and "A rule for this action code already exists." in dup.text
    made = await client.post("/admin/points/rules", data={"action": "news_read", "name": "Read news", "points": "3",
                                                          "daily_points": "9", "enabled": "on", "_csrf_token": token})
    assert made.status_code == 303
    rule = await db.fetchrow("SELECT * FROM pts_rule WHERE action = 'news_read'")
    assert rule["points"] == 3 and rule["daily_points"] == 9 and rule["enabled"]
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'points.rule.create'") == 1
    uid = await make_user(db)
    assert [await points.award("news_read", uid, key=f"n{i}") for i in range(4)] == [3, 3, 3, 0]

    edit = await post_form(client, f"/admin/points/rules/{rule['id']}", f"/admin/points/rules/{rule['id']}",
                           {"name": "Read news", "points": "4", "valid_from": "2030-01-01", "valid_to": "2029-01-01"})
    assert edit.status_code == 422 and "The end date is before the start date." in edit.text
    await post_form(client, "/admin/points/rules", f"/admin/points/rules/{rule['id']}/toggle", {})
    assert not await db.fetchval("SELECT enabled FROM pts_rule WHERE id = $1", rule["id"])
    confirm = await client.get(f"/admin/points/rules/{rule['id']}/delete")
    assert "Read news" in confirm.text
    await client.post(f"/admin/points/rules/{rule['id']}/delete", data={"_csrf_token": csrf_from(confirm.text)})
    assert not await db.fetchval("SELECT 1 FROM pts_rule WHERE id = $1", rule["id"])


@pytest.mark.req("MALL-01", "MALL-02", "MALL-03", "MALL-04")
async def test_points_pages_need_permission(db, as_user):
    client = await as_user("liaison")
    for url in ("/admin/points/rules", "/admin/points/ledger", "/admin/points/levels", "/admin/points/grant",
                "/admin/points/ledger/export"):
        response = await client.get(url)
        assert response.status_code == 403, url
        assert "You do not have permission" in response.text


@pytest.mark.req("MALL-02")
async def test_ledger_filters_user_page_and_export(db, as_user):
    alice, bob = await make_user(db, "pts_alice"), await make_user(db, "pts_bob")
    await points.earn(alice, 100, key="a1", reason="signup bonus", action="event_signup")
    await points.spend(alice, 30, key="a2", reason="mall order", ref="ORD-1")
    await points.earn(bob, 7, key="b1", reason="vote", action="vote")
    client = await as_user("admin")
    page = await client.get("/admin/points/ledger?q=pts_alice")
    assert "signup bonus" in page.text and "mall order" in page.text and "pts_bob" not in page.text
    page = await client.get("/admin/points/ledger?q=pts_&kind=spend")
    assert "mall order" in page.text and "signup bonus" not in page.text
    page = await client.get("/admin/points/ledger?q=pts_&action=vote")
    assert "pts_bob" in page.text and "pts_alice" not in page.text
    page = await client.get("/admin/points/ledger?q=pts_&from=2000-01-01&to=2000-12-31")
    assert "No points movements" in page.text
    bad = await client.get("/admin/points/ledger?from=yesterday")
    assert "Enter a date as YYYY-MM-DD." in bad.text

    export = await client.get("/admin/points/ledger/export?q=pts_alice&fmt=xlsx")
    assert export.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    rows = [[c for c in r] for r in sheet.iter_rows(values_only=True)]
    header = rows[1]  # row 1 is the watermark (who exported, when)
    assert "admin" in str(rows[0][0])
    body = [dict(zip(header, r, strict=True)) for r in rows[1:] if r[1] == "pts_alice"]
    assert sorted(r["Points"] for r in body) == [-30, 100]
    assert {r["Reference"] for r in body} >= {"ORD-1"}
    csv = await client.get("/admin/points/ledger/export?q=pts_bob&fmt=csv")
    assert "pts_bob" in csv.content.decode("utf-8-sig") and "pts_alice" not in csv.content.decode("utf-8-sig")

    user_page = await client.get(f"/admin/points/ledger/users/{alice}")
    assert user_page.status_code == 200 and "70" in user_page.text
    assert "Balance matches the ledger" in user_page.text
    await db.execute("UPDATE pts_account SET balance = 71 WHERE user_id = $1", alice)
    assert "does not match the ledger" in (await client.get(f"/admin/points/ledger/users/{alice}")).text
    found = await client.get("/admin/points/ledger/users?q=pts_al")
    assert f"/admin/points/ledger/users/{alice}" in found.text


@pytest.mark.req("MALL-04")
async def test_grant_to_many_with_confirmation(db, as_user):
    alice, bob = await make_user(db, "pts_alice"), await make_user(db, "pts_bob")
    client = await as_user("admin")
    form = await client.get("/admin/points/grant")
    token = csrf_from(form.text)
    bad = await client.post("/admin/points/grant/preview", data={"users": "pts_alice nobody_here", "mode": "grant",
                                                                 "amount": "50", "reason": "", "_csrf_token": token})
    assert bad.status_code == 422 and "This field is required." in bad.text
    bad = await client.post("/admin/points/grant/preview", data={"users": "pts_alice nobody_here", "mode": "grant",
                                                                 "amount": "50", "reason": "volunteer",
                                                                 "_csrf_token": token})
    assert bad.status_code == 422 and "nobody_here" in bad.text and "volunteer" in bad.text
    preview = await client.post("/admin/points/grant/preview", data={"users": f"pts_alice, {bob}", "mode": "grant",
                                                                     "amount": "50", "reason": "volunteer",
                                                                     "_csrf_token": token})
    assert preview.status_code == 200 and "Confirm points change" in preview.text
    assert await points.balance(alice) == 0  # nothing happens before confirming
    batch = preview.text.split('name="token" value="')[1].split('"')[0]
    data = {"users": f"pts_alice, {bob}", "mode": "grant", "amount": "50", "reason": "volunteer", "token": batch,
            "_csrf_token": csrf_from(preview.text)}
    done = await client.post("/admin/points/grant/apply", data=data)
    assert done.status_code == 303 and done.headers["location"] == "/admin/points/ledger?kind=grant"
    again = await client.post("/admin/points/grant/apply", data=data)  # double submit: no second grant
    assert again.status_code == 303
    assert await points.balance(alice) == 50 and await points.balance(bob) == 50
    rows = await db.fetch("SELECT kind, reason, actor_id FROM pts_ledger WHERE user_id = $1", alice)
    assert [(r["kind"], r["reason"]) for r in rows] == [("grant", "volunteer")] and rows[0]["actor_id"]
    assert await db.fetchval("SELECT count(*) FROM audit_log"
                             " WHERE action = 'points.grant' AND after->>'reason' = 'volunteer'") == 2
    assert await points.earned_total(alice) == 50


@pytest.mark.req("MALL-04")
async def test_deduct_never_makes_a_balance_negative(db, as_user):
    alice, bob = await make_user(db, "pts_alice"), await make_user(db, "pts_bob")
    await points.earn(alice, 100, key="a", reason="x")
    await points.earn(bob, 10, key="b", reason="x")
    client = await as_user("admin")
    token = csrf_from((await client.get("/admin/points/grant")).text)
    refused = await client.post("/admin/points/grant/preview", data={
        "users": "pts_alice\npts_bob", "mode": "deduct", "amount": "20", "reason": "duplicate signup",
        "_csrf_token": token})
    assert refused.status_code == 422
    assert "would make these balances negative: pts_bob (10)" in refused.text
    assert "Nothing was deducted." in refused.text
    # the balance drops between preview and confirm: the apply refuses and names who is short
    preview = await client.post("/admin/points/grant/preview", data={
        "users": "pts_alice", "mode": "deduct", "amount": "80", "reason": "duplicate signup", "_csrf_token": token})
    assert preview.status_code == 200
    await points.spend(alice, 50, key="meanwhile", reason="order")
    batch = preview.text.split('name="token" value="')[1].split('"')[0]
    late = await client.post("/admin/points/grant/apply", data={
        "users": "pts_alice", "mode": "deduct", "amount": "80", "reason": "duplicate signup", "token": batch,
        "_csrf_token": csrf_from(preview.text)})
    assert late.status_code == 422 and "pts_alice (50)" in late.text
    assert await points.balance(alice) == 50
    ok = await client.post("/admin/points/grant/apply", data={
        "users": "pts_alice", "mode": "deduct", "amount": "50", "reason": "duplicate signup", "token": batch + "x",
        "_csrf_token": csrf_from(preview.text)})
    assert ok.status_code == 303 and ok.headers["location"] == f"/admin/points/ledger/users/{alice}"
    assert await points.balance(alice) == 0
    assert await points.ledger_consistent() == []


@pytest.mark.req("MALL-03")
async def test_levels_admin_and_h5_page(db, as_user, client):
    admin = await as_user("admin")
    levels_page = await admin.get("/admin/points/levels")
    assert "金牌校友" in levels_page.text and "/static/img/points/gold.svg" in levels_page.text
    token = csrf_from((await admin.get("/admin/points/levels/new")).text)
    dup = await admin.post("/admin/points/levels", data={"name": "x", "min_points": "200", "builtin": "gold",
                                                         "_csrf_token": token})
    assert dup.status_code == 422 and "Another level already starts at this number of points." in dup.text
    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
           b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
    made = await admin.post("/admin/points/levels", data={"name": "传奇校友", "min_points": "50000", "builtin": "",
                                                          "_csrf_token": token},
                            files={"upload": ("legend.png", png, "image/png")})
    assert made.status_code == 303
    icon = await db.fetchval("SELECT icon FROM pts_level WHERE name = '传奇校友'")
    assert icon and not icon.startswith("builtin:")

    uid = await _uid(db, "liaison")
    await points.grant(uid, 1500, key="lv", reason="big helper")
    await points.spend(uid, 600, key="lv-spend", reason="mall order")
    user = await as_user("liaison")
    page = await user.get("/h5/points", headers={"User-Agent": "Mozilla/5.0 MicroMessenger/8.0"})
    assert page.status_code == 200
    balance = await points.balance(uid)
    assert f'data-balance="{balance}"' in page.text
    level = await levels.level_of(await points.earned_total(uid))  # demo data may have given points before
    assert level["current"]["name"] in page.text and level["current"]["icon_url"] in page.text
    assert level["next"]["name"] in page.text and f"{level['to_next']:,}" in page.text
    assert "big helper" in page.text and "mall order" in page.text
    assert "每日签到" in page.text  # how to earn


@pytest.mark.req("SUP-09")
async def test_h5_points_needs_login(client):
    response = await client.get("/h5/points")
    assert response.status_code == 303 and "/login" in response.headers["location"]


@pytest.mark.req("MALL-02", "MALL-04")
async def test_ledger_and_grants_stay_inside_the_data_scope(db):
    from app.core.audit import Actor
    from app.core.forms import Invalid
    from app.core.pagination import PageRequest
    from app.core.permissions import Scope
    from app.points import grants, ledger

    cs = await db.fetchrow("SELECT id, path FROM org_node WHERE code = 'CS'")
    bj = await db.fetchval("SELECT id FROM org_node WHERE code = 'BJ'")
    inside, outside = await make_user(db, "pts_cs"), await make_user(db, "pts_bj")
    await db.execute("UPDATE app_user SET org = $2 WHERE id = $1", inside, cs["id"])
    await db.execute("UPDATE app_user SET org = $2 WHERE id = $1", outside, bj)
    await points.earn(inside, 5, key="in", reason="x")
    await points.earn(outside, 5, key="out", reason="x")
    college = Actor(999, "college", scope=Scope(subtree_paths=(cs["path"],)), perms=frozenset({"pts.grant"}))
    page = await ledger.list_entries(college, ledger.LedgerFilters(q="pts_"), PageRequest())
    assert {r["username"] for r in page.items} == {"pts_cs"}
    with pytest.raises(ledger.NotFound):
        await ledger.user_summary(college, outside)
    with pytest.raises(Invalid) as err:
        await grants.plan(college, {"users": "pts_cs pts_bj", "mode": "grant", "amount": 5, "reason": "r"})
    assert "pts_bj" in err.value.message and "pts_cs" not in err.value.message
