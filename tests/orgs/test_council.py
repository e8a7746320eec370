"""The council and its meetings (ORG-03): positions, terms with one current term, holders (members or names),
shown on the micro-site; meetings with sanitised minutes, attendees who must be members, and files checked on
upload and served behind the org's scope."""
import pytest

from tests.helpers import csrf_from, login, post_form
from tests.orgs.factories import PASSWORD, add_member, make_org, make_user, org_id

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.req("ORG-03")
async def test_positions_terms_and_holders_appear_on_the_micro_site(as_user, db):
    org = await make_org("council-test", "理事会测试校友会")
    _username, uid = await make_user("理事甲")
    await add_member(org, uid)
    client = await as_user("hq")
    base = f"/admin/associations/{org}/council"
    assert (await post_form(client, base, f"{base}/positions/defaults", {})).status_code == 303
    positions = {r["name"]: r["id"] for r in await db.fetch("SELECT id, name FROM orgs_position WHERE org = $1", org)}
    assert list(positions)[:3] == ["会长", "副会长", "秘书长"]
    duplicate = await post_form(client, base, f"{base}/positions", {"name": "会长"})
    assert duplicate.status_code == 422 and "already exists" in duplicate.text
    first = await post_form(client, base, f"{base}/terms", {"number": "1", "name": "第一届理事会", "current": "on",
                                                             "starts_on": "2020-01-01", "ends_on": "2023-12-31"})
    assert first.status_code == 303
    second = await post_form(client, base, f"{base}/terms", {"number": "2", "name": "第二届理事会", "current": "on",
                                                              "starts_on": "2024-01-01", "ends_on": "2023-01-01"})
    assert second.status_code == 422 and "end cannot be before the start" in second.text
    second = await post_form(client, base, f"{base}/terms", {"number": "2", "name": "第二届理事会", "current": "on",
                                                              "starts_on": "2024-01-01"})
    assert second.status_code == 303
    terms = await db.fetch("SELECT id, number, current FROM orgs_term WHERE org = $1 ORDER BY number", org)
    assert [(t["number"], t["current"]) for t in terms] == [(1, False), (2, True)]  # one current term
    term = terms[1]["id"]
    seats = f"{base}/terms/{term}/seats"
    chair = await post_form(client, base, seats, {"position": str(positions["会长"]), "user": str(uid)})
    named = await post_form(client, base, seats, {"position": str(positions["理事"]), "name": "无账号理事"})
    assert chair.status_code == 303 and named.status_code == 303
    _other, outsider = await make_user("外人")
    refused = await post_form(client, base, seats, {"position": str(positions["理事"]), "user": str(outsider)})
    assert refused.status_code == 422
    nobody = await post_form(client, base, seats, {"position": str(positions["理事"])})
    assert nobody.status_code == 422 and "type the name" in nobody.text
    page = await client.get(base)
    assert "理事甲" in page.text and "无账号理事" in page.text and "第二届理事会" in page.text
    client.cookies.clear()
    site = await client.get("/o/council-test")
    assert "Council" in site.text and "理事甲" in site.text and "无账号理事" in site.text

    await login(client, "hq", PASSWORD)
    seat = await db.fetchval("SELECT id FROM orgs_seat WHERE name = '无账号理事'")
    confirm = await client.get(f"{base}/seats/{seat}/delete")
    assert confirm.status_code == 200
    await client.post(f"{base}/seats/{seat}/delete", data={"_csrf_token": csrf_from(confirm.text)})
    assert not await db.fetchval("SELECT 1 FROM orgs_seat WHERE id = $1", seat)
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'orgs_seat'") >= 3


@pytest.mark.req("ORG-03")
async def test_meeting_minutes_attendees_and_files(as_user, db):
    bj = await org_id(db, "bj")
    client = await as_user("bj_admin")
    attendee = await db.fetchval("SELECT \"user\" FROM orgs_member WHERE org = $1 AND role = 'member' LIMIT 1", bj)
    _u, outsider = await make_user("非会员")
    base = f"/admin/associations/{bj}/meetings"
    data = {"title": "第一届理事会第四次会议", "held_on": "2026-12-01", "place": "校友之家",
            "minutes": "<p style=\"font-weight: bold\">决议</p><script>steal()</script><iframe src=x></iframe>",
            "attendees": [str(attendee), str(outsider)]}
    refused = await post_form(client, f"{base}/new", base, data)
    assert refused.status_code == 422 and "Choose from the list" in refused.text
    assert "第一届理事会第四次会议" in refused.text  # what was typed is kept
    done = await post_form(client, f"{base}/new", base, {**data, "attendees": [str(attendee)]})
    assert done.status_code == 303
    meeting = await db.fetchrow("SELECT * FROM orgs_meeting WHERE title = '第一届理事会第四次会议'")
    assert "<script" not in meeting["minutes"] and "<iframe" not in meeting["minutes"] and "决议" in meeting["minutes"]
    assert await db.fetchval("SELECT array_agg(\"user\") FROM orgs_meeting_attendee WHERE meeting = $1",
                             meeting["id"]) == [attendee]
    url = f"{base}/{meeting['id']}"
    page = await client.get(url)
    token = csrf_from(page.text)
    fake = await client.post(f"{url}/files", data={"_csrf_token": token},
                             files={"file": ("agenda.pdf", b"MZ\x90\x00 an exe", "application/pdf")})
    assert fake.status_code == 422 and "does not match" in fake.text
    ok = await client.post(f"{url}/files", data={"_csrf_token": token},
                           files={"file": ("会议纪要.pdf", PDF, "application/pdf")})
    assert ok.status_code == 303
    file_id = await db.fetchval("SELECT id FROM orgs_meeting_file WHERE meeting = $1", meeting["id"])
    download = await client.get(f"{url}/files/{file_id}")
    assert download.status_code == 200 and download.content == PDF
    await login(client, "cs_admin", PASSWORD)  # no orgs permission at all
    assert (await client.get(f"{url}/files/{file_id}")).status_code == 403
