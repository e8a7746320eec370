"""Demo data of the classes module (idempotent; runs after the records and identity demos):
- the college admin role gets the class permissions (classes.view, classes.manage), so cs_admin and em_admin
  manage their colleges' classes;
- the generation over the demo records (every records class becomes a class space, the verified demo alumni
  join theirs);
- the seeded `liaison` user (周联络) is the liaison of 计算机2008级1班 (org node CS-2008-1);
- three class stories and a post in that class, written by the liaison (so published at once);
- the points rule "class_cohesion_top" (20 points a month for the members of the top 3 classes);
- the cohesion scores computed once."""
from __future__ import annotations

import contextlib
from datetime import date

from app.core import db
from app.core.audit import SYSTEM, Actor

CLASS_CODE = "CS-2008-1"
LIAISON = "liaison"
COLLEGE_ADMIN_PERMS = ["classes.view", "classes.manage"]
STORIES = [
    ("开学第一天", date(2008, 9, 1), "2008年9月1日，我们从五湖四海来到同窗大学，在计算机楼门口拍下了第一张全班合影。"),
    ("第一次程序设计大赛", date(2010, 5, 16), "大二那年我们班三支队伍参加校程序设计大赛，拿回了一等奖和两个三等奖。"),
    ("毕业十周年聚会", date(2022, 10, 2), "毕业十年，38位同学回到母校，在老教室里又上了一堂《数据结构》。"),
]
POST = "各位同学好！班级空间开通了，欢迎大家完善个人资料、上传老照片。"


async def _grant_college_admins() -> None:
    await db.execute("UPDATE role SET permissions = ARRAY(SELECT DISTINCT unnest(permissions || $1::varchar[])"
                     " ORDER BY 1) WHERE code = 'college_admin' AND NOT permissions @> $1::varchar[]",
                     COLLEGE_ADMIN_PERMS)


async def _liaison_class() -> tuple[int, Actor] | None:
    from app.classes import classes, liaisons
    from app.core.forms import Invalid

    node = await db.fetchval("SELECT id FROM org_node WHERE code = $1", CLASS_CODE)
    user = await db.fetchrow("SELECT id, username FROM app_user WHERE username = $1", LIAISON)
    class_id = (await db.fetchval("SELECT id FROM classes_class WHERE key = $1", classes.node_key(node))
                if node else None)
    if class_id is None or user is None:
        return None
    with contextlib.suppress(Invalid):  # already the liaison
        await liaisons.appoint(SYSTEM, class_id, LIAISON)
    return class_id, Actor(user["id"], user["username"])


async def _stories(class_id: int, author: Actor) -> None:
    from app.classes import space
    from app.content import api as content

    owner = space.owner(class_id)
    if await content.count_posts(owner, "story") == 0:
        for title, day, body in STORIES:
            await content.create_post(author, owner, kind="story", title=title, body=body, happened_on=day)
    if await content.count_posts(owner, "post") == 0:
        await content.create_post(author, owner, kind="post", body=POST)


async def seed_demo() -> None:
    from app.classes import cohesion, generation

    await _grant_college_admins()
    await cohesion.ensure_award_rule()
    await generation.run(SYSTEM)
    found = await _liaison_class()
    if found:
        await _stories(*found)
    await cohesion.compute()
