"""Login providers (SUP-05, SUP-08): the school CAS and OIDC servers and the WeChat official accounts we
accept logins from (idn_provider). Admin CRUD (audited, secrets never shown back), and the three built-in
providers that point at the local IdP (`base_url` '' = settings.idp_url, resolved when used)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from app.config import get_settings
from app.core import audit, db
from app.core.audit import SYSTEM, Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.security import mask_secret

KINDS = {"cas": L("CAS (school single sign-on)"), "oidc": L("OpenID Connect"), "wechat": L("WeChat web OAuth")}
MAPPINGS = {"number": L("By student or staff number"), "email": L("By email address"),
            "manual": L("Manual binding only")}
CAS_VERSIONS = ("2", "3")
WECHAT_SCOPES = ("snsapi_base", "snsapi_userinfo")
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,39}$")
URL_RE = re.compile(r"^https?://[^\s/]+(/[^\s]*)?$")
COLUMNS = ("code", "kind", "name", "base_url", "api_url", "client_id", "client_secret", "scopes", "cas_version",
           "mapping", "number_attribute", "auto_create", "enabled", "sort")

BUILTIN = (
    {"code": "cas", "kind": "cas", "name": "统一身份认证 (CAS)", "mapping": "number", "number_attribute": "number",
     "cas_version": "3", "sort": 1},
    {"code": "oidc", "kind": "oidc", "name": "统一身份认证 (OIDC)", "mapping": "email", "client_id": "tongchuang",
     "client_secret": "tongchuang-dev-secret", "scopes": "openid profile email", "number_attribute": "school_number",
     "sort": 2},
    {"code": "wechat", "kind": "wechat", "name": "微信", "mapping": "manual", "client_id": "wxdev00000000001",
     "client_secret": "wechat-dev-secret", "scopes": "snsapi_userinfo", "sort": 3},
)


@dataclass(frozen=True)
class Provider:
    id: int
    code: str
    kind: str
    name: str
    base_url: str
    api_url: str
    client_id: str
    client_secret: str
    scopes: str
    cas_version: str
    mapping: str
    number_attribute: str
    auto_create: bool
    enabled: bool
    sort: int

    @classmethod
    def of(cls, row: dict) -> Provider:
        return cls(**{k: row[k] for k in ("id", *COLUMNS)})

    @property
    def base(self) -> str:
        """The server prefix this provider talks to: its own, or the built-in IdP's."""
        return (self.base_url or get_settings().idp_url).rstrip("/")

    @property
    def api(self) -> str:
        """WeChat's API host (api.weixin.qq.com) when it differs from the OAuth page host."""
        return (self.api_url or self.base).rstrip("/")

    @property
    def wants_userinfo(self) -> bool:
        return self.kind == "wechat" and "snsapi_userinfo" in self.scopes

    @property
    def secret_masked(self) -> str:
        return mask_secret(self.client_secret)


class NotFound(Exception):
    pass


async def by_code(code: str, *, enabled_only: bool = True) -> Provider | None:
    row = await db.fetchrow("SELECT * FROM idn_provider WHERE code = $1" + (" AND enabled" if enabled_only else ""),
                            code)
    return Provider.of(row) if row else None


async def get(provider_id: int) -> Provider:
    row = await db.fetchrow("SELECT * FROM idn_provider WHERE id = $1", provider_id)
    if row is None:
        raise NotFound()
    return Provider.of(row)


async def list_all() -> list[Provider]:
    return [Provider.of(r) for r in await db.fetch("SELECT * FROM idn_provider ORDER BY sort, id")]


async def enabled(kinds: tuple[str, ...] = ("cas", "oidc", "wechat")) -> list[Provider]:
    rows = await db.fetch("SELECT * FROM idn_provider WHERE enabled AND kind = ANY($1) ORDER BY sort, id", list(kinds))
    return [Provider.of(r) for r in rows]


def _public(values: dict) -> dict:
    """What the audit log keeps of a provider: everything but the secret in clear."""
    return {**values, "client_secret": mask_secret(values.get("client_secret"))}


def _clean(data: dict[str, Any], before: Provider | None) -> dict:
    values = {
        "code": (data.get("code") or "").strip().lower(),
        "kind": data.get("kind") or "",
        "name": (data.get("name") or "").strip(),
        "base_url": (data.get("base_url") or "").strip().rstrip("/"),
        "api_url": (data.get("api_url") or "").strip().rstrip("/"),
        "client_id": (data.get("client_id") or "").strip(),
        "client_secret": (data.get("client_secret") or "").strip(),
        "scopes": " ".join((data.get("scopes") or "").split()),
        "cas_version": data.get("cas_version") or "3",
        "mapping": data.get("mapping") or "manual",
        "number_attribute": (data.get("number_attribute") or "").strip(),
        "auto_create": bool(data.get("auto_create")),
        "enabled": bool(data.get("enabled")),
        "sort": int(data.get("sort") or 0),
    }
    if before is not None:
        values["code"] = before.code  # the code is in every callback URL registered at the IdP: fixed
        values["kind"] = before.kind
        if not values["client_secret"]:
            values["client_secret"] = before.client_secret  # an empty field keeps the secret
    if not CODE_RE.match(values["code"]):
        raise Invalid("code", _("Use 2 to 40 lowercase letters, digits, - or _."))
    if values["kind"] not in KINDS:
        raise Invalid("kind", _("Choose from the list."))
    if not values["name"]:
        raise Invalid("name", _("This field is required."))
    for name in ("base_url", "api_url"):
        if values[name] and not URL_RE.match(values[name]):
            raise Invalid(name, _("Enter an http:// or https:// address."))
    if values["mapping"] not in MAPPINGS:
        raise Invalid("mapping", _("Choose from the list."))
    if values["cas_version"] not in CAS_VERSIONS:
        raise Invalid("cas_version", _("Choose from the list."))
    if values["kind"] in ("oidc", "wechat"):
        if not values["client_id"]:
            raise Invalid("client_id", _("This provider needs a client id (WeChat: the appid)."))
        if not values["client_secret"]:
            raise Invalid("client_secret", _("This provider needs a client secret."))
    if values["kind"] == "oidc" and "openid" not in values["scopes"].split():
        raise Invalid("scopes", _("OpenID Connect needs the scope “openid”."))
    if values["kind"] == "wechat":
        if values["scopes"] not in WECHAT_SCOPES:
            raise Invalid("scopes", _("Use snsapi_base or snsapi_userinfo."))
        if values["mapping"] != "manual":
            raise Invalid("mapping", _("WeChat accounts carry no number or email: use manual binding."))
    return values


async def save(actor: Actor, data: dict[str, Any], provider_id: int | None = None) -> int:
    """Creates or updates a provider from form values; raises Invalid for a refused value."""
    before = await get(provider_id) if provider_id else None
    values = _clean(data, before)
    async with db.transaction():
        if before is None:
            if await db.fetchval("SELECT 1 FROM idn_provider WHERE code = $1", values["code"]):
                raise Invalid("code", _("This code is taken."))
            provider_id = await db.fetchval(
                f"INSERT INTO idn_provider ({', '.join(COLUMNS)}, created_by, updated_by) VALUES"
                f" ({', '.join(f'${i + 1}' for i in range(len(COLUMNS)))}, ${len(COLUMNS) + 1},"
                f" ${len(COLUMNS) + 1}) RETURNING id", *[values[c] for c in COLUMNS], actor.id)
            await audit.record(actor, "create", "idn_provider", provider_id, after=_public(values))
        else:
            sets = ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(COLUMNS))
            await db.execute(f"UPDATE idn_provider SET {sets}, updated_at = now(), updated_by = ${len(COLUMNS) + 2}"
                             " WHERE id = $1", provider_id, *[values[c] for c in COLUMNS], actor.id)
            old = {c: getattr(before, c) for c in COLUMNS}
            await audit.record(actor, "update", "idn_provider", provider_id, before=_public(old),
                               after=_public(values), summary=", ".join(audit.changed(old, values)))
    return provider_id


async def set_enabled(actor: Actor, provider_id: int, on: bool) -> None:
    provider = await get(provider_id)
    async with db.transaction():
        await db.execute("UPDATE idn_provider SET enabled = $2, updated_at = now(), updated_by = $3 WHERE id = $1",
                         provider_id, on, actor.id)
        await audit.record(actor, "enable" if on else "disable", "idn_provider", provider_id, summary=provider.code,
                           before={"enabled": provider.enabled}, after={"enabled": on})


async def ensure_builtin() -> list[int]:
    """The CAS, OIDC and WeChat providers of the built-in IdP, created once by code (idempotent: an existing
    row, perhaps edited by an admin, is left as it is)."""
    ids = []
    for spec in BUILTIN:
        existing = await db.fetchval("SELECT id FROM idn_provider WHERE code = $1", spec["code"])
        if existing:
            ids.append(existing)
            continue
        values = {"base_url": "", "api_url": "", "client_id": "", "client_secret": "", "scopes": "",
                  "cas_version": "3", "number_attribute": "", "auto_create": False, "enabled": True, **spec}
        async with db.transaction():
            provider_id = await db.fetchval(
                f"INSERT INTO idn_provider ({', '.join(COLUMNS)}) VALUES"
                f" ({', '.join(f'${i + 1}' for i in range(len(COLUMNS)))}) ON CONFLICT (code) DO NOTHING RETURNING id",
                *[values[c] for c in COLUMNS])
            if provider_id:
                await audit.record(SYSTEM, "create", "idn_provider", provider_id, after=_public(values),
                                   summary="built-in")
        ids.append(provider_id or await db.fetchval("SELECT id FROM idn_provider WHERE code = $1", spec["code"]))
    return ids
