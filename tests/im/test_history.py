"""History search, minutes export and the keyword filter (IM-10, IM-11): search sees only the user's own
conversations (a stranger's message with the same word is absent), never recalled messages, escapes and
highlights; a group's minutes as PDF and Word hold the period's messages only, for the group's owner/admins and
`im.history.export` holders (a member 403, a stranger 404), capped and audited; the blocked-words setting."""
import io
import os
import time
from datetime import datetime, timedelta

import pytest
from docx import Document
from pypdf import PdfReader

from app.core import audit
from app.core.forms import Invalid
from app.im import conversations, history, keywords, messages, minutes
from tests.helpers import csrf_from
from tests.im.helpers import actor_of


async def _direct(me: str, other: str) -> int:
    return await conversations.direct(await actor_of(me), (await actor_of(other)).id)


@pytest.mark.req("IM-10")
async def test_search_finds_own_conversations_only_without_recalled_and_escaped(as_user, db):
    alumnus = await actor_of("alumnus")
    mine = await _direct("alumnus", "hq")
    stranger = await _direct("cs_admin", "liaison")
    hit = await messages.send(alumnus, mine, "返校日程 <b>周六</b> 9:00")
    await messages.send(alumnus, mine, "别的话题")
    recalled = await messages.send(alumnus, mine, "返校取消了")
    await messages.recall(alumnus, recalled)
    theirs = await messages.send(await actor_of("cs_admin"), stranger, "返校日程（他们的）")

    client = await as_user("alumnus")
    page = await client.get("/h5/im/search", params={"q": "返校"})
    assert page.status_code == 200
    assert f'id="hit-{hit}"' in page.text and f'id="hit-{theirs}"' not in page.text
    assert "他们的" not in page.text and "取消" not in page.text  # a stranger's chat, a recalled message
    assert "<mark>返校</mark>日程 &lt;b&gt;周六&lt;/b&gt;" in page.text and "<b>周六" not in page.text
    assert f'href="/h5/im/c/{mine}?before={hit + 1}#m-{hit}"' in page.text
    assert "别的话题" not in page.text

    inside = await client.get(f"/h5/im/c/{mine}/search", params={"q": "日程"})
    assert inside.status_code == 200 and f'id="hit-{hit}"' in inside.text
    assert (await client.get(f"/h5/im/c/{stranger}/search", params={"q": "返校"})).status_code == 404
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'refused' AND entity = 'im_conversation'"
                             " AND entity_id = $1", str(stranger)) == 1
    too_long = await client.get("/h5/im/search", params={"q": "长" * (history.MAX_QUERY + 1)})
    assert too_long.status_code == 422 and "at most" in too_long.text
    # LIKE's own wildcards are searched for literally
    assert (await history.search(alumnus, "%"))[0] == [] and (await history.search(alumnus, "_"))[0] == []
    # case does not matter for letters
    await messages.send(alumnus, mine, "Meeting NOTES here")
    found, _ = await history.search(alumnus, "notes")
    assert [h["body"] for h in found] == ["Meeting NOTES here"]


@pytest.mark.req("IM-10")
async def test_search_pages_newest_first_by_keyset(as_user, db):
    alumnus = await actor_of("alumnus")
    chat = await _direct("alumnus", "hq")
    ids = [await messages.send(alumnus, chat, f"会议 {i}") for i in range(history.PAGE + 5)]
    first, more = await history.search(alumnus, "会议")
    assert [h["id"] for h in first] == ids[::-1][:history.PAGE] and more == first[-1]["id"]
    rest, last = await history.search(alumnus, "会议", before=more)
    assert [h["id"] for h in rest] == ids[:5][::-1] and last is None
    client = await as_user("alumnus")
    page = await client.get("/h5/im/search", params={"q": "会议"})
    assert f"before={more}" in page.text and 'id="im-search-more"' in page.text
    older = await client.get(f"/h5/im/search?q=%E4%BC%9A%E8%AE%AE&before={more}")
    assert f'id="hit-{ids[0]}"' in older.text and f'id="hit-{ids[-1]}"' not in older.text


async def _group_with_history(db) -> tuple[int, dict]:
    owner = await actor_of("alumnus")
    members = [(await actor_of(u)).id for u in ("hq", "liaison")]
    group = await conversations.create_group(owner, "返校筹备组", members)
    hq = await actor_of("hq")
    old = await messages.send(owner, group, "上个月的旧消息")
    await db.execute("UPDATE im_message SET created_at = now() - interval '40 days' WHERE id = $1", old)
    await messages.send(owner, group, "欢迎大家参加返校筹备会")
    await messages.send(hq, group, "场地定在图书馆报告厅")
    await messages.send_attachment(hq, group, "file", {"key": "im/test/agenda", "name": "议程.pdf", "size": 10,
                                                       "type": "application/pdf"})
    gone = await messages.send(hq, group, "这条发错了")
    await messages.recall(hq, gone)
    today = datetime.now().astimezone().date()
    return group, {"from": (today - timedelta(days=7)).isoformat(), "to": today.isoformat()}


@pytest.mark.req("IM-10")
async def test_minutes_export_pdf_and_docx_for_owners_only_range_respected_audited(as_user, db):
    group, period = await _group_with_history(db)
    client = await as_user("alumnus")  # the owner
    form = await client.get(f"/h5/im/c/{group}/export")
    assert form.status_code == 200 and 'name="from"' in form.text
    got = await client.get(f"/h5/im/c/{group}/export", params={**period, "fmt": "pdf"})
    assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("attachment")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(got.content)).pages)
    squeezed = "".join(text.split())
    for wanted in ("返校筹备组", "欢迎大家参加返校筹备会", "场地定在图书馆报告厅", "议程.pdf", "王总会"):
        assert wanted in squeezed, wanted
    assert "上个月的旧消息" not in squeezed and "这条发错了" not in squeezed
    row = await db.fetchrow("SELECT actor_name, after FROM audit_log WHERE action = 'export'"
                            " AND entity = 'im_conversation' ORDER BY id DESC LIMIT 1")
    assert row["actor_name"] == "alumnus"
    assert '"count": 3' in row["after"] and '"format": "pdf"' in row["after"] and "返校筹备组" in row["after"]

    word = await client.get(f"/h5/im/c/{group}/export", params={**period, "fmt": "docx"})
    assert word.status_code == 200 and word.headers["content-type"] == minutes.DOCX_TYPE
    document = Document(io.BytesIO(word.content))
    cells = [[c.text for c in r.cells] for r in document.tables[0].rows]
    owner = await db.fetchval("SELECT coalesce(nullif(name, ''), username) FROM app_user WHERE username = 'alumnus'")
    assert [r[1:] for r in cells[1:]] == [[owner, "欢迎大家参加返校筹备会"],
                                         ["王总会", "场地定在图书馆报告厅"], ["王总会", "[File] 议程.pdf"]]
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    assert "返校筹备组" in paragraphs and "上个月的旧消息" not in paragraphs
    # a range before the messages: none of them
    early = await minutes.collect({"id": group, "title": "x"}, *minutes.parse_range("2020-01-01", "2020-01-31"))
    assert early["count"] == 0

    member = await as_user("liaison")  # in the group, not an admin
    assert (await member.get(f"/h5/im/c/{group}/export", params={**period, "fmt": "pdf"})).status_code == 403
    stranger = await as_user("cs_admin")
    assert (await stranger.get(f"/h5/im/c/{group}/export", params={**period, "fmt": "pdf"})).status_code == 404
    assert (await stranger.get("/admin/im/history")).status_code == 403
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'export'") == 2

    staff = await as_user("hq")  # holds im.history.export
    page = await staff.get("/admin/im/history", params={"q": "筹备"})
    assert page.status_code == 200 and f'value="{group}"' in page.text
    done = await staff.get("/admin/im/history/export", params={"group": group, **period, "fmt": "docx"})
    assert done.status_code == 200 and done.headers["content-type"] == minutes.DOCX_TYPE
    bad = await staff.get("/admin/im/history/export", params={"group": group, "from": period["to"],
                                                               "to": period["from"], "fmt": "pdf"})
    assert bad.status_code == 422 and "must come after" in bad.text
    direct = await _direct("alumnus", "hq")
    assert (await staff.get("/admin/im/history/export", params={"group": direct, **period})).status_code == 404


@pytest.mark.req("IM-10")
async def test_minutes_export_is_capped(as_user, db, monkeypatch):
    group, period = await _group_with_history(db)
    monkeypatch.setattr(minutes, "MAX_MESSAGES", 2)
    client = await as_user("alumnus")
    got = await client.get(f"/h5/im/c/{group}/export", params={**period, "fmt": "pdf"})
    assert got.status_code == 422 and "more than 2 messages" in got.text
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'export'") == 0


@pytest.mark.req("IM-11")
async def test_blocked_words_setting_and_check(as_user, db):
    assert await keywords.check("任何内容") is None
    admin = await as_user("admin")
    page = await admin.get("/admin/im/history/keywords")
    assert page.status_code == 200
    saved = await admin.post("/admin/im/history/keywords", data={"_csrf_token": csrf_from(page.text),
                                                                 "words": "赌博\r\n\r\n  Casino \n赌博\n代开发票"})
    assert saved.status_code == 303
    assert keywords.parse(await keywords.words_text()) == ["赌博", "Casino", "代开发票"]
    assert await keywords.check("周末一起去赌博吗") == "赌博"
    assert await keywords.check("ＣＡＳＩＮＯ night") == "Casino"  # full-width and case
    assert await keywords.check("正常的返校通知") is None
    row = await db.fetchrow("SELECT actor_name, after FROM audit_log WHERE entity = 'site_setting'"
                            " AND entity_id = 'im.blocked_words'")
    assert row["actor_name"] == "admin" and "代开发票" in row["after"]
    again = await admin.get("/admin/im/history/keywords")
    assert "代开发票" in again.text

    too_long = await admin.post("/admin/im/history/keywords", data={"_csrf_token": csrf_from(again.text),
                                                                    "words": "长" * 60})
    assert too_long.status_code == 422 and await keywords.check("周末一起去赌博吗") == "赌博"

    sender = await actor_of("alumnus")
    chat = await _direct("alumnus", "hq")
    with pytest.raises(Invalid) as refused:
        await keywords.refuse_if_blocked(sender, chat, "有人代开发票")
    assert "代开发票" in refused.value.message
    entry = await db.fetchrow("SELECT ip, after FROM audit_log WHERE action = 'refused' AND summary = 'blocked word'")
    assert entry["ip"] == "127.0.0.1" and "代开发票" in entry["after"]
    await keywords.refuse_if_blocked(sender, chat, "正常消息")  # passes

    other = await as_user("cs_admin")
    assert (await other.get("/admin/im/history/keywords")).status_code == 403
    await keywords.save(audit.SYSTEM, "")
    assert await keywords.check("赌博") is None


@pytest.mark.skipif(not os.environ.get("IM_SEARCH_BENCH"), reason="a measurement: IM_SEARCH_BENCH=1 to run")
async def test_search_speed_with_100k_messages(db):
    """Not a check: prints how long a search takes over 100,000 messages (the README's figure)."""
    alumnus = await actor_of("alumnus")
    users = [r["id"] for r in await db.fetch("SELECT id FROM app_user ORDER BY id LIMIT 40")]
    chats = [await conversations.create_group(alumnus, f"群{i}", users) for i in range(20)]
    others = [await conversations.create_group(await actor_of("hq"), f"别人的群{i}", []) for i in range(20)]
    await db.execute(
        "INSERT INTO im_message (conversation, sender, body) SELECT c, $2,"
        " md5(g::text) || ' 校友活动通知 ' || (CASE WHEN g % 500 = 0 THEN '年会彩排' ELSE '日常' END)"
        " FROM generate_series(1, 100000) g, LATERAL (SELECT ($1::bigint[])[1 + g % 40] AS c) x",
        chats + others, alumnus.id)
    await db.execute("VACUUM ANALYZE im_message")
    for label in ("with im_message_search", "without it"):
        for q in ("年会彩排", "不存在的词", "ABC"):
            start = time.perf_counter()
            for _ in range(5):
                found, _more = await history.search(alumnus, q)
            print(f"\n{label} {q}: {(time.perf_counter() - start) / 5 * 1000:.1f} ms, {len(found)} hits")
        plan = await db.fetch("EXPLAIN (ANALYZE, BUFFERS) " + history.SEARCH_SQL.format(op="LIKE"), alumnus.id,
                              None, "%不存在的词%", None, 21)
        print("\n".join(r["QUERY PLAN"] for r in plan))
        await db.execute("DROP INDEX IF EXISTS im_message_search")
        await db.execute("VACUUM ANALYZE im_message")
