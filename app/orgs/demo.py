"""Demo data of the orgs module (idempotent): the seeded branch and college nodes become associations (北京校友会 at
/o/bj, joined by approval, with bj_admin as its appointed admin), a badminton club under it, a few alumni members,
a council with its current term, one council meeting, a news article with a rich body, an album with a generated
photo and guestbook messages (one featured, one answered)."""
from __future__ import annotations

import io
from datetime import date

from app.core import db
from app.core.audit import SYSTEM, Actor

ORGS = [  # (slug, name, kind, node code, parent slug, join rule, requirement, region, summary)
    ("bj", "北京校友会", "local", "BJ", None, "approval", "any", "北京",
     "在京校友之家：联络校友、服务校友、回馈母校。"),
    ("sh", "上海校友会", "local", "SH", None, "open", "any", "上海", "上海地区校友的交流平台。"),
    ("sz", "深圳校友会", "local", "SZ", None, "approval", "verified", "深圳", "深圳及大湾区校友的组织。"),
    ("cs", "计算机学院校友分会", "college", "CS", None, "approval", "verified", "",
     "计算机科学与技术学院校友的院系分会。"),
    ("em", "经管学院校友分会", "college", "EM", None, "approval", "any", "", "经济与管理学院校友分会。"),
    ("fl", "外国语学院校友分会", "college", "FL", None, "closed", "any", "", "外国语学院校友分会（暂停接收新成员）。"),
    ("bj-badminton", "北京校友羽毛球协会", "interest", "BJ", "bj", "open", "any", "北京",
     "每周六上午在海淀打球，欢迎各届校友。"),
]
DESCRIPTION = ("<section style=\"padding: 8px 12px; border-left: 4px solid #0b5cad; background-color: #f3f7fc;\">"
               "<p><strong>北京校友会</strong>成立于2012年，是同窗大学在北京地区校友的联谊组织。</p></section>"
               "<p>我们定期举办校友返校、行业沙龙、新生送行会等活动，欢迎在京校友加入。</p>")
ARTICLE = ("<section style=\"text-align: center;\"><h2 style=\"color: #0b5cad;\">2026年北京校友迎新会圆满举行</h2>"
           "</section><p style=\"line-height: 1.8; text-indent: 2em;\">12月6日，北京校友会在中关村举行年度迎新会，"
           "两百余名校友参加。会长致辞后，新老校友分行业交流。</p>"
           "<blockquote style=\"color: #6b7785;\">“无论走多远，母校永远是我们的家。”</blockquote>"
           "<ul><li>行业沙龙：互联网、金融、教育</li><li>校友企业招聘信息发布</li></ul>")
MINUTES = ("<p><strong>会议议程</strong></p><ol><li>审议年度工作报告</li><li>讨论2027年活动计划</li></ol>"
           "<p>会议决定：2027年春季举办校友返校日。</p>")


async def _users(limit: int) -> list[dict]:
    return await db.fetch("SELECT id, username, name FROM app_user WHERE kind = 'alumni' AND is_active"
                          " ORDER BY id LIMIT $1", limit)


def _photo_bytes() -> bytes:
    """A generated JPEG (a blue gradient with a white band), standing in for a real photo."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (960, 640), (11, 92, 173))
    draw = ImageDraw.Draw(image)
    for y in range(640):
        draw.line([(0, y), (960, y)], fill=(11, 92 + y // 8, 173))
    draw.rectangle([(0, 420), (960, 500)], fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


async def seed_demo() -> None:
    from app.orgs import orgs

    if await db.fetchval("SELECT 1 FROM orgs_org WHERE slug = 'bj'"):
        return
    nodes = {r["code"]: r["id"] for r in await db.fetch("SELECT code, id FROM org_node WHERE code IS NOT NULL")}
    if "BJ" not in nodes:
        return
    ids: dict[str, int] = {}
    for slug, name, kind, node, parent, rule, requirement, region, summary in ORGS:
        ids[slug] = await orgs.create(SYSTEM, {
            "name": name, "slug": slug, "kind": kind, "node": nodes.get(node), "parent": ids.get(parent),
            "join_rule": rule, "join_requirement": requirement, "region": region, "summary": summary,
            "description": DESCRIPTION if slug == "bj" else f"<p>{summary}</p>", "status": "active",
            "contact_name": "陈北京" if slug == "bj" else "", "phone": "010-62780000" if slug == "bj" else "",
            "email": f"{slug}@alumni.tongchuang.local", "address": "北京市海淀区中关村大街1号" if slug == "bj" else "",
            "founded": date(2012, 5, 20) if slug == "bj" else None, "event_approval": True})
    await _beijing(ids["bj"])


async def _beijing(org_id: int) -> None:
    from app.orgs import admins, council, meetings, members, orgs

    org = await orgs.get(org_id)
    alumni = await _users(5)
    for person in alumni:
        await members.activate(SYSTEM, org, person["id"], "admin", {"company": "同窗科技", "city": "北京"})
    bj_admin = await db.fetchval("SELECT id FROM app_user WHERE username = 'bj_admin'")
    if bj_admin:
        await members.activate(SYSTEM, org, bj_admin, "admin", {"company": "北京校友会秘书处", "city": "北京"})
        await admins.appoint(SYSTEM, org_id, bj_admin)
    await council.ensure_default_positions(SYSTEM, org_id)
    positions = {p["name"]: p["id"] for p in await council.positions(org_id)}
    term = await council.save_term(SYSTEM, org_id, number=1, name="第一届理事会", starts_on=date(2024, 1, 1),
                                   ends_on=date(2027, 12, 31), current=True)
    seats = [("会长", alumni[0]["id"] if alumni else None, "" if alumni else "王会长"),
             ("秘书长", bj_admin, "" if bj_admin else "陈秘书长")]
    seats += [("理事", p["id"], "") for p in alumni[1:3]]
    for position, user_id, name in seats:
        await council.add_seat(SYSTEM, org_id, term, positions[position], user_id, name)
    await meetings.save(SYSTEM, org_id, title="第一届理事会第三次会议", held_on=date(2026, 11, 28),
                        place="北京校友之家会议室", term_id=term, minutes=MINUTES,
                        attendees=[p["id"] for p in alumni[:3]] + ([bj_admin] if bj_admin else []))
    await _content(org_id, alumni, bj_admin)


async def _content(org_id: int, alumni: list[dict], bj_admin: int | None) -> None:
    from app.content import api as content
    from app.orgs.content_link import GUESTBOOK, owner

    own = owner(org_id)
    article_id = await content.create_article(SYSTEM, own, title="2026年北京校友迎新会圆满举行", body_html=ARTICLE,
                                              summary="两百余名在京校友欢聚中关村。", status="published")
    await content.set_flags(SYSTEM, article_id, headline=True, pin=True)
    album_id = await content.create_album(SYSTEM, own, "2026迎新会", "迎新会现场照片")
    await content.add_photo(SYSTEM, album_id, "welcome.jpg", _photo_bytes(), "迎新会合影")
    texts = ["祝北京校友会越办越好！", "请问下次活动什么时候？想带家人一起参加。", "感谢秘书处的辛勤付出。"]
    for n, person in enumerate(alumni[:3]):
        who = Actor(person["id"], person["username"])
        post_id = await content.create_post(who, own, kind=GUESTBOOK, body=texts[n])
        if (await content.get_post(post_id, SYSTEM))["status"] == "pending":
            await content.approve(SYSTEM, "post", post_id)
        if n == 0:
            await content.feature(SYSTEM, post_id, True)
        if n == 1 and bj_admin:
            from app.core.imports import actor_for  # bj_admin with the rights the appointment gave

            await content.create_post(await actor_for(bj_admin, ""), own, kind=GUESTBOOK,
                                      body="下次活动在明年三月，届时会在这里通知。", parent_id=post_id)
