"""The class space's phone pages work as plain links and forms and carry the WeChat share card (CLS-01/03):
finding a class, the class page as a member and as an outsider, the forms re-shown with what was typed."""
from __future__ import annotations

import pytest

from tests.classes.factories import liaison_class, make_member, make_user, org_id
from tests.helpers import csrf_from, login


@pytest.mark.req("CLS-03")
async def test_find_a_class_and_its_share_card(client, db):
    await make_user("pg_find")
    await login(client, "pg_find", "Demo2026pass")
    found = await client.get("/h5/classes/find", params={"q": "计算机2008级1班", "college": str(await org_id("CS")),
                                                         "entry_year": "2008"})
    assert found.status_code == 200 and f'href="/h5/classes/{await liaison_class()}"' in found.text
    page = await client.get(f"/h5/classes/{await liaison_class()}")
    assert page.status_code == 200
    assert '<meta property="og:title" content="计算机2008级1班">' in page.text
    assert "计算机科学与技术学院" in page.text and "Ask to join" in page.text
    assert "Class stories" not in page.text  # the inside is for members
    assert (await client.get("/h5/classes/999999")).status_code == 404


@pytest.mark.req("CLS-03")
async def test_a_member_sees_the_sections_and_forms_keep_what_was_typed(client, db):
    class_id = await liaison_class()
    member = await make_user("pg_member", "成同学")
    await make_member(class_id, member)
    await login(client, "pg_member", "Demo2026pass")
    page = await client.get(f"/h5/classes/{class_id}")
    assert "Class stories" in page.text and "开学第一天" in page.text  # the demo stories
    assert f"/h5/classes/{class_id}/leave" in page.text and "No class events yet." in page.text
    form = await client.get(f"/h5/classes/{class_id}/stories/new")
    empty = await client.post(f"/h5/classes/{class_id}/stories", data={"_csrf_token": csrf_from(form.text),
                                                                        "title": "没写正文", "body": ""})
    assert empty.status_code == 422 and 'value="没写正文"' in empty.text
    bad_date = await client.post(f"/h5/classes/{class_id}/stories", data={
        "_csrf_token": csrf_from(form.text), "title": "日期", "body": "正文", "happened_on": "2009-13-40"})
    assert bad_date.status_code == 422 and "Enter a date as YYYY-MM-DD." in bad_date.text
    home = await client.get("/h5/classes")
    assert "计算机2008级1班" in home.text and "Complete your profile to see your classmates' contacts." in home.text
    me = await client.get("/h5")
    assert 'href="/h5/classes"' in me.text
