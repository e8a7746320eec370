"""Tag groups (EXP-16): groups and tags created, renamed and deleted (behind a confirm page with the counts),
experts tagged and untagged in bulk, the experts of a tag listed with paging, the batch helpers for search/draw."""
import pytest

from app.core.audit import SYSTEM
from app.core.forms import Invalid
from app.experts import experts, tags
from tests.helpers import csrf_from, post_form


async def _experts(n: int, prefix: str = "标") -> list[int]:
    return [await experts.create(SYSTEM, {"name": f"{prefix}{i:02d}", "phone": f"1771100{i:04d}"}) for i in range(n)]


@pytest.mark.req("EXP-17")
async def test_groups_and_tags_are_unique_and_feed_search_and_draw(db):
    committee = await tags.save_group(SYSTEM, {"name": "评审委员会", "sort": "1"})
    with pytest.raises(Invalid) as exc:
        await tags.save_group(SYSTEM, {"name": " 评审委员会 "})
    assert exc.value.field == "name"
    first = await tags.save_tag(SYSTEM, {"group": committee, "name": "第一届"})
    second = await tags.save_tag(SYSTEM, {"group": committee, "name": "第二届"})
    with pytest.raises(Invalid):
        await tags.save_tag(SYSTEM, {"group": committee, "name": "第一届"})
    other = await tags.save_group(SYSTEM, {"name": "重点专家"})
    same_name_elsewhere = await tags.save_tag(SYSTEM, {"group": other, "name": "第一届"})  # fine in another group
    a, b, c = await _experts(3)
    assert await tags.tag_experts(SYSTEM, first, [a, b]) == 2
    assert await tags.tag_experts(SYSTEM, first, [a, b]) == 0  # already tagged: nothing twice
    await tags.tag_experts(SYSTEM, second, [c])
    await tags.tag_experts(SYSTEM, same_name_elsewhere, [c])
    assert await tags.expert_ids([first]) == [a, b]
    assert await tags.expert_ids([first, second]) == [a, b, c]
    assert await tags.expert_ids(await tags.tags_of_groups(["评审委员会"])) == [a, b, c]
    batch = await tags.for_experts([a, c])
    assert [t["label"] for t in batch[a]] == ["评审委员会 / 第一届"]
    assert sorted(t["label"] for t in batch[c]) == ["评审委员会 / 第二届", "重点专家 / 第一届"]
    assert await tags.untag_experts(SYSTEM, first, [a]) == 1
    assert await tags.expert_ids([first]) == [b]
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'exp_tag' AND action IN ('tag', 'untag')"
                             " AND entity_id = $1", str(first)) == 2


@pytest.mark.req("EXP-17")
async def test_admin_tags_experts_in_bulk_pages_them_and_deletes_behind_a_confirm_page(as_user, db):
    client = await as_user("admin")
    made = await post_form(client, "/admin/experts/tags", "/admin/experts/tags/groups", {"name": "专项组", "sort": "0"})
    assert made.status_code == 303
    group_id = await db.fetchval("SELECT id FROM exp_tag_group WHERE name = '专项组'")
    refused = await post_form(client, "/admin/experts/tags", "/admin/experts/tags/groups", {"name": "专项组"})
    assert refused.status_code == 422 and "A tag group with this name exists already." in refused.text
    made = await post_form(client, "/admin/experts/tags", "/admin/experts/tags/new",
                           {"group": group_id, "name": "桥梁"})
    assert made.status_code == 303
    tag_id = await db.fetchval("SELECT id FROM exp_tag WHERE name = '桥梁'")
    assert made.headers["location"] == f"/admin/experts/tags/{tag_id}"
    ids = await _experts(25)
    page = await client.get(f"/admin/experts/tags/{tag_id}")
    assert page.status_code == 200 and "标00" in page.text
    done = await client.post(f"/admin/experts/tags/{tag_id}/add",
                             data={"_csrf_token": csrf_from(page.text), "ids": [str(i) for i in ids[:22]]})
    assert done.status_code == 303
    assert await db.fetchval("SELECT count(*) FROM exp_expert_tag WHERE tag = $1", tag_id) == 22
    first = await client.get(f"/admin/experts/tags/{tag_id}")
    assert "1–20 of 22" in first.text and "标21" not in first.text.split('id="tag-candidates"')[0]
    second = await client.get(f"/admin/experts/tags/{tag_id}?page=2")
    members = second.text.split('id="tag-candidates"')[0]
    assert "标20" in members and "标21" in members and "标00" not in members
    # the candidates list offers only the experts without the tag
    candidates = first.text.split('id="tag-candidates"')[1]
    assert "标22" in candidates and "标00" not in candidates
    removed = await client.post(f"/admin/experts/tags/{tag_id}/remove",
                                data={"_csrf_token": csrf_from(first.text), "ids": [str(ids[0]), str(ids[1])]})
    assert removed.status_code == 303
    assert await db.fetchval("SELECT count(*) FROM exp_expert_tag WHERE tag = $1", tag_id) == 20
    listing = await client.get("/admin/experts/tags")
    assert "专项组" in listing.text and f'href="/admin/experts/tags/{tag_id}"' in listing.text
    confirm = await client.get(f"/admin/experts/tags/groups/{group_id}/delete")
    assert confirm.status_code == 200 and "Its 1 tags are deleted with it and 20 experts lose them." in confirm.text
    assert await db.fetchval("SELECT count(*) FROM exp_tag_group") == 1  # nothing deleted by the GET
    gone = await client.post(f"/admin/experts/tags/groups/{group_id}/delete",
                             data={"_csrf_token": csrf_from(confirm.text)})
    assert gone.status_code == 303
    assert await db.fetchval("SELECT count(*) FROM exp_expert_tag") == 0
    entry = await db.fetchrow("SELECT summary FROM audit_log WHERE entity = 'exp_tag_group' AND action = 'delete'")
    assert entry["summary"] == "专项组"


@pytest.mark.req("EXP-17")
async def test_rename_and_tag_delete_confirm_and_the_permission(as_user, db):
    group_id = await tags.save_group(SYSTEM, {"name": "旧名"})
    tag_id = await tags.save_tag(SYSTEM, {"group": group_id, "name": "甲"})
    (a,) = await _experts(1)
    await tags.tag_experts(SYSTEM, tag_id, [a])
    client = await as_user("admin")
    url = f"/admin/experts/tags/groups/{group_id}"
    renamed = await post_form(client, url, url, {"name": "新名", "sort": "3"})
    assert renamed.status_code == 303
    assert await db.fetchval("SELECT name FROM exp_tag_group WHERE id = $1", group_id) == "新名"
    bad = await post_form(client, f"/admin/experts/tags/{tag_id}", f"/admin/experts/tags/{tag_id}", {"name": ""})
    assert bad.status_code == 422 and "This field is required." in bad.text
    confirm = await client.get(f"/admin/experts/tags/{tag_id}/delete")
    assert "1 experts lose this tag." in confirm.text
    await client.post(f"/admin/experts/tags/{tag_id}/delete", data={"_csrf_token": csrf_from(confirm.text)})
    assert await db.fetchval("SELECT count(*) FROM exp_tag") == 0
    outsider = await as_user("bj_admin")  # no exp.expert.edit
    assert (await outsider.get("/admin/experts/tags")).status_code == 403
