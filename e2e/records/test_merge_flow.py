"""Browser flow (REC-11, REC-12, REC-16): find a duplicate pair, merge it taking one value from the other
record, then roll the merge back from the update log and see both records again."""
import pytest

from app.core.audit import SYSTEM
from app.records import api
from e2e.helpers import BOTH, log_in
from tests.records.merge_helpers import duplicate_pair


@pytest.mark.req("REC-11")
@pytest.mark.req("REC-12")
@pytest.mark.req("REC-16")
@BOTH
async def test_merge_then_roll_back(page, mode, db):
    a, b = await duplicate_pair()
    await api.update_person(SYSTEM, a, {"job_title": "工程师"})  # a is now the more recent record
    page.on("dialog", lambda dialog: dialog.accept())  # hx-confirm with JS on
    await log_in(page, "hq", "Demo2026pass")

    # 1. the pair is listed as duplicates
    await page.goto("/admin/records/duplicates")
    link = page.locator(f"a[href='/admin/records/merge?a={a}&b={b}']")
    assert await link.count() == 1
    await link.click()
    await page.wait_for_selector("#merge-form")

    # 2. merge, taking the phone of the other record (the email is preselected: ours is empty)
    assert await page.is_checked("input[name=pick_email][value=other]")
    assert await page.is_checked("input[name=pick_phone][value=survivor]")
    await page.check("input[name=pick_phone][value=other]")
    async with page.expect_response(lambda r: r.url.endswith("/admin/records/merge") and r.request.method == "POST"):
        await page.click("#merge-form button[type=submit].primary")
    await page.wait_for_load_state("networkidle")
    survivor = await db.fetchrow("SELECT phone, email FROM rec_person WHERE id = $1", a)
    assert survivor == {"phone": "13900000002", "email": "dup@example.com"}
    assert await db.fetchval("SELECT status FROM rec_person WHERE id = $1", b) == "merged"
    await page.goto("/admin/records/duplicates")
    assert await page.locator(f"a[href='/admin/records/merge?a={a}&b={b}']").count() == 0

    # 3. roll the merge back from the update log
    batch = await db.fetchval("SELECT id FROM rec_batch WHERE kind = 'merge' ORDER BY id DESC LIMIT 1")
    await page.goto("/admin/records/changes/batches")
    await page.click(f"a[href='/admin/records/changes/batches/{batch}/rollback']")
    await page.wait_for_selector("section.confirm")
    await page.click("section.confirm button[type=submit]")
    await page.wait_for_load_state("networkidle")
    assert "/admin/records/changes/batches/" in page.url
    assert await db.fetchval("SELECT status FROM rec_batch WHERE id = $1", batch) == "rolled_back"
    rows = await db.fetch("SELECT id, status, phone, email FROM rec_person WHERE id = ANY($1::bigint[]) ORDER BY id",
                          [a, b])
    assert [(r["status"], r["phone"], r["email"]) for r in rows] == [
        ("active", "13900000001", None), ("active", "13900000002", "dup@example.com")]

    # 4. both records are back in the duplicates list
    await page.goto("/admin/records/duplicates")
    assert await page.locator(f"a[href='/admin/records/merge?a={a}&b={b}']").count() == 1
