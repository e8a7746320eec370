"""The expert record, the taxonomy, the delete list and the blacklist, and the draw input (EXP-11, EXP-13,
EXP-14, EXP-17) — through the services and the admin pages on the real database."""
import pytest

from app.core.audit import SYSTEM
from app.core.forms import Invalid
from app.experts import api, experts, taxonomy
from tests.experts.helpers import make_fields
from tests.helpers import csrf_from, post_form


@pytest.mark.req("EXP-13")
async def test_taxonomy_has_three_levels_and_search_matches_the_subtree(db):
    f = await make_fields()
    with pytest.raises(Invalid) as exc:
        await taxonomy.save(SYSTEM, {"code": "X", "name": "四级", "parent": f["leaf"]})
    assert exc.value.field == "parent"
    with pytest.raises(Invalid):
        await taxonomy.save(SYSTEM, {"code": "T-ENG", "name": "重复"})
    labels = [r["label"] for r in await taxonomy.flat()]
    assert "工程技术 / 土木工程 / 桥梁工程" in labels
    await experts.create(SYSTEM, {"name": "林桥", "phone": "17710000036", "fields": [f["leaf"]]})
    assert [e["name"] for e in await api.eligible([f["top"]])] == ["林桥"]
    assert await api.eligible([f["other"]]) == []


@pytest.mark.req("EXP-10")
async def test_admin_entry_refuses_a_duplicate_phone_with_a_clear_message(as_user, db):
    client = await as_user("admin")
    ok = await post_form(client, "/admin/experts/new", "/admin/experts",
                         {"name": "陈舜尧", "phone": "177 1000 0033", "employer": "测试单位"})
    assert ok.status_code == 303
    number = await db.fetchval("SELECT number FROM exp_expert WHERE phone = '17710000033'")
    dup = await post_form(client, "/admin/experts/new", "/admin/experts",
                          {"name": "另一个人", "phone": "17710000033", "employer": "保留的单位"})
    assert dup.status_code == 422
    assert f"already used by expert 陈舜尧 ({number})" in dup.text
    assert 'value="保留的单位"' in dup.text  # what was typed is kept
    assert await db.fetchval("SELECT count(*) FROM exp_expert WHERE phone = '17710000033'") == 1


@pytest.mark.req("EXP-14", "EXP-18")
async def test_blacklisted_and_deleted_experts_are_never_drawn_and_the_reason_is_audited(as_user, db):
    f = await make_fields()
    a = await experts.create(SYSTEM, {"name": "甲", "phone": "17710000001", "fields": [f["mid"]]})
    b = await experts.create(SYSTEM, {"name": "乙", "phone": "17710000002", "fields": [f["mid"]]})
    client = await as_user("admin")
    url = f"/admin/experts/{a}/status/blacklisted"
    refused = await post_form(client, url, url, {"reason": ""})
    assert refused.status_code == 422 and "Give a reason." in refused.text
    done = await post_form(client, url, url, {"reason": "评审不公正"})
    assert done.status_code == 303
    await experts.set_status(SYSTEM, b, "deleted", "重复录入")
    assert await api.eligible([f["top"]]) == []
    assert not await api.is_drawable(a)
    entry = await db.fetchrow("SELECT action, summary FROM audit_log WHERE entity = 'exp_expert' AND entity_id = $1"
                              " ORDER BY id DESC LIMIT 1", str(a))
    assert entry["action"] == "blacklist" and entry["summary"] == "评审不公正"
    listing = await client.get("/admin/experts?status=blacklisted")
    assert "甲" in listing.text and "评审不公正" in listing.text
    # a deleted expert's phone may enter the pool again
    await experts.create(SYSTEM, {"name": "乙", "phone": "17710000002"})


@pytest.mark.req("EXP-03")
async def test_an_edit_keeps_a_before_after_history(as_user, db):
    expert_id = await experts.create(SYSTEM, {"name": "丙", "phone": "17710000003", "title": "中级"})
    client = await as_user("admin")
    page = await client.get(f"/admin/experts/{expert_id}/edit")
    response = await client.post(f"/admin/experts/{expert_id}/edit",
                                 data={"_csrf_token": csrf_from(page.text), "name": "丙", "phone": "17710000003",
                                       "title": "高级", "expert_type": "individual"})
    assert response.status_code == 303
    detail = await client.get(f"/admin/experts/{expert_id}")
    assert "<td>Professional title</td><td>中级</td><td>高级</td>" in detail.text


@pytest.mark.req("EXP-19")
async def test_phone_is_masked_for_a_viewer_without_the_clear_view(as_user, db):
    await experts.create(SYSTEM, {"name": "丁", "phone": "17912345678"})
    await db.execute("INSERT INTO role (code, name, permissions, data_scope) VALUES ('exp_viewer', 'v',"
                     " ARRAY['sup.admin', 'exp.expert.view'], 'all')")
    await db.execute("INSERT INTO user_role (\"user\", role) SELECT u.id, r.id FROM app_user u, role r"
                     " WHERE u.username = 'cs_admin' AND r.code = 'exp_viewer'")
    viewer = await as_user("cs_admin")
    listing = await viewer.get("/admin/experts")
    assert listing.status_code == 200 and "丁" in listing.text
    assert "17912345678" not in listing.text and "179****5678" in listing.text
    fragment = await viewer.get("/admin/experts?q=丁", headers={"HX-Request": "true", "HX-Target": "#results"})
    assert "17912345678" not in fragment.text
    by_phone = await viewer.get("/admin/experts?q=17912345678")  # not searchable without the clear view
    assert "No experts found." in by_phone.text
