"""Tables of invitations and fees (EXP-04, EXP-07, EXP-09, EXP-19): a project (from the coming reviews module or
entered by the review office) invites an expert; the expert accepts, declines or leaves; after the review the
fee is confirmed and e-signed. Bank details are encrypted at rest."""
from piccolo.columns import JSONB, BigInt, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from app.core.tables import AppUser, OrgNode, Stamped
from app.experts.tables import ExpExpert


class ExpInvitation(Stamped, Table, tablename="exp_invitation"):
    """One expert invited to one project's review. `project_ref` is opaque to the pool ("reviews:12", or
    "manual:<n>" for a project the office entered by hand); `department` is the org node that runs the project
    (monthly per-department report, EXP-19)."""
    expert = ForeignKey(ExpExpert, on_delete=OnDelete.cascade, index=True)
    project_ref = Varchar(length=64, index=True)
    project_title = Varchar(length=200)
    department = ForeignKey(OrgNode, null=True, default=None, on_delete=OnDelete.set_null, index=True)
    opens_at = Timestamptz()  # when the review opens (leave allowed until experts.leave_hours before)
    place = Varchar(length=200, default="")
    files = JSONB(default="[]")  # [{"key": storage key, "name": file name, "size": bytes}]
    status = Varchar(length=16, default="invited")  # invited / accepted / declined / left / cancelled / attended
    reason = Text(default="")  # why declined / left
    responded_at = Timestamptz(null=True, default=None)
    invited_by = ForeignKey(AppUser, null=True, default=None, on_delete=OnDelete.set_null)
    reminded_at = Timestamptz(null=True, default=None)  # the 24 h reminder went out (jobs.py)


class ExpFee(Stamped, Table, tablename="exp_fee"):
    """The fee of one invitation (EXP-09): the office fills workload and amount, the expert confirms it with an
    e-signature (a PNG drawn on the phone, or the typed name without JS)."""
    invitation = ForeignKey(ExpInvitation, on_delete=OnDelete.cascade, unique=True)
    workload = Text(default="")
    amount_cents = Integer(default=0)
    status = Varchar(length=16, default="pending")  # pending / confirmed / disputed / paid
    signature_key = Varchar(length=200, default="")  # storage key of the drawn signature (PNG)
    signed_name = Varchar(length=64, default="")  # the typed name (fallback, or beside the drawing)
    signed_at = Timestamptz(null=True, default=None)
    signed_ip = Varchar(length=64, default="")
    note = Text(default="")


class ExpBankAccount(Stamped, Table, tablename="exp_bank_account"):
    """An expert's bank details for fees (EXP-09): the account number only encrypted (`account_enc`), with its
    last four digits kept in clear for the masked display."""
    expert = ForeignKey(ExpExpert, on_delete=OnDelete.cascade, unique=True)
    holder = Varchar(length=64)
    bank = Varchar(length=100)
    branch = Varchar(length=100, default="")
    account_enc = Text()
    account_last4 = Varchar(length=4)
    key_version = Integer(default=1)
    changed_by = BigInt(null=True, default=None)
