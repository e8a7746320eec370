"""Channel admin (SMS-11): add / edit (secret kept when left empty, never shown) / disable / remove;
the registry the dispatcher reloads reads exactly these rows."""
import json

import pytest

from tests.helpers import csrf_from


@pytest.mark.req("SMS-11")
async def test_channel_crud_masks_secrets(db, as_user):
    client = await as_user("admin")
    page = await client.get("/admin/sms/channels/new")
    token = csrf_from(page.text)
    bad = await client.post("/admin/sms/channels", data={"name": "移动", "kind": "smpp", "weight": "50",
                                                          "max_tps": "100", "cfg_host": "10.0.0.5",
                                                          "_csrf_token": token})
    assert bad.status_code == 422 and "This field is required." in bad.text and "10.0.0.5" in bad.text
    made = await client.post("/admin/sms/channels", data={
        "name": "移动", "kind": "smpp", "weight": "50", "max_tps": "100", "enabled": "on", "cfg_host": "10.0.0.5",
        "cfg_port": "2775", "cfg_system_id": "cmcc", "cfg_password": "s3cret!", "_csrf_token": token})
    assert made.status_code == 303
    row = await db.fetchrow("SELECT id, config, enabled FROM sms_channel WHERE name = '移动'")
    assert json.loads(row["config"])["password"] == "s3cret!" and row["enabled"]
    listing = await client.get("/admin/sms/channels")
    assert "10.0.0.5:2775" in listing.text and "s3cret!" not in listing.text
    edit = await client.get(f"/admin/sms/channels/{row['id']}/edit")
    assert "s3cret!" not in edit.text and "cmcc" in edit.text
    saved = await client.post(f"/admin/sms/channels/{row['id']}", data={
        "name": "移动", "kind": "smpp", "weight": "80", "max_tps": "200", "enabled": "on", "cfg_host": "10.0.0.6",
        "cfg_port": "2775", "cfg_system_id": "cmcc", "cfg_password": "", "_csrf_token": token})
    assert saved.status_code == 303
    config = json.loads(await db.fetchval("SELECT config FROM sms_channel WHERE id = $1", row["id"]))
    assert config["password"] == "s3cret!" and config["host"] == "10.0.0.6"
    off = await client.post(f"/admin/sms/channels/{row['id']}/toggle", data={"_csrf_token": token})
    assert off.status_code == 303 and not await db.fetchval("SELECT enabled FROM sms_channel WHERE id = $1", row["id"])
    from app.sms.channels import ChannelRegistry

    async def sink(*_args):
        return None

    registry = ChannelRegistry(sink, sink)
    await registry.reload()
    assert row["id"] not in registry.live  # disabled: the dispatcher drops it on its next reload
    for live in list(registry.live):
        await registry._stop(live, "test")
    confirm = await client.get(f"/admin/sms/channels/{row['id']}/delete")
    gone = await client.post(f"/admin/sms/channels/{row['id']}/delete", data={"_csrf_token": csrf_from(confirm.text)})
    assert gone.status_code == 303 and not await db.fetchval("SELECT 1 FROM sms_channel WHERE id = $1", row["id"])
    assert (await (await as_user("hq")).get("/admin/sms/channels")).status_code == 200
    assert (await (await as_user("liaison")).get("/admin/sms/channels")).status_code == 403
