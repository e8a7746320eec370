"""Piccolo tables of the operations module (prefix ops_): custom forms (the typed-field form builder used by
event signups and surveys), event categories, events, ticket types, registrations and check-ins.
Owners (HQ, an org, a class) are stored as owner_kind/owner_id, never as foreign keys into other modules.
Constraints Piccolo cannot express (partial unique indexes, CHECKs) live in the plain-SQL migration."""
from piccolo.columns import (
    JSONB,
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.core.tables import AppUser, Stamped


class OpsForm(Stamped, Table, tablename="ops_form"):
    """A form built from typed fields (OPS-02 signup forms, OPS-05 surveys). `purpose`: event / survey."""
    title = Varchar(length=200)
    description = Text(default="")
    purpose = Varchar(length=16, default="event")


class OpsFormField(Stamped, Table, tablename="ops_form_field"):
    """One question. kind: text / textarea / choice / multiple / date / phone / id_number / email / number / file /
    image / agreement. `options`: ["label", …] for choice and multiple. `show_if`: {"field": key, "values": [...]}
    — the field is asked (and required) only when that earlier field's answer is one of the values (skip logic)."""
    form = ForeignKey(OpsForm, on_delete=OnDelete.cascade)
    key = Varchar(length=40)
    label = Varchar(length=200)
    kind = Varchar(length=16, default="text")
    required = Boolean(default=False)
    options = JSONB(default=[])
    help = Varchar(length=300, default="")
    show_if = JSONB(null=True, default=None)
    sort = Integer(default=0)


class OpsFormResponse(Stamped, Table, tablename="ops_form_response"):
    """One filled form: answers by field key (files and images as storage keys with their names)."""
    form = ForeignKey(OpsForm, on_delete=OnDelete.cascade)
    user = ForeignKey(AppUser, null=True, on_delete=OnDelete.set_null)
    answers = JSONB(default={})
    submitted_at = Timestamptz(default=TimestamptzNow())


class OpsCategory(Stamped, Table, tablename="ops_category"):
    """An event category board (活动分类版块)."""
    name = Varchar(length=60, unique=True)
    sort = Integer(default=0)
    enabled = Boolean(default=True)


class OpsEvent(Stamped, Table, tablename="ops_event"):
    """An event (OPS-02). owner: ("hq", 0), ("org", id) or ("class", id) (CLS-05). status: draft → pending (an
    alumni-initiated event waiting for its org's approval, OPS-03) → published → closed / cancelled; rejected."""
    owner_kind = Varchar(length=16, default="hq")
    owner_id = BigInt(default=0)
    category = ForeignKey(OpsCategory, null=True, on_delete=OnDelete.set_null)
    title = Varchar(length=200)
    summary = Varchar(length=500, default="")
    body_html = Text(default="")
    place = Varchar(length=200, default="")
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    signup_opens = Timestamptz(null=True, default=None)
    signup_closes = Timestamptz(null=True, default=None)
    status = Varchar(length=16, default="draft")
    needs_approval = Boolean(default=False)  # each registration waits for the organisers
    verified_only = Boolean(default=False)
    form = ForeignKey(OpsForm, null=True, on_delete=OnDelete.set_null)
    seating = Varchar(length=16, default="none")  # none / seat / table
    table_size = SmallInt(default=10)
    reminder_minutes = JSONB(default=[1440, 120])  # reminders this many minutes before the start
    wall_enabled = Boolean(default=True)  # attendees post to the interaction wall (moderated by the content platform)
    tips_enabled = Boolean(default=False)  # attendees tip wall posts with points
    reminders_sent = JSONB(default=[])  # the offsets already sent (reminders.py claims each once)
    initiator = ForeignKey(AppUser, null=True, on_delete=OnDelete.set_null)
    reject_reason = Varchar(length=300, default="")
    published_at = Timestamptz(null=True, default=None)


class OpsTicketType(Stamped, Table, tablename="ops_ticket_type"):
    """A ticket type: free, paid (fen, through the payment adapter) or points (through the points API), with a
    quota (`taken` counts confirmed and reserved places; it never exceeds the quota), a sale window and a
    per-person limit."""
    event = ForeignKey(OpsEvent, on_delete=OnDelete.cascade)
    name = Varchar(length=100)
    kind = Varchar(length=16, default="free")
    price = Integer(default=0)  # fen for paid, points for points tickets
    quota = Integer(default=100)
    taken = Integer(default=0)
    per_person = SmallInt(default=1)
    sale_starts = Timestamptz(null=True, default=None)
    sale_ends = Timestamptz(null=True, default=None)
    sort = Integer(default=0)


class OpsRegistration(Stamped, Table, tablename="ops_registration"):
    """One place (one ticket) of one person. status: pending (waiting for approval) / unpaid (a paid ticket
    reserved until its payment callback or timeout) / confirmed / waitlisted / cancelled / rejected.
    `code` is the ticket's check-in code (on the e-ticket and in its QR)."""
    event = ForeignKey(OpsEvent, on_delete=OnDelete.cascade)
    ticket_type = ForeignKey(OpsTicketType, on_delete=OnDelete.cascade)
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, index=True)
    status = Varchar(length=16, default="confirmed")
    holds_place = Boolean(default=False)  # counted in the ticket type's `taken`
    code = Varchar(length=16, unique=True)
    response = ForeignKey(OpsFormResponse, null=True, on_delete=OnDelete.set_null)
    name = Varchar(length=100, default="")
    phone = Varchar(length=32, default="")
    seat = Varchar(length=32, default="")
    payment_ref = Varchar(length=64, default="")
    pay_by = Timestamptz(null=True, default=None)  # an unpaid reservation lapses after this
    refund_ref = Varchar(length=64, default="")
    points_key = Varchar(length=80, default="")
    paid_at = Timestamptz(null=True, default=None)
    confirmed_at = Timestamptz(null=True, default=None)
    cancelled_at = Timestamptz(null=True, default=None)
    checked_in_at = Timestamptz(null=True, default=None)
    checked_in_by = ForeignKey(AppUser, null=True, on_delete=OnDelete.set_null)
    reject_reason = Varchar(length=300, default="")


class OpsCheckin(Table, tablename="ops_checkin"):
    """Every check-in attempt a scanner or staff member made (accepted or refused, with why), so a door's
    count can be audited; `client_ref` makes a re-sent offline scan idempotent."""
    event = ForeignKey(OpsEvent, on_delete=OnDelete.cascade)
    registration = ForeignKey(OpsRegistration, null=True, on_delete=OnDelete.cascade)
    code = Varchar(length=64, default="")
    result = Varchar(length=16)  # ok / already / unknown / other_event / not_confirmed
    method = Varchar(length=16, default="code")  # scan / code / bulk / offline
    client_ref = Varchar(length=64, null=True, default=None)
    scanned_at = Timestamptz(default=TimestamptzNow())
    staff = ForeignKey(AppUser, null=True, on_delete=OnDelete.set_null)


class OpsLottery(Stamped, Table, tablename="ops_lottery"):
    """A lucky draw (OPS-07), shown as a wheel or a nine-grid. Provably fair: at publication a secret seed is drawn
    and only its SHA-256 (`seed_hash`) is shown; every draw's number is HMAC-SHA256(seed, "<lottery>:<draw no>"),
    so nobody — the office included — can steer a draw once the hash is public; at closing the seed is revealed
    and anyone recomputes every draw from the public log (lottery.verify)."""
    title = Varchar(length=200)
    description = Text(default="")
    style = Varchar(length=16, default="wheel")  # wheel / grid
    status = Varchar(length=16, default="draft")  # draft / open / closed
    starts_at = Timestamptz(null=True, default=None)
    ends_at = Timestamptz(null=True, default=None)
    per_user = SmallInt(default=1)  # draws per person in all
    per_day = SmallInt(default=1)  # draws per person per day
    verified_only = Boolean(default=False)
    seed = Varchar(length=64, default="")  # hex; secret until closed
    seed_hash = Varchar(length=64, default="")
    draws = Integer(default=0)  # the last draw number handed out
    revealed_at = Timestamptz(null=True, default=None)


class OpsLotteryPrize(Stamped, Table, tablename="ops_lottery_prize"):
    """A prize with its stock and its chance in basis points (1/10 000); what the chances leave is "no prize".
    `given` only ever rises inside the draw's transaction, never above `stock`."""
    lottery = ForeignKey(OpsLottery, on_delete=OnDelete.cascade)
    name = Varchar(length=100)
    stock = Integer(default=1)
    given = Integer(default=0)
    chance = Integer(default=0)  # basis points
    sort = Integer(default=0)


class OpsLotteryDraw(Table, tablename="ops_lottery_draw"):
    """One draw, public after closing: who, the draw number, the number it produced and what it won."""
    lottery = ForeignKey(OpsLottery, on_delete=OnDelete.cascade)
    number = Integer()
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade)
    value = BigInt()  # the first 8 bytes of the HMAC, as an integer
    prize = ForeignKey(OpsLotteryPrize, null=True, on_delete=OnDelete.set_null)
    drawn_at = Timestamptz(default=TimestamptzNow())


class OpsVote(Stamped, Table, tablename="ops_vote"):
    """A vote (OPS-04). status: draft → pending (an alumnus's own vote waiting for its org, later) → open → closed.
    Each person may choose up to `max_choices` options (one ballot per option); `results`: live / after_close /
    hidden (only organisers)."""
    owner_kind = Varchar(length=16, default="hq")
    owner_id = BigInt(default=0)
    title = Varchar(length=200)
    description = Text(default="")
    status = Varchar(length=16, default="draft")
    starts_at = Timestamptz(null=True, default=None)
    ends_at = Timestamptz(null=True, default=None)
    max_choices = SmallInt(default=1)
    verified_only = Boolean(default=False)
    results = Varchar(length=16, default="live")


class OpsVoteOption(Stamped, Table, tablename="ops_vote_option"):
    vote = ForeignKey(OpsVote, on_delete=OnDelete.cascade)
    label = Varchar(length=200)
    image_key = Varchar(length=300, default="")
    sort = Integer(default=0)
    ballots = Integer(default=0)  # kept with each ballot, in its transaction


class OpsBallot(Table, tablename="ops_ballot"):
    """One person's choice of one option; the IP and device cookie are kept for the burst audit."""
    vote = ForeignKey(OpsVote, on_delete=OnDelete.cascade)
    option = ForeignKey(OpsVoteOption, on_delete=OnDelete.cascade)
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade)
    ip = Varchar(length=64, default="")
    device = Varchar(length=64, default="")
    cast_at = Timestamptz(default=TimestamptzNow())


class OpsCouponType(Stamped, Table, tablename="ops_coupon_type"):
    """A kind of e-coupon (OPS-08): meal, parking, discount …; issued by hand, or by itself when someone signs up
    for or checks in at `event`; redeemed by its holder (when `self_redeem`) or by the staff listed in
    `redeemers`, once."""
    name = Varchar(length=100)
    kind = Varchar(length=16, default="meal")
    description = Varchar(length=500, default="")
    valid_from = Timestamptz(null=True, default=None)
    valid_to = Timestamptz(null=True, default=None)
    issue_on = Varchar(length=16, default="manual")  # manual / signup / checkin
    event = ForeignKey(OpsEvent, null=True, on_delete=OnDelete.set_null)
    self_redeem = Boolean(default=False)
    redeemers = JSONB(default=[])  # user ids of the staff who may redeem by scanning
    enabled = Boolean(default=True)


class OpsCoupon(Table, tablename="ops_coupon"):
    """One coupon in someone's wallet. `source_ref` (e.g. "checkin:<registration>") makes automatic issuing
    idempotent; status: issued → redeemed, or void."""
    type = ForeignKey(OpsCouponType, on_delete=OnDelete.cascade)
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, index=True)
    code = Varchar(length=16, unique=True)
    status = Varchar(length=16, default="issued")
    source_ref = Varchar(length=80, default="")
    issued_at = Timestamptz(default=TimestamptzNow())
    issued_by = BigInt(null=True, default=None)
    redeemed_at = Timestamptz(null=True, default=None)
    redeemed_by = BigInt(null=True, default=None)


class OpsSurvey(Stamped, Table, tablename="ops_survey"):
    """A form or questionnaire (OPS-05) on the custom-form engine: its questions live in ops_form_field of `form`.
    status: draft → open → closed; `once` allows one response per person; `public` lets visitors answer without an
    account (then rate-limited per address)."""
    form = ForeignKey(OpsForm, on_delete=OnDelete.cascade)
    title = Varchar(length=200)
    description = Text(default="")
    status = Varchar(length=16, default="draft")
    starts_at = Timestamptz(null=True, default=None)
    ends_at = Timestamptz(null=True, default=None)
    once = Boolean(default=True)
    public = Boolean(default=False)


class OpsTip(Table, tablename="ops_tip"):
    """Points one attendee gave the author of an interaction-wall post (打赏); `key` is the points ledger key of
    the giver's spend, so a repeated request tips once."""
    event = ForeignKey(OpsEvent, on_delete=OnDelete.cascade)
    post_id = BigInt()
    giver = ForeignKey(AppUser, on_delete=OnDelete.cascade)
    receiver = ForeignKey(AppUser, on_delete=OnDelete.cascade)
    points = Integer()
    key = Varchar(length=80, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
