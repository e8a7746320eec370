"""Delivery configuration (MALL-08): fee by the longest GB/T 2260 prefix, free-over threshold, default rule,
pickup points CRUD through the admin pages; every write audited."""
import pytest

from app.core.audit import SYSTEM
from app.core.forms import Invalid
from app.mall import delivery
from tests.helpers import csrf_from, post_form


async def _rules(*rows):
    for prefix, fee, free, enabled in rows:
        await delivery.save_rule(SYSTEM, {"region_prefix": prefix, "fee": str(fee / 100), "free_over_points": str(free),
                                          "enabled": "on" if enabled else ""})


@pytest.mark.req("MALL-08")
async def test_longest_enabled_prefix_wins_and_free_over_threshold(db):
    await db.execute("DELETE FROM mall_shipping_rule")
    assert await delivery.shipping_fee("110108", 10) == 0  # no rule at all: free
    await _rules(("", 1000, 0, True), ("11", 800, 500, True), ("1101", 600, 0, True), ("110108", 100, 0, False),
                 ("44", 1500, 0, True))
    assert await delivery.shipping_fee("110108", 10) == 600  # 1101 beats 11; the disabled district rule is skipped
    assert await delivery.shipping_fee("110105", 10) == 600
    assert await delivery.shipping_fee("110228", 10) == 800  # only the province rule matches
    assert await delivery.shipping_fee("110228", 500) == 0  # its free-over threshold
    assert await delivery.shipping_fee("120101", 10) == 1000  # default rule
    assert await delivery.shipping_fee("130102", 10**6) == 1000  # default has no threshold
    assert await delivery.shipping_fee("440305", 10) == 1500
    await _rules(("12", 900, 300, True))
    assert await delivery.shipping_fee("120101", 299) == 900
    assert await delivery.shipping_fee("120101", 300) == 0  # free from the threshold on
    assert await delivery.shipping_fee("", 0) == 1000


@pytest.mark.req("MALL-08")
async def test_rule_validation_and_duplicate_prefix(db):
    await db.execute("DELETE FROM mall_shipping_rule")
    with pytest.raises(Invalid) as bad:
        await delivery.save_rule(SYSTEM, {"region_prefix": "1a1", "fee": "5"})
    assert bad.value.field == "region_prefix"
    with pytest.raises(Invalid) as fee:
        await delivery.save_rule(SYSTEM, {"region_prefix": "11", "fee": "abc"})
    assert fee.value.field == "fee"
    await delivery.save_rule(SYSTEM, {"region_prefix": "11", "fee": "8.5", "enabled": "on"})
    assert await db.fetchval("SELECT fee FROM mall_shipping_rule WHERE region_prefix = '11'") == 850
    with pytest.raises(Invalid):
        await delivery.save_rule(SYSTEM, {"region_prefix": "11", "fee": "1"})


@pytest.mark.req("MALL-08")
async def test_admin_pages_edit_rules_and_pickup_points(as_user, db):
    await db.execute("DELETE FROM mall_shipping_rule")
    client = await as_user("admin")
    bad = await post_form(client, "/admin/mall/delivery/rules/new", "/admin/mall/delivery/rules",
                          {"region_prefix": "3", "fee": "12", "free_over_points": "0", "enabled": "on"})
    assert bad.status_code == 422 and "Enter 2 (province)" in bad.text and 'value="12"' in bad.text
    ok = await post_form(client, "/admin/mall/delivery/rules/new", "/admin/mall/delivery/rules",
                         {"region_prefix": "31", "fee": "12", "free_over_points": "999", "enabled": "on"})
    assert ok.status_code == 303
    rule_id = await db.fetchval("SELECT id FROM mall_shipping_rule WHERE region_prefix = '31'")
    page = await client.get("/admin/mall/delivery")
    assert "12.00" in page.text and "999" in page.text
    edit = await client.get(f"/admin/mall/delivery/rules/{rule_id}/edit")
    assert 'value="12"' in edit.text
    await client.post(f"/admin/mall/delivery/rules/{rule_id}", data={
        "region_prefix": "31", "fee": "6", "free_over_points": "0", "enabled": "on",
        "_csrf_token": csrf_from(edit.text)})
    assert await delivery.shipping_fee("310101", 5000) == 600

    made = await post_form(client, "/admin/mall/delivery/points/new", "/admin/mall/delivery/points",
                           {"name": "图书馆服务台", "address": "校本部图书馆一楼", "hours": "9:00-17:00",
                            "region_code": "110108", "sort": "1", "enabled": "on"})
    assert made.status_code == 303
    point_id = await db.fetchval("SELECT id FROM mall_pickup_point WHERE name = '图书馆服务台'")
    assert any(p["id"] == point_id for p in await delivery.pickup_points())
    missing = await post_form(client, "/admin/mall/delivery/points/new", "/admin/mall/delivery/points",
                              {"name": "无地址", "address": "", "sort": "0"})
    assert missing.status_code == 422 and "无地址" in missing.text
    confirm = await client.get(f"/admin/mall/delivery/points/{point_id}/delete")
    assert "图书馆服务台" in confirm.text
    gone = await client.post(f"/admin/mall/delivery/points/{point_id}/delete",
                             data={"_csrf_token": csrf_from(confirm.text)})
    assert gone.status_code == 303
    assert await db.fetchval("SELECT count(*) FROM mall_pickup_point WHERE id = $1", point_id) == 0
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'mall_pickup_point'") == 2
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'mall_shipping_rule'") == 2


@pytest.mark.req("MALL-08")
async def test_delivery_pages_refused_without_permission(as_user):
    client = await as_user("auditor")
    assert (await client.get("/admin/mall/delivery")).status_code == 403
