"""Demo points data (idempotent): earning rules for the interactive modules, member levels with the
built-in medals, and a short ledger for a few demo users. Other modules award with e.g.
`await points.award("event_signup", user_id, key=f"event_signup:{signup_id}")`."""
from __future__ import annotations

from app.core import db
from app.points import api

# (action, name, points, daily_count, daily_points, lifetime_count, description, link, sort)
RULES = [
    ("daily_login", "每日签到", 5, 1, None, None, "每天登录校友平台即可获得", "/h5/me", 1),
    ("profile_complete", "完善个人资料", 50, None, None, 1, "填写完整的学籍、工作和联系方式", "/admin/profile", 2),
    ("event_signup", "报名校友活动", 20, 3, None, None, "报名参加校友会组织的活动", "", 3),
    ("event_checkin", "活动现场签到", 30, 3, None, None, "到达活动现场扫码签到", "", 4),
    ("vote", "参与投票", 2, 10, None, None, "参与校友会发起的投票或问卷", "", 5),
    ("post_share", "分享到朋友圈", 3, None, 9, None, "把活动或新闻分享给朋友", "", 6),
    ("donation", "校友捐赠", 100, 1, None, None, "每完成一笔捐赠（每天最多计一次）", "", 7),
    ("mall_review", "商城订单评价", 5, 5, None, None, "确认收货后评价商品", "", 8),
]
LEVELS = [("铜牌校友", 0, "bronze"), ("银牌校友", 200, "silver"), ("金牌校友", 1000, "gold"),
          ("铂金校友", 5000, "platinum"), ("钻石校友", 20000, "diamond")]


async def seed_demo() -> None:
    for action, name, pts, daily_count, daily_points, lifetime, desc, link, sort in RULES:
        await db.execute(
            "INSERT INTO pts_rule (action, name, points, daily_count, daily_points, lifetime_count, description,"
            " link, sort) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (action) DO NOTHING",
            action, name, pts, daily_count, daily_points, lifetime, desc, link, sort)
    if not await db.fetchval("SELECT 1 FROM pts_level LIMIT 1"):
        for name, min_points, icon in LEVELS:
            await db.execute("INSERT INTO pts_level (name, min_points, icon) VALUES ($1, $2, $3)"
                             " ON CONFLICT (min_points) DO NOTHING", name, min_points, f"builtin:{icon}")
    # A short history for the demo admins; the keys make re-seeding a no-op.
    users = await db.fetch("SELECT id, username FROM app_user WHERE username IN ('liaison', 'cs_admin', 'bj_admin')"
                           " ORDER BY username")
    for n, user in enumerate(users):
        uid = user["id"]
        await api.earn(uid, 50, key=f"demo:{uid}:profile", reason="完善个人资料", action="profile_complete")
        await api.earn(uid, 20 * (n + 1), key=f"demo:{uid}:event", reason="报名校友活动", action="event_signup",
                           ref="demo-event")
        await api.grant(uid, 200 + 100 * n, key=f"demo:{uid}:grant", reason="校友会志愿服务奖励")
        await api.spend(uid, 30, key=f"demo:{uid}:spend", reason="积分商城兑换", ref="DEMO-ORDER")
