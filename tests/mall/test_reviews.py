"""Review moderation (MALL-09): pending reviews wait; staff approve/reject (one or many) and reply;
only approved reviews count on the product page."""
import pytest

from app.core.audit import SYSTEM
from app.mall import reviews
from tests.helpers import csrf_from
from tests.mall import factories


async def make_review(db, product: dict, buyer: dict, stars: int, text: str, photos=()) -> int:
    order = await db.fetchval("INSERT INTO mall_order (no, \"user\", status, request_key) VALUES ($1, $2,"
                              " 'pending_review', $1) RETURNING id", f"MT{factories.key()[:12]}", buyer["id"])
    item = await db.fetchval("INSERT INTO mall_order_item (\"order\", sku, product, name, spec, qty, price_points)"
                             " VALUES ($1, $2, $3, '测试商品', '颜色:蓝', 1, 100) RETURNING id", order, product["sku"],
                             product["id"])
    return await db.fetchval("INSERT INTO mall_review (order_item, \"user\", product, stars, text, photos) VALUES"
                             " ($1, $2, $3, $4, $5, $6) RETURNING id", item, buyer["id"], product["id"], stars, text,
                             list(photos))


@pytest.mark.req("MALL-09")
async def test_only_approved_reviews_reach_the_product(db):
    product = await factories.product(db)
    buyer = await factories.buyer(db, balance=0)
    good = await make_review(db, product, buyer, 5, "质量很好")
    bad = await make_review(db, product, buyer, 1, "广告内容")
    await make_review(db, product, buyer, 3, "一般")
    assert (await reviews.approved_for_product(product["id"])).total == 0
    assert await reviews.summary(product["id"]) == {"count": 0, "average": 0.0}
    assert await reviews.moderate(SYSTEM, [good], "approved", "谢谢支持") == 1
    await reviews.moderate(SYSTEM, [bad], "rejected")
    page = await reviews.approved_for_product(product["id"])
    assert [r["text"] for r in page.items] == ["质量很好"] and page.items[0]["reply"] == "谢谢支持"
    assert page.items[0]["author"].endswith("**")
    assert await reviews.summary(product["id"]) == {"count": 1, "average": 5.0}


@pytest.mark.req("MALL-09")
async def test_moderation_page_tabs_bulk_approve_and_reply(as_user, db):
    product = await factories.product(db, name="评价测试商品")
    buyer = await factories.buyer(db, balance=0)
    first = await make_review(db, product, buyer, 4, "包装不错", ["/static/img/mall/p1.svg"])
    second = await make_review(db, product, buyer, 2, "发货慢")
    client = await as_user("admin")
    page = await client.get("/admin/mall/reviews?q=评价测试商品")
    assert "包装不错" in page.text and "发货慢" in page.text and "★★★★☆" in page.text
    assert 'src="/static/img/mall/p1.svg"' in page.text
    token = csrf_from(page.text)
    done = await client.post("/admin/mall/reviews/moderate?to=approved&next=/admin/mall/reviews",
                             data={"ids": [str(first)], "_csrf_token": token})
    assert done.status_code == 303
    await client.post("/admin/mall/reviews/moderate?to=rejected", data={"ids": [str(second)], "_csrf_token": token})
    replied = await client.post(f"/admin/mall/reviews/{first}/reply", data={"reply": "感谢反馈", "_csrf_token": token})
    assert replied.status_code == 303
    approved = await client.get("/admin/mall/reviews?status=approved&q=评价测试商品")
    assert "包装不错" in approved.text and "感谢反馈" in approved.text and "发货慢" not in approved.text
    rows = await db.fetch("SELECT status, moderated_by FROM mall_review WHERE id = ANY($1::bigint[]) ORDER BY id",
                          [first, second])
    assert [r["status"] for r in rows] == ["approved", "rejected"] and rows[0]["moderated_by"]
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'mall_review'") == 3
    assert (await reviews.approved_for_product(product["id"])).total == 1
