"""Fees of invitations (EXP-09): the office enters the workload and the amount (yuan, kept in fen) of an accepted
or attended invitation; the expert confirms it on the phone with an e-signature (signatures.py: a drawing, or the
typed full name without JS). Signed time, IP and the signature are kept; a confirmed fee no longer changes."""
from __future__ import annotations

from app.core import audit, db, money, pdf
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.experts import invitations, signatures

STATUS_LABELS = invitations.FEE_LABELS
FEE_STATES = ("accepted", "attended")


def _row(row: dict | None) -> dict | None:
    if row is not None:
        row["status_label"] = str(STATUS_LABELS.get(row["status"], row["status"]))
        row["amount"] = money.yuan(row["amount_cents"])
    return row


async def for_invitation(invitation_id: int) -> dict | None:
    return _row(await db.fetchrow("SELECT * FROM exp_fee WHERE invitation = $1", invitation_id))


async def set_fee(actor: Actor, invitation_id: int, workload: str, amount_yuan: str) -> None:
    """The office's entry (or correction, until the expert signed)."""
    workload = (workload or "").strip()
    if not workload:
        raise Invalid("workload", _("This field is required."))
    if len(workload) > 1000:
        raise Invalid("workload", _("At most %(n)s characters.", n=1000))
    cents = money.fen(amount_yuan)
    if cents is None or cents <= 0:
        raise Invalid("amount", _("Enter an amount in yuan, like 800 or 800.50."))
    async with db.transaction():
        row = await invitations.get(invitation_id)
        if row["status"] not in FEE_STATES:
            raise Conflict(_("A fee is entered only for an accepted or attended invitation."))
        before = await db.fetchrow("SELECT workload, amount_cents, status FROM exp_fee WHERE invitation = $1"
                                   " FOR UPDATE", invitation_id)
        if before and before["status"] != "pending":
            raise Conflict(_("The expert already confirmed this fee: it can no longer change."))
        await db.execute(
            "INSERT INTO exp_fee (invitation, workload, amount_cents, created_by) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (invitation) DO UPDATE SET workload = EXCLUDED.workload,"
            " amount_cents = EXCLUDED.amount_cents, updated_at = now(), updated_by = $4",
            invitation_id, workload, cents, actor.id)
        await audit.record(actor, "fee", "exp_invitation", invitation_id, summary=money.yuan(cents),
                           before=dict(before) if before else None, after={"workload": workload, "amount_cents": cents})


async def confirm(actor: Actor, invitation_id: int, data: dict, *, expert_id: int) -> None:
    """The expert's e-signed confirmation of their own fee. Raises Invalid (signature) or Conflict (state)."""
    row = await invitations.get(invitation_id, expert_id=expert_id)
    fee = await for_invitation(invitation_id)
    if fee is None:
        raise Conflict(_("No fee has been entered for this invitation yet."))
    if fee["status"] != "pending":
        raise Conflict(_("This fee is already confirmed."))
    expert_name = await db.fetchval("SELECT name FROM exp_expert WHERE id = $1", row["expert"])
    sig = signatures.parse(data, expected_name=expert_name)
    key = signatures.store(sig)
    try:
        await _signed(actor, invitation_id, fee, sig, key)
    except BaseException:
        signatures.discard(key)  # no drawing stays behind without its confirmation
        raise


async def _signed(actor: Actor, invitation_id: int, fee: dict, sig: signatures.Signature, key: str) -> None:
    async with db.transaction():
        done = await db.execute(
            "UPDATE exp_fee SET status = 'confirmed', signature_key = $2, signed_name = $3, signed_at = now(),"
            " signed_ip = $4, updated_at = now(), updated_by = $5 WHERE invitation = $1 AND status = 'pending'"
            " AND amount_cents = $6", invitation_id, key, sig.name, (actor.ip or "")[:64], actor.id,
            fee["amount_cents"])
        if not done.endswith(" 1"):
            raise Conflict(_("The fee changed meanwhile: please check it again."))
        await audit.record(actor, "fee_confirm", "exp_invitation", invitation_id, summary=fee["amount"],
                           after={"amount_cents": fee["amount_cents"], "signature": sig.kind,
                                  "signed_name": sig.name, "ip": actor.ip})


def signature_png(fee: dict | None) -> bytes | None:
    return signatures.load(fee["signature_key"]) if fee and fee["signature_key"] else None


async def confirmation_pdf(invitation_id: int) -> bytes:
    """The fee confirmation letter with the signature (printables/experts/fee_confirmation.html)."""
    row = await invitations.get(invitation_id)
    fee = await for_invitation(invitation_id)
    if fee is None:
        raise invitations.NotFound()
    expert = await db.fetchrow("SELECT name, number, employer FROM exp_expert WHERE id = $1", row["expert"])
    return await pdf.render_pdf_async("experts/fee_confirmation.html", invitation=row, fee=fee, expert=expert,
                                      signature=signatures.data_url(fee["signature_key"]))
