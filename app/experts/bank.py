"""An expert's bank details for fees (EXP-09): the account number is encrypted at rest with AES-GCM under a key
derived by HKDF from the app secret (per key_version, bound to the expert's id); everything shows it masked
(`**** 1234`). The clear number comes only from `account_number(...)` (the finance sheet), audited."""
from __future__ import annotations

import base64
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.config import get_settings
from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.permissions import PermissionDenied

KEY_VERSION = 1
REVEAL_PERMISSION = "exp.invite.manage"


def _key(version: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"tongchuang-exp-bank",
                info=f"exp_bank_account v{version}".encode()).derive(get_settings().secret_key.encode())


def _aad(expert_id: int) -> bytes:
    return f"exp_bank_account:{expert_id}".encode()  # a ciphertext copied to another expert's row won't open


def encrypt(expert_id: int, number: str, version: int = KEY_VERSION) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_key(version)).encrypt(nonce, number.encode(), _aad(expert_id))
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(expert_id: int, token: str, version: int) -> str:
    raw = base64.urlsafe_b64decode(token.encode())
    return AESGCM(_key(version)).decrypt(raw[:12], raw[12:], _aad(expert_id)).decode()


def masked(last4: str) -> str:
    return f"**** {last4}" if last4 else ""


def clean(data: dict) -> dict:
    out = {}
    for key, limit, required in (("holder", 64, True), ("bank", 100, True), ("branch", 100, False)):
        value = " ".join(str(data.get(key) or "").split())
        if required and not value:
            raise Invalid(key, _("This field is required."))
        if len(value) > limit:
            raise Invalid(key, _("At most %(n)s characters.", n=limit))
        out[key] = value
    number = re.sub(r"[\s-]", "", str(data.get("account") or ""))
    if not number:
        raise Invalid("account", _("This field is required."))
    if not number.isdigit() or not 12 <= len(number) <= 30 or not number.isascii():
        raise Invalid("account", _("An account number has 12 to 30 digits."))
    out["account"] = number
    return out


async def save(actor: Actor, expert_id: int, data: dict) -> None:
    """Enter or replace the expert's bank details; the audit log keeps only the masked number."""
    values = clean(data)
    number = values.pop("account")
    shown = {**values, "account": masked(number[-4:])}
    async with db.transaction():
        before = await get(expert_id)
        await db.execute(
            "INSERT INTO exp_bank_account (expert, holder, bank, branch, account_enc, account_last4, key_version,"
            " changed_by, created_by) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$8) ON CONFLICT (expert) DO UPDATE SET"
            " holder = EXCLUDED.holder, bank = EXCLUDED.bank, branch = EXCLUDED.branch,"
            " account_enc = EXCLUDED.account_enc, account_last4 = EXCLUDED.account_last4,"
            " key_version = EXCLUDED.key_version, changed_by = EXCLUDED.changed_by, updated_at = now(),"
            " updated_by = EXCLUDED.changed_by", expert_id, values["holder"], values["bank"], values["branch"],
            encrypt(expert_id, number), number[-4:], KEY_VERSION, actor.id)
        await audit.record(actor, "bank_account", "exp_expert", expert_id, summary=shown["account"],
                           before=before, after=shown)


async def get(expert_id: int) -> dict | None:
    """Holder, bank, branch and the masked number ("account") — never the clear one."""
    row = await db.fetchrow("SELECT holder, bank, branch, account_last4, updated_at FROM exp_bank_account"
                            " WHERE expert = $1", expert_id)
    if row is None:
        return None
    return {"holder": row["holder"], "bank": row["bank"], "branch": row["branch"],
            "account": masked(row["account_last4"]), "updated_at": row["updated_at"]}


async def account_number(actor: Actor, expert_id: int) -> str | None:
    """The clear account number, for the finance sheet only: permission checked, every read audited."""
    if not actor.can(REVEAL_PERMISSION):
        raise PermissionDenied()
    row = await db.fetchrow("SELECT account_enc, key_version, account_last4 FROM exp_bank_account WHERE expert = $1",
                            expert_id)
    if row is None:
        return None
    try:
        number = decrypt(expert_id, row["account_enc"], row["key_version"])
    except (InvalidTag, ValueError):
        raise Invalid("account", _("The stored account number cannot be read (key changed?).")) from None
    await audit.record(actor, "reveal_bank_account", "exp_expert", expert_id, summary=masked(row["account_last4"]))
    return number
