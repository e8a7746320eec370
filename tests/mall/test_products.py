"""Products admin (MALL-05): create/edit with sanitised detail, images, SKUs typed in a fixed-row table
(works without JS), validation that keeps what was typed, filters, batch on/off shelf, categories."""
import io

import pytest
from PIL import Image

from app.core.audit import SYSTEM
from app.mall import categories, products
from tests.helpers import csrf_from


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def sku_rows(*rows, names=""):
    data = {"spec_names": names, "sku_rows": str(len(rows))}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"sku-{i}-{key}"] = value
    return data


async def _category(name="文创", parent=None) -> int:
    return await categories.save(SYSTEM, {"name": name, "parent": parent or "", "sort": "0", "enabled": "on"})


@pytest.mark.req("MALL-05")
async def test_create_product_with_specs_images_and_sanitised_detail(as_user, db):
    cat = await _category()
    await categories.save_attribute(SYSTEM, cat, {"name": "颜色", "values": "红，蓝、白"})
    client = await as_user("admin")
    page = await client.get("/admin/mall/products/new")
    assert page.status_code == 200 and 'name="sku-2-points"' in page.text  # fixed blank rows, no JS needed
    token = csrf_from(page.text)
    base = {"_csrf_token": token, "name": "校庆纪念T恤", "subtitle": "纯棉", "category": str(cat),
            "delivery_modes": ["express", "pickup"], "sort": "1",
            "detail_html": '<p onclick="x()">好<script>alert(1)</script></p>'}
    # "Update spec columns" with a category and no columns takes the category's attributes
    cols = await client.post("/admin/mall/products", data={**base, "_action": "columns", "sku_rows": "0"})
    assert cols.status_code == 200 and "<th>颜色</th>" in cols.text and "校庆纪念T恤" in cols.text
    more = await client.post("/admin/mall/products", data={**base, **sku_rows({"spec-0": "红"}, names="颜色"),
                                                           "_action": "add_rows"})
    assert 'name="sku-5-points"' in more.text and 'value="红"' in more.text
    # refused: a row without its spec value; everything typed comes back, the upload too
    bad = await client.post("/admin/mall/products", files={"new_images": ("a.png", png(), "image/png")},
                            data={**base, **sku_rows({"spec-0": "红", "points": "300", "stock": "5", "code": "T-R"},
                                                     {"spec-0": "", "points": "300", "stock": "5"}, names="颜色"),
                                  "_action": "save"})
    assert bad.status_code == 422 and "Enter the 颜色 of every SKU." in bad.text
    assert 'value="T-R"' in bad.text and "/mall/images/mall/" in bad.text
    image = bad.text.split('name="images" value="')[1].split('"')[0]
    ok = await client.post("/admin/mall/products", data={
        **base, "images": image, "cover": image, "_action": "save",
        **sku_rows({"spec-0": "红", "points": "300", "stock": "5", "code": "T-R"},
                   {"spec-0": "蓝", "points": "320", "cash": "9.9", "stock": "0", "code": "T-B"},
                   {}, names="颜色")})
    assert ok.status_code == 303, ok.text[:500]
    row = await db.fetchrow("SELECT * FROM mall_product WHERE name = '校庆纪念T恤'")
    assert row["status"] == "off_shelf" and row["cover"] == image and row["images"] == [image]
    assert "script" not in row["detail_html"] and "onclick" not in row["detail_html"] and "好" in row["detail_html"]
    skus = await db.fetch("SELECT spec, code, price_points, price_cash, stock FROM mall_sku WHERE product = $1"
                          " ORDER BY sort", row["id"])
    assert [(s["code"], s["price_points"], s["price_cash"], s["stock"]) for s in skus] == [
        ("T-R", 300, 0, 5), ("T-B", 320, 990, 0)]
    served = await client.get(image)
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert (await client.get("/mall/images/2026/x.png")).status_code == 404  # only mall/ keys
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'mall_product'") == 1


@pytest.mark.req("MALL-05")
async def test_edit_applies_stock_difference_and_removes_rows(as_user, db):
    pid = await products.save(SYSTEM, {"name": "帆布袋", "delivery_modes": ["express"],
                                       **sku_rows({"spec-0": "米白", "points": "100", "stock": "10"},
                                                 {"spec-0": "藏青", "points": "100", "stock": "3", "code": "BAG-2"},
                                                 names="颜色")})
    product = await products.get(pid)
    first, second = product["skus"]
    client = await as_user("admin")
    page = await client.get(f"/admin/mall/products/{pid}")
    assert 'value="BAG-2"' in page.text
    await db.execute("UPDATE mall_sku SET stock = stock - 4 WHERE id = $1", first["id"])  # sold meanwhile
    saved = await client.post(f"/admin/mall/products/{pid}", data={
        "_csrf_token": csrf_from(page.text), "name": "帆布袋", "delivery_modes": "express", "_action": "save",
        **sku_rows({"id": str(first["id"]), "spec-0": "米白", "points": "120", "stock": "15", "stock_was": "10"},
                   {"id": str(second["id"]), "spec-0": "藏青", "points": "100", "stock": "3", "stock_was": "3",
                    "remove": "on", "code": "BAG-2"}, names="颜色")})
    assert saved.status_code == 303
    rows = await db.fetch("SELECT id, price_points, stock FROM mall_sku WHERE product = $1", pid)
    assert [(r["id"], r["price_points"], r["stock"]) for r in rows] == [(first["id"], 120, 11)]  # 6 + 5 added


@pytest.mark.req("MALL-05")
async def test_list_filters_and_batch_shelf(as_user, db):
    cat = await _category("测试图书")
    child = await _category("校史", cat)
    low = await products.save(SYSTEM, {"name": "校史精装", "category": str(child), "delivery_modes": ["express"],
                                       **sku_rows({"points": "500", "stock": "2", "code": "BOOK-1"})})
    plenty = await products.save(SYSTEM, {"name": "明信片", "delivery_modes": ["pickup"],
                                          **sku_rows({"points": "50", "stock": "500"})})
    client = await as_user("admin")
    by_cat = await client.get(f"/admin/mall/products?category={cat}")
    assert "校史精装" in by_cat.text and "明信片" not in by_cat.text  # subcategories included
    by_stock = await client.get("/admin/mall/products?stock=low&q=")
    assert "校史精装" in by_stock.text and "明信片" not in by_stock.text
    by_code = await client.get("/admin/mall/products?q=BOOK-1")
    assert "校史精装" in by_code.text and "明信片" not in by_code.text
    listing = await client.get("/admin/mall/products?q=校史")
    assert 'formaction="/admin/mall/products/shelf?to=on_shelf' in listing.text
    done = await client.post("/admin/mall/products/shelf?to=on_shelf", data={
        "ids": [str(low), str(plenty)], "_csrf_token": csrf_from(listing.text)})
    assert done.status_code == 303
    assert await db.fetchval("SELECT count(*) FROM mall_product WHERE id = ANY($1::bigint[]) AND status = 'on_shelf'",
                             [low, plenty]) == 2
    assert await products.set_shelf(SYSTEM, [low], "off_shelf") == 1
    on_shelf = await client.get("/admin/mall/products?status=on_shelf&q=明信片")
    assert "明信片" in on_shelf.text


@pytest.mark.req("MALL-05")
async def test_category_tree_and_attributes_pages(as_user, db):
    client = await as_user("admin")
    page = await client.get("/admin/mall/categories/new")
    made = await client.post("/admin/mall/categories", data={"name": "测试服饰", "sort": "0", "enabled": "on",
                                                             "_csrf_token": csrf_from(page.text)})
    assert made.status_code == 303
    cat = await db.fetchval("SELECT id FROM mall_category WHERE name = '测试服饰' AND parent IS NULL")
    detail = await client.get(f"/admin/mall/categories/{cat}")
    token = csrf_from(detail.text)
    await client.post(f"/admin/mall/categories/{cat}/attributes", data={"name": "尺码", "values": "S, M、L",
                                                                         "_csrf_token": token})
    assert await db.fetchval("SELECT values FROM mall_attribute WHERE category = $1", cat) == ["S", "M", "L"]
    child = await client.post("/admin/mall/categories", data={"name": "T恤", "parent": str(cat), "_csrf_token": token})
    assert child.status_code == 303
    loop = await client.post(f"/admin/mall/categories/{cat}", data={
        "name": "测试服饰", "parent": str(await db.fetchval("SELECT id FROM mall_category WHERE name = 'T恤'")),
        "_csrf_token": token})
    assert loop.status_code == 422 and "cannot be placed under itself" in loop.text
    tree = await client.get("/admin/mall/categories")
    assert "测试服饰" in tree.text and "T恤" in tree.text
    refused = await client.post(f"/admin/mall/categories/{cat}/delete", data={"_csrf_token": token})
    assert refused.status_code == 303
    assert await db.fetchval("SELECT count(*) FROM mall_category WHERE id = $1", cat) == 1
