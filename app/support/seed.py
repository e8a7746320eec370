"""Demo data (idempotent): org tree, built-in roles, demo users, dictionary, menus, schedules."""
from __future__ import annotations

import os
import random

from app.core import db, dictionary, jobs, menus, modules
from app.core.permissions import REGISTRY
from app.core.security import hash_password

DEMO_ADMIN_PASSWORD = os.environ.get("DEMO_ADMIN_PASSWORD", "Tongchuang2026")
DEMO_PASSWORD = "Demo2026pass"

ORGS = [  # (code, name, kind, parent code)
    ("HQ", "同窗大学校友总会", "association", None),
    ("OFFICE", "校友工作办公室", "department", "HQ"),
    ("CS", "计算机科学与技术学院", "college", "HQ"),
    ("EM", "经济与管理学院", "college", "HQ"),
    ("FL", "外国语学院", "college", "HQ"),
    ("BJ", "北京校友会", "branch", "HQ"),
    ("SH", "上海校友会", "branch", "HQ"),
    ("SZ", "深圳校友会", "branch", "HQ"),
    ("CS-2008-1", "计算机2008级1班", "class", "CS"),
    ("EM-2010-2", "工商管理2010级2班", "class", "EM"),
]

COLLEGE_ADMIN_PERMS = ["sup.admin", "sup.org.view", "sup.org.create", "sup.org.edit", "sup.user.view",
                       "sup.user.create", "sup.user.edit", "sup.user.import", "sup.user.export", "sup.role.view",
                       "sup.todo.view", "sup.audit.view", "sup.job.view", "sup.field.clear.name",
                       "rec.person.view", "rec.person.create", "rec.person.edit", "rec.contact.edit", "rec.export",
                       "rec.import", "rec.tag.edit", "rec.dedupe", "rec.batch_update", "rec.stats.view",
                       "rec.secrecy.1", "idn.review", "idn.claim.view", "idn.stats.view", "idn.stats.export",
                       "classes.view", "classes.manage"]
ROLES = [  # (code, name, scope, permissions or None for all)
    ("hq_admin", "校友总会管理员", "all", None),
    ("college_admin", "学院管理员", "subtree", COLLEGE_ADMIN_PERMS),
    ("org_admin", "分会管理员", "subtree", ["sup.admin", "sup.org.view", "sup.user.view", "sup.user.create",
                                        "sup.user.edit", "sup.todo.view"]),
    ("class_liaison", "班级联络员", "self", ["sup.admin", "sup.todo.view", "rec.person.view", "rec.contact.edit"]),
    ("auditor", "安全审计员", "all", ["sup.admin", "sup.audit.view", "sup.audit.export", "sup.security.view",
                                   "sup.delivery.view", "sup.job.view"]),
]
USERS = [  # (username, name, org code, role code, email)
    ("hq", "王总会", "HQ", "hq_admin", "hq@tongchuang.local"),
    ("cs_admin", "李计算", "CS", "college_admin", "cs_admin@tongchuang.local"),
    ("em_admin", "赵经管", "EM", "college_admin", "em_admin@tongchuang.local"),
    ("bj_admin", "陈北京", "BJ", "org_admin", "bj_admin@tongchuang.local"),
    ("liaison", "周联络", "CS-2008-1", "class_liaison", "liaison@tongchuang.local"),
    ("auditor", "孙审计", "OFFICE", "auditor", "auditor@tongchuang.local"),
]
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏"
            "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志宇浩然子涵欣怡梓轩雨桐一诺晨曦思远嘉怡博文"


def demo_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


async def _orgs() -> dict[str, int]:
    ids: dict[str, int] = {}
    for sort, (code, name, kind, parent) in enumerate(ORGS):
        existing = await db.fetchrow("SELECT id FROM org_node WHERE code = $1", code)
        if existing:
            ids[code] = existing["id"]
            continue
        parent_row = await db.fetchrow("SELECT id, path, depth FROM org_node WHERE id = $1", ids.get(parent))
        node_id = await db.fetchval("INSERT INTO org_node (parent, name, code, kind, sort, depth) "
                                    "VALUES ($1,$2,$3,$4,$5,$6) RETURNING id", ids.get(parent), name, code, kind, sort,
                                    parent_row["depth"] + 1 if parent_row else 0)
        path = f"{parent_row['path'] if parent_row else '/'}{node_id}/"
        await db.execute("UPDATE org_node SET path = $2 WHERE id = $1", node_id, path)
        ids[code] = node_id
    return ids


async def _roles() -> dict[str, int]:
    ids = {}
    for code, name, scope, perms in ROLES:
        perms = sorted(REGISTRY) if perms is None else perms
        ids[code] = await db.fetchval(
            "INSERT INTO role (code, name, permissions, data_scope, builtin) VALUES ($1,$2,$3,$4,TRUE) "
            "ON CONFLICT (code) DO UPDATE SET permissions = CASE WHEN role.builtin AND $1 = 'hq_admin' "
            "THEN EXCLUDED.permissions ELSE role.permissions END RETURNING id", code, name, perms, scope)
    return ids


async def _users(orgs: dict[str, int], roles: dict[str, int]) -> None:
    if not await db.fetchval("SELECT 1 FROM app_user WHERE username = 'admin'"):
        await db.execute("INSERT INTO app_user (username, name, email, kind, is_superuser, password_hash, org) "
                         "VALUES ('admin', '系统管理员', 'admin@tongchuang.local', 'admin', TRUE, $1, $2)",
                         hash_password(DEMO_ADMIN_PASSWORD), orgs["HQ"])
    demo_hash = hash_password(DEMO_PASSWORD)
    for username, name, org, role, email in USERS:
        user_id = await db.fetchval(
            "INSERT INTO app_user (username, name, email, kind, password_hash, org, phone) "
            "VALUES ($1,$2,$3,'admin',$4,$5,$6) ON CONFLICT (username) DO UPDATE SET org = app_user.org RETURNING id",
            username, name, email, demo_hash, orgs[org], "139" + str(10000000 + len(username) * 7919)[:8])
        await db.execute('INSERT INTO user_role ("user", role) VALUES ($1,$2) ON CONFLICT DO NOTHING',
                         user_id, roles[role])
    if await db.fetchval("SELECT count(*) FROM app_user") < 40:
        await generate_users(40, orgs, seed=7)


async def generate_users(count: int, orgs: dict[str, int] | None = None, seed: int = 1) -> int:
    """Bulk demo users with Chinese names spread over the org tree (also used by benchmarks)."""
    orgs = orgs or {r["code"]: r["id"] for r in await db.fetch("SELECT code, id FROM org_node WHERE code IS NOT NULL")}
    rng = random.Random(seed)
    org_ids = list(orgs.values())
    start = await db.fetchval("SELECT COALESCE(max(id), 0) FROM app_user")
    demo_hash = hash_password(DEMO_PASSWORD)
    batch = 5000
    for offset in range(0, count, batch):
        n = min(batch, count - offset)
        names = [demo_name(rng) for _ in range(n)]
        usernames = [f"u{start + offset + i + 1}_{seed}" for i in range(n)]
        await db.execute(
            "INSERT INTO app_user (username, name, email, phone, org, kind, password_hash) "
            "SELECT u, nm, u || '@alumni.example.cn', '13' || lpad((random() * 999999999)::bigint::text, 9, '0'), "
            "o, 'alumni', $4 FROM unnest($1::text[], $2::text[], $3::bigint[]) AS x(u, nm, o) "
            "ON CONFLICT (username) DO NOTHING",
            usernames, names, [rng.choice(org_ids) for _ in range(n)], demo_hash)
    return count


async def seed_all(extra_users: int = 0) -> dict:
    """Baseline data. The caller activates the modules first (app.modules.load()): roles get every
    registered permission, menus and schedules come from the modules, then each module's demo data."""
    counts = await dictionary.load_builtin()
    async with db.transaction():
        orgs = await _orgs()
        roles = await _roles()
        await _users(orgs, roles)
    await menus.sync_menus()
    await jobs.sync_schedules()
    if extra_users:
        await generate_users(extra_users, orgs, seed=extra_users)
    await modules.seed_demos()
    return {"orgs": len(orgs), "roles": len(roles), "dictionary": counts,
            "users": await db.fetchval("SELECT count(*) FROM app_user"),
            "alumni": await db.fetchval("SELECT count(*) FROM rec_person")}
