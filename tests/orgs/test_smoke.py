"""The demo associations and every page of the module answer (a first look)."""
import pytest

from tests.orgs.factories import org_id


@pytest.mark.req("ORG-01")
async def test_demo_pages_render(as_user, db):
    client = await as_user("admin")
    bj = await org_id(db, "bj")
    for url in ("/admin/associations", "/admin/associations/new", "/admin/associations/applications",
                f"/admin/associations/{bj}", f"/admin/associations/{bj}/members", f"/admin/associations/{bj}/requests",
                f"/admin/associations/{bj}/council", f"/admin/associations/{bj}/meetings",
                f"/admin/associations/{bj}/news", f"/admin/associations/{bj}/news/new",
                f"/admin/associations/{bj}/albums", f"/admin/associations/{bj}/guestbook",
                f"/admin/associations/{bj}/admins", "/o/bj", "/o/bj/news", "/o/bj/guestbook",
                "/h5/orgs", "/h5/orgs/apply", f"/h5/orgs/admin/{bj}", "/h5/orgs/admin"):
        response = await client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.text[:3000])
