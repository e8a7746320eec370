"""The micro-site (ORG-08): generated for every active org at /o/<address>, public without login and without
JavaScript, with WeChat share metadata; the member directory only for members, masked; a disabled org has none."""
import re

import pytest

from tests.helpers import login
from tests.orgs.factories import PASSWORD, add_member, make_user, org_id


@pytest.mark.req("ORG-08")
async def test_public_site_has_every_section_and_share_metadata(client, db):
    site = await client.get("/o/bj")  # anonymous, as a WeChat share opens it
    assert site.status_code == 200 and 'class="h5' in site.text
    for section in ('id="intro"', 'id="contacts"', 'id="council"', 'id="news"', 'id="events"', 'id="albums"',
                    'id="guestbook"'):
        assert section in site.text, section
    assert '<meta property="og:title" content="北京校友会">' in site.text
    assert re.search(r'<meta name="description" content="在京校友之家', site.text)
    assert "010-62780000" in site.text and "北京市海淀区中关村大街1号" in site.text
    assert "2026年北京校友迎新会圆满举行" in site.text and "2026迎新会" in site.text
    assert "祝北京校友会越办越好" in site.text and "下次活动在明年三月" in site.text  # featured message and reply
    assert "No events yet." in site.text  # the operations module fills this section
    assert "<script" not in site.text.split("<main", 1)[1]  # nothing on the page needs JavaScript
    assert 'href="/o/bj/join"' in site.text and "members only" in site.text
    assert "陈北京" in site.text  # the council is public; the directory is not
    assert "13910" not in site.text


@pytest.mark.req("ORG-08")
async def test_directory_only_for_members_and_masked(client, db):
    anonymous = await client.get("/o/bj/members")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login?next=/o/bj/members")
    username, uid = await make_user("路人甲")
    await login(client, username, PASSWORD)
    outsider = await client.get("/o/bj/members")
    assert outsider.status_code == 403 and "shown to its members only" in outsider.text
    bj = await org_id(db, "bj")
    await add_member(bj, uid)
    page = await client.get("/o/bj/members")
    assert page.status_code == 200
    other = await db.fetchrow("SELECT u.name, u.phone, u.email FROM orgs_member m JOIN app_user u ON u.id = m.\"user\""
                              " WHERE m.org = $1 AND u.username = 'bj_admin'", bj)
    assert other["name"] not in page.text and other["phone"] not in page.text and other["email"] not in page.text
    assert other["phone"][:3] + "****" + other["phone"][-4:] in page.text
    assert "路人甲" in page.text  # the member's own entry is clear
    search = await client.get("/o/bj/members?q=北京校友会秘书处")
    assert search.text.count("<li>") == 1


@pytest.mark.req("ORG-08")
async def test_disabled_org_has_no_site(as_user, client, db):
    from app.core.audit import SYSTEM
    from app.orgs import orgs

    await orgs.update(SYSTEM, await org_id(db, "sz"), {"status": "disabled"})
    assert (await client.get("/o/sz")).status_code == 404
    assert (await client.get("/o/no-such-org")).status_code == 404
    assert "深圳校友会" not in (await (await as_user("admin")).get("/h5/orgs")).text


@pytest.mark.req("ORG-08")
async def test_anonymous_front_page_is_cached_briefly_members_see_it_live(client, db, monkeypatch):
    from app.content import api as content
    from app.core import cache
    from app.core.audit import SYSTEM
    from app.orgs import orgs

    monkeypatch.setenv("TC_CACHE_TTL", "1")
    cache.clear()
    bj = await org_id(db, "bj")
    assert "缓存测试新闻" not in (await client.get("/o/bj")).text
    await content.create_article(SYSTEM, ("org", bj), title="缓存测试新闻", body_html="<p>x</p>", status="published")
    assert "缓存测试新闻" not in (await client.get("/o/bj")).text  # anonymous: the cached front page (≤ 10 s)
    username, uid = await make_user("在线校友")
    await add_member(bj, uid)
    await login(client, username, PASSWORD)
    assert "缓存测试新闻" in (await client.get("/o/bj")).text  # logged in: live
    client.cookies.clear()
    await orgs.update(SYSTEM, bj, {"status": "disabled"})  # an org's own change drops its cached page
    assert (await client.get("/o/bj")).status_code == 404
    cache.clear()
