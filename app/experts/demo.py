"""Demo data of the expert pool (idempotent): a three-level taxonomy, a few formal experts, a pending
application, and the committee / chief approval roles given to the demo admins."""
from __future__ import annotations

from app.core import db
from app.core.audit import SYSTEM
from app.experts import experts, taxonomy

FIELDS = [  # (code, name, parent code)
    ("ENG", "工程技术", None), ("ENG-CIV", "土木工程", "ENG"), ("ENG-CIV-BRG", "桥梁工程", "ENG-CIV"),
    ("ENG-CIV-TUN", "隧道工程", "ENG-CIV"), ("ENG-EE", "电气工程", "ENG"), ("ENG-EE-PWR", "电力系统", "ENG-EE"),
    ("IT", "信息技术", None), ("IT-SW", "软件工程", "IT"), ("IT-SW-SEC", "信息安全", "IT-SW"),
    ("IT-AI", "人工智能", "IT"), ("ECO", "经济管理", None), ("ECO-FIN", "财务会计", "ECO"),
    ("ECO-FIN-AUD", "审计", "ECO-FIN"), ("NUC", "核工业", None), ("NUC-RAD", "辐射防护", "NUC"),
    ("NUC-RAD-APP", "核技术应用", "NUC-RAD"),
]
EXPERTS = [  # (name, phone, employer, title, field codes)
    ("陈舜尧", "13100000033", "北京测试材料有限公司", "副高", ["NUC-RAD-APP"]),
    ("龙显强", "13100000034", "军民融合发展中心", "高级", ["NUC-RAD", "ENG-EE-PWR"]),
    ("周一木", "13100000035", "北京中科服科技有限公司", "正高", ["IT-SW-SEC", "IT-AI"]),
    ("林桥", "13100000036", "市政设计研究院", "高级", ["ENG-CIV-BRG"]),
    ("王审", "13100000037", "华信会计师事务所", "中级", ["ECO-FIN-AUD"]),
]


async def seed_demo() -> None:
    codes = await taxonomy.by_code([c for c, _n, _p in FIELDS])
    for code, name, parent in FIELDS:
        if code not in codes:
            codes[code] = await taxonomy.save(SYSTEM, {"code": code, "name": name, "parent": codes.get(parent)})
    for name, phone, employer, title, field_codes in EXPERTS:
        if not await experts.phone_taken(phone):
            await experts.create(SYSTEM, {"name": name, "phone": phone, "employer": employer, "title": title,
                                          "fields": [codes[c] for c in field_codes]})
    # the demo HQ admin role decides both levels; the committee level also goes to the school admins
    await db.execute("UPDATE role SET permissions = (SELECT array_agg(DISTINCT p) FROM unnest(permissions"
                     " || $2::varchar[]) p) WHERE code = $1 AND NOT ($2::varchar[] <@ permissions)", "hq_admin",
                     ["exp.approve.committee", "exp.approve.chief"])
