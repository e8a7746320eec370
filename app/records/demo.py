"""Realistic demo alumni (Chinese names, colleges, majors, classes, regions, industries) in bulk:
used by `seed` (a few hundred) and by the benchmarks (a million). Rows go in with set-based INSERTs
of 5,000 at a time, bypassing the per-row service path (no change log for generated data)."""
from __future__ import annotations

import random
from datetime import date, timedelta

from app.core import db
from app.records.api import search_terms
from app.support.seed import demo_name

MAJORS = {
    "CS": ["计算机科学与技术", "软件工程", "网络工程", "人工智能", "数据科学与大数据技术"],
    "EM": ["工商管理", "会计学", "金融学", "国际经济与贸易", "市场营销"],
    "FL": ["英语", "日语", "法语", "翻译", "商务英语"],
}
EMPLOYERS = ["华为技术有限公司", "腾讯科技（深圳）有限公司", "阿里巴巴集团", "中国工商银行", "国家电网有限公司",
             "中国移动通信集团", "字节跳动", "比亚迪股份有限公司", "中国建设银行", "京东集团", "招商银行",
             "中国石油天然气集团", "上海汽车集团", "北京大学第一医院", "深圳市南山区人民政府", "中国中铁"]
TITLES = ["工程师", "高级工程师", "产品经理", "财务总监", "总经理", "教师", "研究员", "主任", "部门经理", "分析师"]
DEGREES = ["bk", "ss", "bs"]  # bachelor / master / doctor in the degree_level dictionary
CITY_CODES = ["110100", "310100", "440100", "440300", "330100", "320100", "420100", "510100", "610100", "120100"]
INDUSTRIES = ["I", "J", "C", "M", "P", "Q", "L", "F"]
BATCH = 5000


async def _colleges() -> dict[str, int]:
    rows = await db.fetch("SELECT code, id FROM org_node WHERE code = ANY($1::text[])", list(MAJORS))
    return {r["code"]: r["id"] for r in rows}


async def _class_nodes() -> dict[tuple[int, int], int]:
    """(college id, entry year) → class node, for the demo class nodes that exist (e.g. CS-2008-1)."""
    rows = await db.fetch("SELECT n.id, n.code, n.parent FROM org_node n"
                          " WHERE n.kind = 'class' AND n.code LIKE '%-%-%'")
    found = {}
    for r in rows:
        parts = r["code"].split("-")
        if len(parts) >= 3 and parts[1].isdigit():
            found[(r["parent"], int(parts[1]))] = r["id"]
    return found


async def generate(count: int, seed: int = 1, progress=None) -> int:
    """Insert `count` persons with one or two education records each; returns how many were added."""
    rng = random.Random(seed)
    colleges = await _colleges()
    if not colleges:
        return 0
    classes = await _class_nodes()
    codes = list(colleges)
    today = date.today()
    done = 0
    while done < count:
        n = min(BATCH, count - done)
        people, educations = [], []
        for _ in range(n):
            code = rng.choice(codes)
            college = colleges[code]
            entry = rng.randint(1985, today.year - 1)
            kind = "student" if entry >= today.year - 4 else ("staff" if rng.random() < 0.03 else "alumni")
            class_node = classes.get((college, entry)) if rng.random() < 0.5 else None
            name = demo_name(rng)
            birthday = date(entry - 18, 1, 1) + timedelta(days=rng.randint(0, 364))
            people.append((kind, name, search_terms(name), rng.choice(("1", "2")), birthday,
                           f"1{rng.choice('3578')}{rng.randint(0, 999999999):09d}", rng.choice(CITY_CODES),
                           rng.choice(INDUSTRIES), rng.choice(EMPLOYERS), rng.choice(TITLES), class_node or college,
                           rng.random() < 0.02, 0 if rng.random() < 0.97 else rng.randint(1, 3)))
            major = rng.choice(MAJORS[code])
            educations.append([(DEGREES[0], college, major, class_node, f"{major}{entry}级{rng.randint(1, 4)}班", entry,
                                entry + 4)])
            if rng.random() < 0.2:  # some went on to a master's
                m_entry = entry + 4
                educations[-1].append((DEGREES[1], college, major, None, "", m_entry, m_entry + 3))
        cols = list(zip(*people, strict=True))
        ids = await db.fetch(
            "INSERT INTO rec_person (kind, name, name_terms, gender, birthday, phone, region, industry, employer,"
            " job_title, org, is_key, secrecy, email)"
            " SELECT k, nm, string_to_array(t, '|')::varchar[], g, b, ph, r, i, e, j, o, key, s, NULL"
            " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::date[], $6::text[], $7::text[],"
            " $8::text[], $9::text[], $10::text[], $11::bigint[], $12::bool[], $13::int[])"
            " AS x(k, nm, t, g, b, ph, r, i, e, j, o, key, s) RETURNING id",
            list(cols[0]), list(cols[1]), ["|".join(t) for t in cols[2]], list(cols[3]), list(cols[4]),
            list(cols[5]), list(cols[6]), list(cols[7]), list(cols[8]), list(cols[9]), list(cols[10]),
            list(cols[11]), list(cols[12]))
        flat = [(row["id"], *e) for row, person_eds in zip(ids, educations, strict=True) for e in person_eds]
        ecols = list(zip(*flat, strict=True))
        await db.execute(
            "INSERT INTO rec_education (person, degree, college, major, class_node, class_name, entry_year, grad_year)"
            " SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::text[],"
            " $7::int[], $8::int[])", *[list(c) for c in ecols])
        done += n
        if progress:
            await progress(done, count)
    return done


async def seed_demo(target: int = 300) -> int:
    """Enough alumni for the demo to feel real; idempotent (tops up to `target`)."""
    have = await db.fetchval("SELECT count(*) FROM rec_person")
    return await generate(target - have, seed=42) if have < target else 0
