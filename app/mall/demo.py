"""Demo mall (idempotent): categories, ~20 products with SKUs and stock, a default free-shipping rule with
a fee for remote regions, two pickup points, and points for demo users to spend."""
from __future__ import annotations

import json

from app.core import db
from app.core.security import sanitize_html

CATEGORIES = [("文创周边", "gift"), ("服饰", "shirt"), ("数码配件", "cpu"), ("图书", "book")]
# (category, name, subtitle, cover n, points, cash fen, modes, skus: [(spec, stock)])
PRODUCTS = [
    ("文创周边", "校徽纪念章", "黄铜镀金，礼盒装", 1, 300, 0, ["express", "pickup"], [({}, 200)]),
    ("文创周边", "百年校庆明信片套装", "12 张校园风景", 2, 120, 0, ["express", "pickup"], [({}, 500)]),
    ("文创周边", "校园帆布袋", "加厚帆布，大容量", 3, 260, 0, ["express", "pickup"],
     [({"颜色": "米白"}, 80), ({"颜色": "藏青"}, 60)]),
    ("文创周边", "同窗保温杯", "316 不锈钢 500ml", 4, 680, 0, ["express"],
     [({"颜色": "蓝"}, 50), ({"颜色": "白"}, 40)]),
    ("文创周边", "校园书签", "金属镂空，4 枚一组", 5, 90, 0, ["express", "pickup"], [({}, 300)]),
    ("文创周边", "校友徽章冰箱贴", "滴胶工艺", 6, 60, 0, ["express", "pickup"], [({}, 400)]),
    ("服饰", "校友文化衫", "纯棉短袖，印校训", 7, 450, 0, ["express", "pickup"],
     [({"尺码": "M"}, 40), ({"尺码": "L"}, 40), ({"尺码": "XL"}, 30)]),
    ("服饰", "校友卫衣", "加绒连帽", 8, 1200, 3000, ["express"],
     [({"颜色": "藏青", "尺码": "L"}, 20), ({"颜色": "藏青", "尺码": "XL"}, 20), ({"颜色": "灰", "尺码": "L"}, 15)]),
    ("服饰", "棒球帽", "刺绣校名", 1, 320, 0, ["express", "pickup"], [({"颜色": "黑"}, 60), ({"颜色": "白"}, 60)]),
    ("服饰", "校友围巾", "羊毛混纺", 2, 880, 0, ["express"], [({}, 35)]),
    ("数码配件", "校园主题鼠标垫", "超大桌垫", 3, 200, 0, ["express", "pickup"], [({}, 150)]),
    ("数码配件", "定制 U 盘 64G", "金属外壳激光刻字", 4, 600, 0, ["express"], [({}, 70)]),
    ("数码配件", "无线充电器", "15W 快充", 5, 900, 2000, ["express"], [({}, 30)]),
    ("数码配件", "蓝牙音箱", "校歌内置", 6, 1500, 5000, ["express"], [({"颜色": "蓝"}, 15), ({"颜色": "红"}, 15)]),
    ("数码配件", "数据线三合一", "1.2 米编织线", 7, 150, 0, ["express", "pickup"], [({}, 200)]),
    ("图书", "校史（第三版）", "精装本", 8, 500, 0, ["express", "pickup"], [({}, 100)]),
    ("图书", "校友风采录", "百位校友访谈", 1, 380, 0, ["express", "pickup"], [({}, 120)]),
    ("图书", "校园摄影集", "四季校园", 2, 420, 0, ["express", "pickup"], [({}, 90)]),
    ("图书", "同窗笔记本", "A5 线装", 3, 100, 0, ["express", "pickup"], [({"封面": "蓝"}, 150), ({"封面": "红"}, 150)]),
    ("图书", "校园地图手绘本", "折页", 4, 80, 0, ["express", "pickup"], [({}, 0)]),  # sold out: the shop shows it
]
PICKUP_POINTS = [
    ("校友之家（主校区）", "110108", "北京市海淀区同窗路 1 号校友之家一层", "周一至周五 9:00-17:00", "刘老师",
     "010-62750000"),
    ("上海校友会办公室", "310104", "上海市徐汇区漕溪北路 88 号 12 楼", "周二、周四 10:00-16:00", "张老师",
     "021-64870000"),
]
DEMO_POINTS = 5000


def _detail(name: str, subtitle: str) -> str:
    """Through the same sanitiser as the product form: the shop prints detail_html unescaped."""
    return sanitize_html(f"<p><strong>{name}</strong>：{subtitle}。</p>"
                         "<ul><li>校友会官方出品</li><li>积分兑换，支持快递或自提</li></ul>"
                         "<p>如有质量问题，请在收货后 7 天内联系校友会。</p>")


async def seed_demo() -> None:
    if await db.fetchval("SELECT count(*) FROM mall_product"):
        return
    async with db.transaction():
        cats = {}
        for sort, (name, icon) in enumerate(CATEGORIES):
            cats[name] = await db.fetchval("INSERT INTO mall_category (name, icon, sort) VALUES ($1, $2, $3)"
                                           " RETURNING id", name, icon, sort)
        for sort, (cat, name, sub, n, points, cash, modes, skus) in enumerate(PRODUCTS):
            images = [f"/static/img/mall/p{n}.svg", f"/static/img/mall/p{n % 8 + 1}.svg"]
            pid = await db.fetchval(
                "INSERT INTO mall_product (category, name, subtitle, detail_html, images, cover, status,"
                " delivery_modes, sort) VALUES ($1, $2, $3, $4, $5, $6, 'on_shelf', $7, $8) RETURNING id",
                cats[cat], name, sub, _detail(name, sub), images, images[0], modes, sort)
            for i, (spec, stock) in enumerate(skus):
                await db.execute("INSERT INTO mall_sku (product, spec, code, price_points, price_cash, stock, sort)"
                                 " VALUES ($1, $2::jsonb, $3, $4, $5, $6, $7)", pid,
                                 json.dumps(spec, ensure_ascii=False), f"TC{pid:04d}-{i + 1}", points, cash, stock, i)
        await db.execute("INSERT INTO mall_shipping_rule (region_prefix, fee, free_over_points) VALUES"
                         " ('', 0, 0), ('65', 1500, 3000), ('54', 1500, 3000) ON CONFLICT DO NOTHING")
        for sort, (name, region, address, hours, contact, phone) in enumerate(PICKUP_POINTS):
            await db.execute("INSERT INTO mall_pickup_point (name, region_code, address, hours, contact, phone, sort)"
                             " VALUES ($1, $2, $3, $4, $5, $6, $7)", name, region, address, hours, contact, phone, sort)
    await _demo_points()


async def _demo_points() -> None:
    """Every demo user starts with points to spend (idempotent by key through the points service)."""
    from app.points import api as points

    for row in await db.fetch("SELECT id FROM app_user WHERE is_active ORDER BY id LIMIT 200"):
        await points.earn(row["id"], DEMO_POINTS, key=f"demo-mall-{row['id']}", reason="演示积分", action="demo")
