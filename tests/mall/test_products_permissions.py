"""Mall permissions down to buttons (MALL-11): a role that may view products and orders but neither
print nor shelve sees no print/shelf buttons, and those routes refuse it (403) even when called directly."""
import pytest

from app.core.security import hash_password
from tests.helpers import csrf_from
from tests.mall.test_printing import make_orders


async def viewer_without_print_or_shelf(db, as_user):
    role = await db.fetchval(
        "INSERT INTO role (code, name, permissions, data_scope) VALUES ('mall_viewer', '商城查看员',"
        " ARRAY['sup.admin', 'mall.product.view', 'mall.order.view'], 'all') RETURNING id")
    user = await db.fetchval("INSERT INTO app_user (username, name, kind, password_hash) VALUES"
                             " ('mallview', '商城查看', 'admin', $1) RETURNING id", hash_password("Viewer2026pass"))
    await db.execute('INSERT INTO user_role ("user", role) VALUES ($1, $2)', user, role)
    return await as_user("mallview", "Viewer2026pass")


@pytest.mark.req("MALL-11")
async def test_buttons_hidden_and_routes_refused_without_print_and_shelf(db, as_user):
    ids = await make_orders(db, 1)
    admin = await as_user("admin")
    products = await admin.get("/admin/mall/products")
    assert "/admin/mall/products/shelf?to=on_shelf" in products.text  # control: the holder sees them
    order_page = await admin.get(f"/admin/mall/orders/{ids[0]}")
    assert f"/admin/mall/print?ids={ids[0]}" in order_page.text

    client = await viewer_without_print_or_shelf(db, as_user)
    products = await client.get("/admin/mall/products")
    assert products.status_code == 200 and "/admin/mall/products/shelf" not in products.text
    assert "/admin/mall/products/new" not in products.text  # no mall.product.edit either
    refused = await client.post("/admin/mall/products/shelf?to=off_shelf", data={
        "ids": [str(await db.fetchval("SELECT id FROM mall_product ORDER BY id LIMIT 1"))],
        "_csrf_token": csrf_from(products.text)})
    assert refused.status_code == 403
    assert await db.fetchval("SELECT count(*) FROM mall_product WHERE status = 'off_shelf'") == 0
    orders = await client.get("/admin/mall/orders")
    assert orders.status_code == 200 and "/admin/mall/orders/print" not in orders.text
    detail = await client.get(f"/admin/mall/orders/{ids[0]}")
    assert detail.status_code == 200 and "/admin/mall/print" not in detail.text
    assert (await client.get(f"/admin/mall/print?ids={ids[0]}&kind=sheet")).status_code == 403
    assert (await client.get("/admin/mall/print-jobs")).status_code == 403
    assert "/admin/mall/print-jobs" not in products.text  # the menu entry is gone too
    assert (await client.get("/admin/mall/stats")).status_code == 403
    assert (await client.get("/admin/mall/products/new")).status_code == 403
