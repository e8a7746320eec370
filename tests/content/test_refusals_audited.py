"""Bad input is refused or neutralised, and audited (ORG-05, ORG-06): a script or javascript: URL pasted into an
article is removed and the article's audit entry names what went; an SVG posing as a JPEG, as an album photo, a
post picture or a cover, is refused with a field message and a "refused" audit entry."""
import pytest

from app.content import api
from app.content.sanitizer import neutralised
from app.core.forms import Invalid

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'
EVIL = ('<section><p onclick="steal()">你好</p><script>alert(document.cookie)</script>'
        '<a href="javascript:alert(1)">点我</a><iframe src="https://evil.example"></iframe></section>')


@pytest.mark.req("ORG-05")
async def test_pasted_script_is_neutralised_and_audited(db, club, make_user):
    editor = await make_user("编辑")
    club.moderators.add(editor.id)
    assert neutralised(EVIL) == ["script", "event handler", "javascript: URL", "frame or plug-in"]
    assert neutralised("<p style='color: red'>ok</p>") == []
    article_id = await api.create_article(editor, club.owner, title="粘贴", body_html=EVIL)
    body = (await api.get_article(article_id))["body_html"]
    assert "script" not in body and "onclick" not in body and "javascript" not in body and "iframe" not in body
    assert "你好" in body and "点我" in body
    after = await db.fetchval("SELECT after FROM audit_log WHERE entity = 'cnt_article' AND entity_id = $1"
                              " AND action = 'create'", str(article_id))
    assert '"neutralised"' in after and "javascript: URL" in after
    await api.update_article(editor, article_id, body_html='<img src="x" onerror="alert(1)">')
    after = await db.fetchval("SELECT after FROM audit_log WHERE entity = 'cnt_article' AND entity_id = $1"
                              " AND action = 'update'", str(article_id))
    assert "event handler" in after


@pytest.mark.req("ORG-06")
async def test_disguised_images_are_refused_and_audited(db, club, make_user):
    member = await make_user("校友")
    club.members.add(member.id)
    album_id = await api.create_album(member, club.owner, title="聚会")
    with pytest.raises(Invalid) as refused:
        await api.add_photo(member, album_id, "photo.jpg", SVG)
    assert refused.value.field == "photo"
    with pytest.raises(Invalid):
        await api.create_post(member, club.owner, kind="story", body="看图", images=[("a.jpg", SVG)])
    with pytest.raises(Invalid) as cover:
        await api.create_article(member, club.owner, title="封面", body_html="<p>x</p>", cover=("c.jpg", SVG))
    assert cover.value.field == "cover"
    rows = await db.fetch("SELECT entity_id, summary FROM audit_log WHERE action = 'refused' AND entity = 'cnt_upload'"
                          " AND actor_id = $1 ORDER BY id", member.id)
    assert [r["entity_id"] for r in rows] == [f"cnt_album:{album_id}", "club:1", "club:1"]
    assert all("photo.jpg" in r["summary"] or ".jpg" in r["summary"] for r in rows)
