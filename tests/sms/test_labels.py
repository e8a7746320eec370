"""State codes on the SMS admin pages (SMS-05/09): sends, a send's delivery counts, a message's
encoding, balances and alerts show translated labels, never the raw codes the database keeps."""
import pytest

from app.sms import alerts, labels
from app.sms.routes.admin.console import BATCH_STATUSES
from app.sms.routes.api import openapi
from tests.sms.console_helpers import hq_account, make_batch


@pytest.mark.req("SMS-05")
async def test_send_pages_show_labels_not_codes(db, as_user):
    account = await hq_account()
    batch, ids = await make_batch(account, [("13500000001", "delivered"), ("13500000002", "cancelled"),
                                            ("13500000003", "failed")], source="api")
    await db.execute("UPDATE sms_batch SET status = 'cancelled' WHERE id = $1", batch)
    await db.execute("UPDATE sms_message SET encoding = 'ucs2' WHERE id = $1", ids[0])
    client = await as_user("admin")
    detail = (await client.get(f"/admin/sms/batches/{batch}")).text
    for code, label in (("cancelled", "Cancelled"), ("delivered", "Delivered"), ("failed", "Failed")):
        assert f'sms-{code}">{label}</span>' in detail and f">{code}<" not in detail, code
    assert "<dd>HTTP API" in detail and "<dd>api" not in detail
    listing = (await client.get("/admin/sms/batches?status=")).text
    assert "HTTP API" in listing and ">api<" not in listing and ">cancelled<" not in listing
    message = (await client.get(f"/admin/sms/records/{ids[0]}")).text
    assert "(UCS-2 (Chinese))" in message and "(ucs2)" not in message


@pytest.mark.req("SMS-09")
async def test_balance_and_monitor_show_labels(db, as_user):
    await alerts.raise_alert("queue_depth", "critical", "12 messages have waited more than 5 minutes")
    client = await as_user("admin")
    monitor = (await client.get("/admin/sms/monitor")).text
    assert ">Critical</span>" in monitor and "<td>Queue depth</td>" in monitor and ">critical<" not in monitor
    balance = (await client.get("/admin/sms/balance")).text
    assert "<td>Active</td>" in balance and "<td>active</td>" not in balance


@pytest.mark.req("SMS-05")
def test_every_state_code_has_a_label():
    assert set(labels.MESSAGE_STATUS) == set(openapi.STATUSES)
    assert set(labels.BATCH_STATUS) == set(BATCH_STATUSES)
    assert labels.label("source", "something-new") == "something-new" and labels.label("source", None) == ""

