"""Experts created in bulk (EXP-11 import): one expert through `experts.create` (number, history, audit), its
validity date from the file, and — when the import asks for it — an account for the expert's phone with one
mail saying so. Everything runs in the caller's transaction (the import engine's row transaction), so the
account, the expert, the row's "imported" mark and the queued mail commit together: the mail is sent by a job
after the commit, and a resumed import never creates or mails an expert twice."""
from __future__ import annotations

from datetime import date

from app.config import get_settings
from app.core import audit, db, imports, notify
from app.core.audit import Actor
from app.core.i18n import lazy as L
from app.experts import experts

IMPORT_KIND = "experts"  # the core import spec of experts (import_spec.py registers it under this kind)

ACCOUNT_TEMPLATE = "exp_account_created"

notify.DEFAULT_TEMPLATES.setdefault(ACCOUNT_TEMPLATE, (L("Expert account created"), {
    "email": (L("Your expert pool account"),
              L("Hello {{ name }},\n\nyou were added to the expert pool (number {{ number }}) and an account was "
                "created for you. Log in with your mobile number {{ phone }} and the code sent to it by SMS:\n"
                "{{ link }}")),
}))


async def create_imported(actor: Actor, values: dict, *, create_account: bool = False) -> int:
    """A formal expert from an import row (values as the import spec parsed them)."""
    async with db.transaction():
        user_id, new_account = None, False
        if create_account:
            from app.support import users

            accounts = await users.find_by_phone(values["phone"])
            if accounts:
                user_id = accounts[0]["id"]  # the person has an account already: linked, no mail
            else:
                user_id, new_account = await users.create_for_phone(values["phone"], actor.ip), True
        expert_id = await experts.create(actor, values, source="import", user_id=user_id)
        number = await db.fetchval("SELECT number FROM exp_expert WHERE id = $1", expert_id)
        valid_until = values.get("valid_until")
        if isinstance(valid_until, date):
            await db.execute("UPDATE exp_expert SET valid_until = $2 WHERE id = $1", expert_id, valid_until)
            await audit.record(actor, "update", "exp_expert", expert_id, summary=f"{number} valid_until",
                               after={"valid_until": valid_until})
        if new_account and values.get("email"):
            await notify.notify_address("email", values["email"], ACCOUNT_TEMPLATE, {
                "name": values["name"], "number": number, "phone": values["phone"],
                "link": f"{get_settings().public_url()}/h5/expert"})
    return expert_id


async def remove_imported(actor: Actor, expert_id: int) -> None:
    """Undo one imported expert (the import's rollback): only an expert the import created, not since invited."""
    async with db.transaction():
        row = await db.fetchrow("DELETE FROM exp_expert e WHERE e.id = $1 AND e.source = 'import' AND NOT EXISTS"
                                " (SELECT 1 FROM exp_invitation i WHERE i.expert = e.id) RETURNING number, name, phone",
                                expert_id)
        if row is not None:
            await audit.record(actor, "delete", "exp_expert", expert_id, summary=f"{row['number']} import rolled back",
                               before=row)


async def upload(actor: Actor, filename: str, data: bytes, create_accounts: bool) -> int:
    """Store an uploaded experts file as an import batch with its options; returns the batch id."""
    spec = imports.spec_for(IMPORT_KIND, actor)
    batch_id = await imports.parse_upload(spec, filename, data, actor)
    async with db.transaction():
        await db.execute("INSERT INTO exp_import_option (batch, create_accounts, created_by, updated_by)"
                         " VALUES ($1, $2, $3, $3) ON CONFLICT (batch) DO UPDATE SET create_accounts = $2",
                         batch_id, create_accounts, actor.id)
        await audit.record(actor, "update", "import_batch", batch_id, summary="experts import options",
                           after={"create_accounts": create_accounts})
    return batch_id
