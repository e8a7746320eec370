"""Channel administration (SMS-11). Channels are rows of sms_channel: the dispatcher's registry
(app.sms.channels) re-reads the table every few seconds, so an add, edit, disable or removal here takes
effect without a restart. Secrets in the config are never sent back to the browser: an empty password
field keeps the stored one. The monitor page's figures are in monitor.py."""
from __future__ import annotations

import json

from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _

KINDS = ("smpp", "http")
SECRET_KEYS = ("password", "secret", "token", "api_key")
# Form fields per kind → config keys (the adapters read these names).
CONFIG_FIELDS = {"smpp": ("host", "port", "system_id", "password", "system_type", "window"),
                 "http": ("url", "api_key", "secret", "timeout_s")}
INT_KEYS = ("port", "window")


def masked(config: dict) -> dict:
    return {k: ("••••••" if k in SECRET_KEYS and v else v) for k, v in config.items()}


def _config(row: dict) -> dict:
    raw = row["config"]
    return raw if isinstance(raw, dict) else json.loads(raw or "{}")


async def list_channels() -> list[dict]:
    rows = await db.fetch(
        "SELECT c.*, (SELECT count(*) FROM sms_message m WHERE m.channel = c.id AND m.status = 'submitted')"
        " AS in_flight FROM sms_channel c ORDER BY c.name")
    for r in rows:
        r["config"] = masked(_config(r))
    return rows


async def get_channel(channel_id: int) -> dict | None:
    row = await db.fetchrow("SELECT * FROM sms_channel WHERE id = $1", channel_id)
    if row is not None:
        row["config"] = _config(row)
    return row


def _clean(data: dict, old: dict | None) -> dict:
    name = str(data.get("name") or "").strip()
    if not name:
        raise Invalid("name", _("Enter a name."))
    kind = data.get("kind") if data.get("kind") in KINDS else ""
    if not kind:
        raise Invalid("kind", _("Choose from the list."))
    values = {"name": name[:64], "kind": kind, "enabled": data.get("enabled") in ("on", "1", "true")}
    for key, low, high in (("weight", 0, 1000), ("max_tps", 1, 100_000)):
        raw = str(data.get(key) or "").strip()
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise Invalid(key, _("Enter a whole number between %(low)s and %(high)s.", low=low, high=high))
        values[key] = int(raw)
    previous = old["config"] if old else {}
    config = {k: v for k, v in previous.items() if k not in CONFIG_FIELDS["smpp"] + CONFIG_FIELDS["http"]}
    for key in CONFIG_FIELDS[kind]:
        raw = str(data.get(f"cfg_{key}") or "").strip()
        if key in SECRET_KEYS and not raw and previous.get(key):
            raw = previous[key]  # empty secret field = keep the stored secret
        if key in INT_KEYS and raw:
            if not raw.isdigit():
                raise Invalid(f"cfg_{key}", _("Enter a whole number."))
            config[key] = int(raw)
        elif raw:
            config[key] = raw
    required = ("host", "port", "system_id") if kind == "smpp" else ("url",)
    for key in required:
        if key not in config:
            raise Invalid(f"cfg_{key}", _("This field is required."))
    values["config"] = config
    return values


async def save_channel(actor: Actor, data: dict, channel_id: int | None = None) -> int:
    old = await get_channel(channel_id) if channel_id else None
    if channel_id and old is None:
        raise Invalid("", _("No such channel."))
    values = _clean(data, old)
    clash = await db.fetchval("SELECT id FROM sms_channel WHERE lower(name) = lower($1) AND id IS DISTINCT FROM $2",
                              values["name"], channel_id)
    if clash:
        raise Invalid("name", _("A channel with this name already exists."))
    async with db.transaction():
        if channel_id is None:
            channel_id = await db.fetchval(
                "INSERT INTO sms_channel (name, kind, config, weight, enabled, max_tps, created_by, updated_by)"
                " VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $7) RETURNING id", values["name"], values["kind"],
                json.dumps(values["config"]), values["weight"], values["enabled"], values["max_tps"], actor.id)
        else:
            await db.execute(
                "UPDATE sms_channel SET name = $2, kind = $3, config = $4::jsonb, weight = $5, enabled = $6,"
                " max_tps = $7, updated_by = $8, updated_at = now() WHERE id = $1", channel_id, values["name"],
                values["kind"], json.dumps(values["config"]), values["weight"], values["enabled"], values["max_tps"],
                actor.id)
        await audit.record(actor, "sms.channel.save", "sms_channel", channel_id,
                           before={**old, "config": masked(old["config"])} if old else None,
                           after={**values, "config": masked(values["config"])})
    return channel_id


async def set_enabled(actor: Actor, channel_id: int, enabled: bool) -> None:
    async with db.transaction():
        done = await db.fetchval("UPDATE sms_channel SET enabled = $2, updated_at = now() WHERE id = $1 RETURNING id",
                                 channel_id, enabled)
        if not done:
            raise Invalid("", _("No such channel."))
        await audit.record(actor, "sms.channel.enable" if enabled else "sms.channel.disable", "sms_channel", channel_id)


async def remove_channel(actor: Actor, channel_id: int) -> None:
    """Refused while messages are being submitted through it (disable first, let them settle); receipts of
    submitted messages still map through sms_channel_id."""
    async with db.transaction():
        busy = await db.fetchval("SELECT count(*) FROM sms_message WHERE channel = $1 AND status = 'submitting'",
                                 channel_id)
        if busy:
            raise Conflict(_("%(n)s messages are being submitted through this channel; disable it and try again in a"
                             " minute.", n=busy))
        row = await db.fetchrow("DELETE FROM sms_channel WHERE id = $1 RETURNING name, kind", channel_id)
        if row is None:
            raise Invalid("", _("No such channel."))
        await audit.record(actor, "sms.channel.remove", "sms_channel", channel_id, before=row)

