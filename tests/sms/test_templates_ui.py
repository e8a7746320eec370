"""Template pages (SMS-02): an operator creates and submits a template (a todo for the reviewers), the
reviewer approves or rejects it with a note, only approved templates are offered on the send page."""
import pytest

from tests.helpers import csrf_from
from tests.sms.console_helpers import hq_account, make_operator


@pytest.mark.req("SMS-02")
async def test_create_submit_review_and_use(db, as_user):
    account = await hq_account()
    op = await make_operator("tplop")
    await db.execute("INSERT INTO sms_account_member (account, \"user\", role) VALUES ($1, $2, 'operator')",
                     account, op)
    client = await as_user("tplop")
    form = await client.get("/admin/sms/templates/new")
    assert form.status_code == 200 and "sms-counter" in form.text
    token = csrf_from(form.text)
    bad = await client.post("/admin/sms/templates", data={"account": str(account), "name": "", "kind": "notice",
                                                          "content": "x", "_csrf_token": token})
    assert bad.status_code == 422 and "Enter a name." in bad.text
    made = await client.post("/admin/sms/templates", data={
        "account": str(account), "name": "返校日通知", "kind": "notice", "sign": "【同窗】",
        "content": "{name}校友，返校日定于{date}。", "submit": "1", "_csrf_token": token})
    assert made.status_code == 303
    tpl = await db.fetchrow("SELECT id, status FROM sms_template WHERE name = '返校日通知'")
    assert tpl["status"] == "pending"
    assert await db.fetchval("SELECT count(*) FROM todo WHERE ref = $1 AND status = 'open'",
                             f"sms_template:{tpl['id']}") == 1
    send = await client.get(f"/admin/sms/send?account={account}")
    assert "返校日通知" not in send.text  # not approved yet
    assert (await client.get("/admin/sms/templates/review")).status_code == 403

    reviewer = await as_user("hq")
    queue = await reviewer.get("/admin/sms/templates/review")
    assert "返校日通知" in queue.text
    token = csrf_from(queue.text)
    no_note = await reviewer.post(f"/admin/sms/templates/{tpl['id']}/review",
                                  data={"decision": "reject", "note": "", "_csrf_token": token})
    assert no_note.status_code == 422 and "Say why the template is rejected." in no_note.text
    ok = await reviewer.post(f"/admin/sms/templates/{tpl['id']}/review",
                             data={"decision": "approve", "note": "", "_csrf_token": token})
    assert ok.status_code == 303
    assert await db.fetchval("SELECT status FROM sms_template WHERE id = $1", tpl["id"]) == "approved"
    assert await db.fetchval("SELECT status FROM todo WHERE ref = $1", f"sms_template:{tpl['id']}") == "done"

    client = await as_user("tplop")
    send = await client.get(f"/admin/sms/send?account={account}")
    assert "返校日通知" in send.text
    listing = await client.get("/admin/sms/templates?status=approved")
    assert "返校日通知" in listing.text and f"template={tpl['id']}" in listing.text


@pytest.mark.req("SMS-02")
async def test_reject_then_edit_and_delete(db, as_user):
    account = await hq_account()
    client = await as_user("admin")
    page = await client.get("/admin/sms/templates/new")
    token = csrf_from(page.text)
    await client.post("/admin/sms/templates", data={"account": str(account), "name": "营销", "kind": "marketing",
                                                    "content": "优惠{x}", "submit": "1", "_csrf_token": token})
    tpl_id = await db.fetchval("SELECT id FROM sms_template WHERE name = '营销'")
    rejected = await client.post(f"/admin/sms/templates/{tpl_id}/review",
                                 data={"decision": "reject", "note": "缺少退订说明", "_csrf_token": token})
    assert rejected.status_code == 303
    listing = await client.get("/admin/sms/templates?status=rejected")
    assert "缺少退订说明" in listing.text
    edit = await client.get(f"/admin/sms/templates/{tpl_id}/edit")
    assert "优惠{x}" in edit.text
    saved = await client.post(f"/admin/sms/templates/{tpl_id}", data={"name": "营销", "kind": "marketing",
                              "content": "优惠{x}，回T退订", "_csrf_token": token})
    assert saved.status_code == 303
    assert await db.fetchval("SELECT status FROM sms_template WHERE id = $1", tpl_id) == "draft"
    confirm = await client.get(f"/admin/sms/templates/{tpl_id}/delete")
    assert "营销" in confirm.text
    gone = await client.post(f"/admin/sms/templates/{tpl_id}/delete", data={"_csrf_token": token})
    assert gone.status_code == 303 and not await db.fetchval("SELECT 1 FROM sms_template WHERE id = $1", tpl_id)
