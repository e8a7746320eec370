"""Site settings (SUP-11): one grouped form over app.core.settings_store. Secrets (SMTP password,
WeChat secret, SMS key) are write-only: never sent back to the browser, never written to the audit log."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from app.core import audit, db, settings_store
from app.core.audit import Actor
from app.core.forms import Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.security import mask_secret
from app.core.settings_store import DEFAULTS, SECRET_KEYS

EXT_RE = re.compile(r"^[a-z0-9]{1,10}$")
SET, CHANGED = "[set]", "[changed]"  # how a secret appears in the audit log


@dataclass(frozen=True)
class Setting:
    key: str
    label: Any
    kind: str = "text"  # text / int / url / types / secret
    max_length: int = 200
    min_value: int | None = None
    max_value: int | None = None
    required: bool = False
    help: Any = ""

    @property
    def name(self) -> str:
        """The form field name ("smtp.port" → "smtp_port")."""
        return self.key.replace(".", "_")


SECTIONS: list[tuple[str, Any, list[Setting]]] = [
    ("site", L("Site"), [
        Setting("site.name", L("Site name"), required=True, max_length=100),
        Setting("site.logo_url", L("Logo URL"), "url", max_length=500,
                help=L("https://… or a path such as /static/img/logo.png")),
        Setting("site.copyright", L("Copyright"), max_length=200),
        Setting("site.contact", L("Contact"), max_length=200, help=L("Phone, email or address shown in the footer.")),
        Setting("site.icp", L("ICP filing text"), max_length=100, help=L("For example 京ICP备12345678号")),
    ]),
    ("upload", L("Uploads"), [
        # The server refuses request bodies over 60 MB, so larger limits would never apply.
        Setting("upload.max_mb", L("Maximum file size (MB)"), "int", min_value=1, max_value=50, required=True),
        Setting("upload.types", L("Allowed file types"), "types", max_length=300, required=True,
                help=L("File extensions separated by commas, e.g. jpg,png,pdf")),
    ]),
    ("login", L("Login security"), [
        Setting("login.max_failures", L("Failed logins before blocking"), "int", min_value=1, max_value=100,
                required=True),
        Setting("login.ip_max_failures", L("Failed logins from one address before blocking it"), "int", min_value=1,
                max_value=10000, required=True, help=L("Counted across all accounts, successes do not reset it.")),
        Setting("login.window_minutes", L("Counting window (minutes)"), "int", min_value=1, max_value=1440,
                required=True),
        Setting("login.block_minutes", L("Block duration (minutes)"), "int", min_value=1, max_value=10080,
                required=True),
        Setting("login.idle_minutes", L("Log out after inactivity (minutes)"), "int", min_value=5, max_value=20160,
                required=True),
    ]),
    ("jobs", L("Background jobs"), [
        Setting("jobs.retention_days.scheduled", L("Keep finished scheduled runs (days)"), "int", min_value=1,
                max_value=3650, required=True),
        Setting("jobs.retention_days.other", L("Keep other finished jobs (days)"), "int", min_value=1, max_value=3650,
                required=True, help=L("Exports, prints and imports: their job page is gone after this.")),
    ]),
    ("smtp", L("Email (SMTP)"), [
        Setting("smtp.host", L("SMTP host"), max_length=200),
        Setting("smtp.port", L("SMTP port"), "int", min_value=0, max_value=65535, help=L("0 means not set.")),
        Setting("smtp.user", L("SMTP user"), max_length=200),
        Setting("smtp.password", L("SMTP password"), "secret", max_length=200),
    ]),
    ("wechat", L("WeChat"), [
        Setting("wechat.appid", L("WeChat AppID"), max_length=64),
        Setting("wechat.secret", L("WeChat AppSecret"), "secret", max_length=200),
    ]),
    ("sms", L("SMS"), [
        Setting("sms.api_key", L("SMS API key"), "secret", max_length=200),
        Setting("sms.webhook_allowed_hosts", L("Webhook hosts allowed off the public internet"), max_length=500,
                help=L("Host names or addresses, separated by commas, that SMS webhooks may reach although they are "
                       "loopback or private (local setups), e.g. 127.0.0.1")),
    ]),
]
SETTINGS = [s for _key, _label, items in SECTIONS for s in items]


def settings_form(data: dict | None = None, hints: dict[str, str] | None = None) -> Form:
    """The form for every setting; a secret gets a password input (never pre-filled) and a "clear" box."""
    hints = hints or {}
    fields: list[Field] = []
    for s in SETTINGS:
        if s.kind == "secret":
            hint = (_("Set (%(mask)s). Leave empty to keep it.", mask=hints[s.key]) if hints.get(s.key)
                    else _("Not set."))
            fields.append(Field(s.name, s.label, "password", max_length=s.max_length, help=hint))
            fields.append(Field(s.name + "_clear", L("Clear the stored value"), "checkbox"))
        else:
            fields.append(Field(s.name, s.label, "int" if s.kind == "int" else "text", required=s.required,
                                max_length=s.max_length, min_value=s.min_value, max_value=s.max_value, help=s.help))
    return Form(fields, data or {})


async def _stored() -> dict[str, Any]:
    settings_store.invalidate()  # the in-process cache may be a few seconds old
    return dict(await settings_store.all_settings())


async def form_state() -> tuple[dict[str, Any], dict[str, str]]:
    """(form data without any secret, masked hints for the secrets that are set)."""
    stored = await _stored()
    data = {s.name: stored.get(s.key, DEFAULTS.get(s.key)) for s in SETTINGS if s.kind != "secret"}
    hints = {key: mask_secret(stored.get(key) or "") for key in SECRET_KEYS}
    return data, hints


def _normalise(s: Setting, value: Any) -> Any:
    if s.kind == "int":
        return value if value is not None else DEFAULTS.get(s.key, 0)
    value = (value or "").strip()
    if s.kind == "url" and value and not (value.startswith(("https://", "http://"))
                                          or (value.startswith("/") and not value.startswith("//"))):
        raise Invalid(s.name, _("Enter an address starting with https://, http:// or /."))
    if s.kind == "types":
        exts = [e.strip().lstrip(".").lower() for e in value.split(",") if e.strip()]
        bad = [e for e in exts if not EXT_RE.match(e)]
        if bad or not exts:
            raise Invalid(s.name, _("Not a file extension: %(ext)s", ext=bad[0] if bad else value))
        value = ",".join(dict.fromkeys(exts))
    return value


def _shown(key: str, value: Any, *, after: bool = False) -> Any:
    """A setting as the audit log holds it: secrets only as set / changed / empty."""
    if key not in SECRET_KEYS:
        return value
    if not value:
        return ""
    return CHANGED if after else SET


async def save(actor: Actor, cleaned: dict[str, Any]) -> list[str]:
    """Apply a validated settings form; returns the keys that changed. An empty secret keeps the stored
    value, its "clear" box removes it. One audit entry with the changed keys, secrets redacted."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    async with db.transaction():
        stored = await _stored()
        for s in SETTINGS:
            current = stored.get(s.key)
            if s.kind == "secret":
                if cleaned.get(s.name + "_clear"):
                    if current:
                        await db.execute("DELETE FROM site_setting WHERE key = $1", s.key)
                        before[s.key], after[s.key] = _shown(s.key, current), ""
                    continue
                new = (cleaned.get(s.name) or "").strip()
                if not new or new == current:
                    continue
            else:
                new = _normalise(s, cleaned.get(s.name))
                if new == current:
                    continue
            await settings_store.put(s.key, new, actor.id)
            before[s.key], after[s.key] = _shown(s.key, current), _shown(s.key, new, after=True)
        if after:
            await audit.record(actor, "update", "site_setting", "site", before=before, after=after,
                               summary=", ".join(after))
    settings_store.invalidate()
    return list(after)
