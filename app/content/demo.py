"""Demo data of the content platform (idempotent): a short sensitive-word list (dictionary type sensitive_word)
and a few HQ news articles — one headline, one pinned, one with a pasted WeChat-style body — with a comment."""
from __future__ import annotations

from app.core import db, dictionary
from app.core.audit import Actor

WORDS = ["赌博", "代开发票", "刷单返利", "传销", "高利贷", "裸聊"]

ARTICLES = [  # (title, summary, body, flags)
    ("同窗大学2026年校友返校日活动通知", "欢迎各位校友回家，共叙同窗情谊。",
     '<section style="margin: 0px; padding: 10px; border-left: 4px solid rgb(0, 112, 192);'
     ' background-color: rgb(242, 247, 252);"><p style="font-size: 16px; color: rgb(51, 51, 51);'
     ' line-height: 1.75em;"><strong>时间：</strong>2026年10月18日（星期六）</p>'
     '<p style="font-size: 16px; line-height: 1.75em;"><strong>地点：</strong>同窗大学主校区</p></section>'
     '<p style="text-align: justify; line-height: 1.75em;">亲爱的校友：母校诚挚邀请您返校参加校友返校日，'
     '参观新校区、与老师同学叙旧，共同见证母校的发展。</p>', {"headline": True, "pin": True}),
    ("校友总会第三届理事会第二次会议召开", "会议审议通过了年度工作报告和新一年工作计划。",
     "<p>校友总会第三届理事会第二次会议在学校会议中心召开，来自各地校友会的理事代表参加会议。</p>"
     "<h3>会议议程</h3><ol><li>审议年度工作报告</li><li>审议财务报告</li><li>讨论新一年工作计划</li></ol>",
     {"recommend": True}),
    ("“同窗奖学金”捐赠仪式举行", "多位校友捐资设立奖学金，支持在校学生成长成才。",
     "<p>近日，“同窗奖学金”捐赠仪式在学校举行。校友代表表示，希望以此回馈母校、激励学弟学妹。</p>"
     "<blockquote>饮水思源，不忘母校培育之恩。</blockquote>", {}),
]


async def _words() -> None:
    await db.execute(
        "INSERT INTO dict_type (code, name, description, hierarchical, builtin) VALUES ('sensitive_word', '敏感词',"
        " '发布内容合规校验用的敏感词', FALSE, FALSE) ON CONFLICT (code) DO NOTHING")
    for sort, word in enumerate(WORDS, 1):
        await db.execute("INSERT INTO dict_item (type_code, code, name, sort) VALUES ('sensitive_word', $1, $2, $3)"
                         " ON CONFLICT (type_code, code) DO NOTHING", f"W{sort:03d}", word, sort)
    dictionary.invalidate()


async def _articles() -> None:
    from app.content import articles, comments

    admin = await db.fetchrow("SELECT id, username FROM app_user WHERE username = 'admin'")
    if admin is None:
        return
    editor = Actor(admin["id"], admin["username"], is_superuser=True)
    for title, summary, body, flags in ARTICLES:
        if await db.fetchval("SELECT 1 FROM cnt_article WHERE owner_kind = 'hq' AND title = $1", title):
            continue
        article_id = await articles.create_article(editor, ("hq", 0), title=title, summary=summary, body_html=body,
                                                   status="published")
        if flags:
            await articles.set_flags(editor, article_id, **flags)
        if flags.get("headline"):
            await comments.add_comment(editor, "article", article_id, "期待返校，见见老同学！")


async def seed_demo() -> None:
    await _words()
    await _articles()
