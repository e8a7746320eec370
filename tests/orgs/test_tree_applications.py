"""The association tree and its profiles (ORG-01, ORG-02): HQ creates orgs (each with its own org-tree node for data
scope), an alumnus applies for a new one → a todo for HQ → approval creates it (the applicant its first member and
admin) or rejection with a reason the applicant is told; org admins keep the profile up (sanitised description,
checked logo)."""
import pytest

from tests.helpers import csrf_from, login, post_form
from tests.orgs.factories import PASSWORD, make_user, org_id, user_id

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.mark.req("ORG-01")
async def test_hq_creates_an_org_under_a_parent_with_its_own_node(as_user, db):
    client = await as_user("hq")
    bj = await org_id(db, "bj")
    form = {"name": "北京校友足球协会", "slug": "bj-football", "kind": "interest", "parent": str(bj),
            "status": "active", "join_rule": "open", "join_requirement": "any", "sort": "0", "summary": "周日踢球",
            "description": "<p>欢迎</p><script>alert(1)</script>"}
    bad = await post_form(client, "/admin/associations/new", "/admin/associations", {**form, "slug": "Bad Slug!"})
    assert bad.status_code == 422 and "lower-case letters" in bad.text and "北京校友足球协会" in bad.text
    taken = await post_form(client, "/admin/associations/new", "/admin/associations", {**form, "slug": "bj"})
    assert taken.status_code == 422 and "already uses this address" in taken.text
    done = await post_form(client, "/admin/associations/new", "/admin/associations", form)
    assert done.status_code == 303
    row = await db.fetchrow("SELECT o.*, n.parent AS node_parent, n.name AS node_name FROM orgs_org o"
                            " JOIN org_node n ON n.id = o.node WHERE o.slug = 'bj-football'")
    parent = await db.fetchrow("SELECT path, node FROM orgs_org WHERE id = $1", bj)
    assert row["parent"] == bj and row["path"] == f"{parent['path']}{row['id']}/" and row["depth"] == 1
    assert row["node_parent"] == parent["node"] and row["node_name"] == "北京校友足球协会"  # its own scope node
    assert "<script" not in row["description"] and "<p>欢迎</p>" in row["description"]
    assert done.headers["location"] == f"/admin/associations/{row['id']}"
    listing = await client.get(f"/admin/associations?parent={bj}", headers={"hx-request": "true",
                                                                               "hx-target": "results"})
    assert "北京校友足球协会" in listing.text and "北京校友羽毛球协会" in listing.text
    assert "上海校友会" not in listing.text
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'orgs_org' AND action = 'create'"
                             " AND entity_id = $1", str(row["id"])) == 1


@pytest.mark.req("ORG-01")
async def test_only_hq_creates_orgs(as_user):
    client = await as_user("bj_admin")
    assert (await client.get("/admin/associations/new")).status_code == 403
    assert (await client.get("/admin/associations/applications")).status_code == 403


async def apply(client, username: str, **extra):
    await login(client, username, PASSWORD)
    data = {"name": "杭州校友会", "slug": "hz", "kind": "local", "region": "杭州", "phone": "13800001111",
            "reason": "杭州有三百多位校友，想成立校友会。", **extra}
    return await post_form(client, "/h5/orgs/apply", "/h5/orgs/apply", data)


@pytest.mark.req("ORG-01")
async def test_application_todo_then_approval_creates_the_org_with_the_applicant_as_admin(client, db):
    from app.core import todos

    username, applicant = await make_user("章申请")
    empty = await apply(client, username, reason=" ")
    assert empty.status_code == 422 and "This field is required" in empty.text and "杭州校友会" in empty.text
    sent = await apply(client, username)
    assert sent.status_code == 303 and sent.headers["location"] == "/h5/orgs"
    application = await db.fetchrow("SELECT * FROM orgs_application WHERE applicant = $1", applicant)
    assert application["status"] == "pending"
    todo = await db.fetchrow("SELECT * FROM todo WHERE ref = $1 AND status = 'open'",
                             f"orgs.application:{application['id']}")
    assert todo["kind"] == "orgs.application" and todo["permission"] == "orgs.org.admin"
    audience = set(await todos.users_for(todo["permission"], todo["org_id"]))
    assert await user_id(db, "hq") in audience and await user_id(db, "bj_admin") not in audience
    again = await apply(client, username, slug="hz2")
    assert again.status_code == 422 and "already waiting for HQ" in again.text
    mine = await client.get("/h5/orgs")
    assert "杭州校友会" in mine.text and "Waiting" in mine.text

    await login(client, "hq", PASSWORD)
    page = await client.get(f"/admin/associations/applications/{application['id']}")
    assert page.status_code == 200 and "三百多位校友" in page.text
    approved = await client.post(f"/admin/associations/applications/{application['id']}/approve",
                                 data={"name": "杭州校友会", "slug": "hz", "kind": "local", "appoint": "on",
                                       "_csrf_token": csrf_from(page.text)})
    assert approved.status_code == 303
    org = await db.fetchrow("SELECT * FROM orgs_org WHERE slug = 'hz'")
    assert org["status"] == "active" and org["node"] is not None
    member = await db.fetchrow("SELECT * FROM orgs_member WHERE org = $1 AND \"user\" = $2", org["id"], applicant)
    assert (member["status"], member["role"], member["source"]) == ("active", "admin", "founder")
    ref = f"orgs.application:{application['id']}"
    assert await db.fetchval("SELECT status FROM todo WHERE ref = $1", ref) == "done"
    assert await db.fetchval("SELECT status FROM orgs_application WHERE id = $1", application["id"]) == "approved"
    assert await db.fetchval("SELECT count(*) FROM inbox_message WHERE \"user\" = $1 AND template_code ="
                             " 'orgs_application_result'", applicant) == 1
    # the founder now manages their own association, and only that one
    await login(client, username, PASSWORD)
    assert (await client.get(f"/admin/associations/{org['id']}")).status_code == 200
    assert (await client.get(f"/admin/associations/{await org_id(db, 'bj')}")).status_code == 403


@pytest.mark.req("ORG-01")
async def test_rejection_needs_a_reason_the_applicant_is_told(client, db):
    username, applicant = await make_user("驳回人")
    await apply(client, username, slug="wz", name="温州校友会")
    application_id = await db.fetchval("SELECT id FROM orgs_application WHERE applicant = $1", applicant)
    await login(client, "hq", PASSWORD)
    url = f"/admin/associations/applications/{application_id}"
    empty = await post_form(client, url, f"{url}/reject", {"reason": ""})
    assert empty.status_code == 422 and "Give the reason" in empty.text
    done = await post_form(client, url, f"{url}/reject", {"reason": "温州已有校友会筹备组，请联系秘书处"})
    assert done.status_code == 303
    assert await db.fetchval("SELECT status FROM orgs_application WHERE id = $1", application_id) == "rejected"
    assert not await db.fetchval("SELECT 1 FROM orgs_org WHERE slug = 'wz'")
    body = await db.fetchval("SELECT body FROM inbox_message WHERE \"user\" = $1 AND template_code ="
                             " 'orgs_application_result'", applicant)
    assert "温州已有校友会筹备组" in body
    await login(client, username, PASSWORD)
    assert "温州已有校友会筹备组" in (await client.get("/h5/orgs")).text


@pytest.mark.req("ORG-02")
async def test_org_admin_edits_the_profile_but_not_hq_fields(as_user, db):
    client = await as_user("bj_admin")
    bj = await org_id(db, "bj")
    url = f"/admin/associations/{bj}"
    page = await client.get(url)
    assert 'name="slug"' not in page.text and 'name="description"' in page.text
    data = {"summary": "新简介", "description": '<p style="color: red">你好</p><a href="javascript:alert(1)">x</a>'
            '<img src=x onerror=alert(1)>', "region": "北京", "founded": "2012-05-20", "contact_name": "陈北京",
            "phone": "010-62780000", "email": "bj@example.cn", "address": "海淀", "join_rule": "open",
            "join_requirement": "any", "event_approval": "", "slug": "hacked", "status": "disabled"}
    saved = await post_form(client, url, url, data)
    assert saved.status_code == 303
    row = await db.fetchrow("SELECT * FROM orgs_org WHERE id = $1", bj)
    assert row["summary"] == "新简介" and row["join_rule"] == "open" and row["event_approval"] is False
    assert row["slug"] == "bj" and row["status"] == "active"  # HQ-only fields are ignored
    assert "javascript:" not in row["description"] and "onerror" not in row["description"]
    assert "color" in row["description"]  # inline styles of pasted articles survive the sanitiser
    bad = await post_form(client, url, url, {**data, "email": "not-an-email"})
    assert bad.status_code == 422 and 'value="not-an-email"' in bad.text


@pytest.mark.req("ORG-02")
async def test_logo_is_checked_and_served_on_the_micro_site(as_user, client, db):
    admin = await as_user("bj_admin")
    bj = await org_id(db, "bj")
    page = await admin.get(f"/admin/associations/{bj}")
    token = csrf_from(page.text)
    svg = await admin.post(f"/admin/associations/{bj}/logo", data={"_csrf_token": token},
                           files={"logo": ("logo.svg", b"<svg onload='alert(1)'></svg>", "image/svg+xml")})
    assert svg.status_code == 422 and "not accepted" in svg.text
    fake = await admin.post(f"/admin/associations/{bj}/logo", data={"_csrf_token": token},
                            files={"logo": ("logo.jpg", b"MZ\x90\x00not a jpeg", "image/jpeg")})
    assert fake.status_code == 422 and "does not match" in fake.text
    ok = await admin.post(f"/admin/associations/{bj}/logo", data={"_csrf_token": token},
                          files={"logo": ("logo.png", PNG, "image/png")})
    assert ok.status_code == 303
    client.cookies.clear()  # an anonymous visitor (a WeChat share)
    served = await client.get("/o/bj/logo")
    assert served.status_code == 200 and served.content == PNG and served.headers["content-type"] == "image/png"
    site = await client.get("/o/bj")
    assert 'property="og:image" content="http' in site.text and "/o/bj/logo" in site.text
