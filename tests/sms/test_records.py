"""Records (SMS-05): search by number/status/batch/text, detail timeline, failed-number export and
one-click resend (a new send with the failed numbers only); operators see their accounts only."""
import io

import openpyxl
import pytest

from tests.helpers import csrf_from
from tests.sms.console_helpers import hq_account, make_account, make_batch, make_operator


@pytest.mark.req("SMS-05")
async def test_search_detail_export_and_resend(db, as_user):
    account = await hq_account()
    batch, ids = await make_batch(account, [("13800000001", "delivered"), ("13800000002", "failed"),
                                            ("13800000003", "failed"), ("13800000004", "submitted")])
    client = await as_user("admin")
    listing = await client.get(f"/admin/sms/records?batch={batch}")
    assert listing.status_code == 200 and "13800000001" in listing.text and "13800000004" in listing.text
    failed = await client.get(f"/admin/sms/records?batch={batch}&status=failed_all")
    assert "13800000002" in failed.text and "13800000001" not in failed.text
    by_phone = await client.get("/admin/sms/records?phone=138000000")
    assert "13800000003" in by_phone.text
    bad_date = await client.get("/admin/sms/records?from=2024-13-01")
    assert "Enter a date as YYYY-MM-DD." in bad_date.text

    detail = await client.get(f"/admin/sms/records/{ids[1]}")
    assert detail.status_code == 200 and "Submitted to the channel" in detail.text and "UNDELIV" in detail.text

    export = await client.get(f"/admin/sms/records/failed-export?batch={batch}")
    assert export.status_code == 200 and "attachment" in export.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    phones = {row[0] for row in sheet.iter_rows(values_only=True)}
    assert {"13800000002", "13800000003"} <= phones and "13800000001" not in phones
    csv = await client.get(f"/admin/sms/records/failed-export?batch={batch}&format=csv")
    assert "13800000002" in csv.content.decode("utf-8-sig")

    confirm = await client.get(f"/admin/sms/records/resend?batch={batch}")
    assert confirm.status_code == 200 and "Resend the 2 failed messages" in confirm.text
    done = await client.post(f"/admin/sms/records/resend?batch={batch}", data={"_csrf_token": csrf_from(confirm.text)})
    assert done.status_code == 303
    new_batch = int(done.headers["location"].rsplit("/", 1)[1])
    assert new_batch != batch
    rows = await db.fetch("SELECT phone, status FROM sms_message WHERE batch = $1 ORDER BY phone", new_batch)
    assert [r["phone"] for r in rows] == ["13800000002", "13800000003"]
    assert await db.fetchval("SELECT source FROM sms_batch WHERE id = $1", new_batch) == "resend"


@pytest.mark.req("SMS-05")
async def test_records_scoped_and_export_needs_permission(db, as_user):
    op = await make_operator("recop", perms=["sup.admin", "sms.record.view"])
    mine = await make_account("我的账户", members=((op, "operator"),))
    _b1, _ = await make_batch(mine, [("13700000001", "failed")])
    _b2, other_ids = await make_batch(await hq_account(), [("13700000002", "failed")])
    client = await as_user("recop")
    listing = await client.get("/admin/sms/records")
    assert "13700000001" in listing.text and "13700000002" not in listing.text
    assert (await client.get(f"/admin/sms/records/{other_ids[0]}")).status_code == 404
    assert (await client.get("/admin/sms/records/failed-export")).status_code == 403
    assert (await client.get("/admin/sms/records/resend")).status_code == 403
    assert "Export failed numbers" not in listing.text


@pytest.mark.req("SMS-05")
async def test_keyset_paging(db, as_user):
    account = await hq_account()
    await make_batch(account, [(f"1360000{i:04d}", "delivered") for i in range(60)])
    client = await as_user("admin")
    first = await client.get("/admin/sms/records?phone=1360000")
    assert "13600000059" in first.text and "13600000009" not in first.text and "before=" in first.text
    import re

    link = re.search(r'href="(\?[^"]*before=\d+[^"]*)"', first.text).group(1).replace("&amp;", "&")
    second = await client.get("/admin/sms/records" + link)
    assert "13600000009" in second.text and "13600000059" not in second.text
