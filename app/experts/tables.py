"""Tables of the expert pool (EXP-01 … EXP-20), prefix exp_. Constraints and indexes Piccolo cannot express
(the one-phone rule over live experts, status checks) live in the plain-SQL migration."""
from piccolo.columns import JSONB, Array, BigInt, Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.core.tables import AppUser, Stamped


class ExpField(Stamped, Table, tablename="exp_field"):
    """One node of the three-level taxonomy of fields of expertise (EXP-13): level 1 → 2 → 3, extendable."""
    parent = ForeignKey("self", null=True, default=None, on_delete=OnDelete.restrict)
    level = Integer(default=1)
    code = Varchar(length=40, unique=True)  # used by imports and exports
    name = Varchar(length=100)
    sort = Integer(default=0)


class ExpExpert(Stamped, Table, tablename="exp_expert"):
    """A formal expert of the pool (EXP-01 … EXP-20): created from an approved application, by an admin or
    by an import. The phone identifies the expert (unique over experts not deleted)."""
    name = Varchar(length=64)
    gender = Varchar(length=8, default="")
    birth_date = Date(null=True, default=None)
    phone = Varchar(length=32)
    email = Varchar(length=254, default="")
    employer = Varchar(length=200, default="")
    title = Varchar(length=64, default="")  # 职称
    specialty = Varchar(length=200, default="")  # 专业方向
    industry = Varchar(length=64, default="")
    region = Varchar(length=64, default="")
    postcode = Varchar(length=16, default="")
    expert_type = Varchar(length=32, default="individual")  # individual / organisation
    fields = Array(base_column=BigInt(), default=list)  # exp_field ids (any level)
    status = Varchar(length=16, default="formal")  # formal / deleted / blacklisted
    status_reason = Text(default="")
    source = Varchar(length=16, default="admin")  # apply / recommend / admin / import
    recommended_by = BigInt(null=True, default=None)  # exp_expert.id of the recommending expert
    user = ForeignKey(AppUser, null=True, default=None, on_delete=OnDelete.set_null)
    number = Varchar(length=32, unique=True)  # the certificate number, e.g. EXP2026000123
    valid_until = Date(null=True, default=None)


class ExpApplication(Stamped, Table, tablename="exp_application"):
    """A multi-step application to join the pool (EXP-01, EXP-10): a draft until submitted, then walks the
    configured approval levels; approval makes an ExpExpert."""
    phone = Varchar(length=32, index=True)
    email = Varchar(length=254, default="")
    email_verified = Varchar(length=254, default="")  # the address whose code was confirmed
    data = JSONB(default="{}")  # the typed answers of every step
    step = Integer(default=1)
    status = Varchar(length=16, default="draft")  # draft / pending / approved / rejected
    level = Integer(default=0)  # index into the approval chain while pending
    recommended_by = BigInt(null=True, default=None)  # exp_expert.id
    expert = BigInt(null=True, default=None)  # the exp_expert created on approval
    submitted_at = Timestamptz(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)


class ExpApproval(Table, tablename="exp_approval"):
    """One decision of one approval level on an application (EXP-12)."""
    application = ForeignKey(ExpApplication, on_delete=OnDelete.cascade, index=True)
    level = Integer()
    level_name = Varchar(length=64, default="")
    decision = Varchar(length=16)  # approve / reject
    note = Text(default="")
    reviewer = ForeignKey(AppUser, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


class ExpCode(Table, tablename="exp_code"):
    """A one-time verification code for an application's phone or email; only its HMAC is kept."""
    target = Varchar(length=254)  # the phone (11 digits) or the email address
    channel = Varchar(length=8)  # sms / email
    code_hash = Varchar(length=128)
    attempts = Integer(default=0)
    ip = Varchar(length=64, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class ExpRecommendation(Stamped, Table, tablename="exp_recommendation"):
    """An existing expert recommends someone (EXP-02): the signed link mailed to them names this row."""
    recommender = ForeignKey(ExpExpert, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=64)
    phone = Varchar(length=32)
    email = Varchar(length=254)
    application = BigInt(null=True, default=None)  # the application opened from the link


class ExpChange(Table, tablename="exp_change"):
    """Before/after history of every change to an expert's record (EXP-03)."""
    expert = ForeignKey(ExpExpert, on_delete=OnDelete.cascade, index=True)
    before = JSONB(default="{}")
    after = JSONB(default="{}")
    actor = ForeignKey(AppUser, null=True, default=None, on_delete=OnDelete.set_null)
    actor_name = Varchar(length=64, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class ExpChangeRequest(Stamped, Table, tablename="exp_change_request"):
    """An expert's edit of approval-gated fields (EXP-03), applied only when an admin approves it."""
    expert = ForeignKey(ExpExpert, on_delete=OnDelete.cascade, index=True)
    before = JSONB(default="{}")
    after = JSONB(default="{}")
    status = Varchar(length=16, default="pending")  # pending / approved / rejected
    note = Text(default="")
    decided_by = ForeignKey(AppUser, null=True, default=None, on_delete=OnDelete.set_null)
    decided_at = Timestamptz(null=True, default=None)


class ExpLeave(Table, tablename="exp_leave"):
    """A long leave (EXP-05): no draw picks the expert between the two dates; it ends by itself."""
    expert = ForeignKey(ExpExpert, on_delete=OnDelete.cascade, index=True)
    starts_on = Date()
    ends_on = Date()
    reason = Varchar(length=200, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class ExpAvoidUnit(Table, tablename="exp_avoid_unit"):
    """A unit the expert must not review (EXP-06): a current or past employer; the draw skips its projects."""
    expert = ForeignKey(ExpExpert, on_delete=OnDelete.cascade, index=True)
    unit = Varchar(length=200)
    kind = Varchar(length=16, default="current")  # current / past
    created_at = Timestamptz(default=TimestamptzNow())
