"""Builders for mall tests: a product with SKUs, buyers with points and an address."""
from __future__ import annotations

import json
import uuid

from app.core.audit import Actor
from app.points import api as points


async def product(db, *, name: str = "测试商品", points_price: int = 100, cash: int = 0, stock: int = 10,
                  modes: tuple[str, ...] = ("express", "pickup"), specs: list[dict] | None = None) -> dict:
    pid = await db.fetchval("INSERT INTO mall_product (name, status, delivery_modes, cover) VALUES"
                            " ($1, 'on_shelf', $2, '/static/img/mall/p1.svg') RETURNING id", name, list(modes))
    skus = []
    for spec in specs or [{}]:
        skus.append(await db.fetchval(
            "INSERT INTO mall_sku (product, spec, price_points, price_cash, stock) VALUES ($1, $2::jsonb, $3, $4, $5)"
            " RETURNING id", pid, json.dumps(spec, ensure_ascii=False), points_price, cash, stock))
    return {"id": pid, "sku": skus[0], "skus": skus}


PASSWORD = "Demo2026pass"


async def buyer(db, username: str | None = None, *, balance: int = 1000, password: bool = False,
                with_address: bool = True) -> dict:
    """An alumnus with points and a default Beijing address (password: PASSWORD when asked for)."""
    from app.core.security import hash_password

    username = username or f"buyer_{uuid.uuid4().hex[:8]}"
    org = await db.fetchval("SELECT id FROM org_node WHERE code = 'CS'")
    uid = await db.fetchval("INSERT INTO app_user (username, name, kind, org, password_hash) VALUES"
                            " ($1, $1, 'alumni', $2, $3) RETURNING id", username, org,
                            hash_password(PASSWORD) if password else "")
    if balance:
        await points.earn(uid, balance, key=f"test-{uid}", reason="test")
    address = None
    if with_address:
        address = await db.fetchval(
            "INSERT INTO mall_address (\"user\", name, phone, region_code, region_name, detail, is_default)"
            " VALUES ($1, '张三', '13800000000', '110108', '北京市 海淀区', '同窗路 1 号', TRUE) RETURNING id", uid)
    return {"id": uid, "address": address, "actor": Actor(uid, username), "username": username}


def key() -> str:
    return uuid.uuid4().hex
