"""Piccolo tables of the sms module: tenants (accounts) with balance and ledger, API keys, templates,
sends (batches) and the durable outbox of messages, channels, receipts/MO, webhooks, checks,
address books and alerts. Partial indexes for the dispatcher queue and the append-only guard of
the ledger live in a plain-SQL migration."""
from piccolo.columns import (
    JSONB,
    Array,
    BigInt,
    BigSerial,
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

from app.core.tables import AppUser, OrgNode, Stamped


class SmsAccount(Stamped, Table, tablename="sms_account"):
    """A tenant (one per org node) or a sub-account under it (parent set). Balance counts segments."""
    parent = ForeignKey("self", null=True, on_delete=OnDelete.restrict)
    org = ForeignKey(OrgNode, null=True, on_delete=OnDelete.set_null, index=True)
    name = Varchar(length=100)
    balance = BigInt(default=0)  # segments; never negative (CHECK in SQL), equals the ledger sum
    status = Varchar(length=16, default="active")  # active / suspended
    max_tps = Integer(default=200)  # per-account flow control
    low_balance_alert = BigInt(default=0)  # raise an alert when the balance drops below this
    is_system = Boolean(default=False)  # the account the message service (notify) sends through


class SmsAccountMember(Table, tablename="sms_account_member"):
    account = ForeignKey(SmsAccount, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=16, default="operator")  # operator / admin
    created_at = Timestamptz(default=TimestamptzNow())


class SmsApiKey(Stamped, Table, tablename="sms_api_key"):
    account = ForeignKey(SmsAccount, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(AppUser, null=True, on_delete=OnDelete.set_null)
    name = Varchar(length=100)
    prefix = Varchar(length=16)  # first characters of the key, shown in lists
    key_hash = Varchar(length=64, unique=True)  # sha256 hex of the raw key
    scopes = Array(base_column=Varchar(length=16), default=list)  # send / report / mo
    rate_per_sec = Integer(default=50)
    status = Varchar(length=16, default="active")  # active / revoked
    expires_at = Timestamptz(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)


class SmsTemplate(Stamped, Table, tablename="sms_template"):
    account = ForeignKey(SmsAccount, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=100)
    kind = Varchar(length=16, default="notice")  # verification / notice / marketing
    sign = Varchar(length=32, default="")  # 签名, e.g. 【同窗】
    content = Text()  # with {param} placeholders
    status = Varchar(length=16, default="draft")  # draft / pending / approved / rejected
    submitted_by = BigInt(null=True, default=None)
    submitted_at = Timestamptz(null=True, default=None)
    reviewed_by = BigInt(null=True, default=None)
    review_note = Text(default="")
    reviewed_at = Timestamptz(null=True, default=None)


class SmsChannel(Stamped, Table, tablename="sms_channel"):
    name = Varchar(length=64, unique=True)
    kind = Varchar(length=16, default="smpp")  # smpp / http
    config = JSONB(default="{}")  # host, port, system_id, password … (secrets masked in the UI)
    weight = Integer(default=100)
    enabled = Boolean(default=True)
    max_tps = Integer(default=1000)
    health = Varchar(length=16, default="unknown")  # unknown / up / down
    last_error = Text(default="")
    checked_at = Timestamptz(null=True, default=None)


class SmsBatch(Stamped, Table, tablename="sms_batch"):
    """One send request (console, API, notify, resend); its messages live in sms_message."""
    account = ForeignKey(SmsAccount, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(AppUser, null=True, on_delete=OnDelete.set_null)
    api_key = ForeignKey(SmsApiKey, null=True, on_delete=OnDelete.set_null)
    source = Varchar(length=16, default="console")  # console / api / notify / resend
    template = ForeignKey(SmsTemplate, null=True, on_delete=OnDelete.set_null)
    text = Text(default="")  # the text as sent (template rendered; per-number params leave the template text)
    sender = Varchar(length=21, default="")
    scheduled_at = Timestamptz(null=True, default=None)
    status = Varchar(length=16, default="queued")  # scheduled / queued / cancelled / done
    total = Integer(default=0)
    accepted = Integer(default=0)
    rejected = Integer(default=0)
    segments = Integer(default=0)
    cost = BigInt(default=0)
    rejections = JSONB(default="[]")  # [[phone, reason], …] refused at send time


class SmsMessage(Table, tablename="sms_message"):
    """The durable outbox. status: scheduled → queued → submitting → submitted → delivered / failed /
    expired / rejected; cancelled (scheduled, before dispatch). The dispatcher commits `submitting`
    (attempt+1) before it talks to the channel: that is what makes crash recovery exactly-once."""
    id = BigSerial(primary_key=True)
    batch = ForeignKey(SmsBatch, on_delete=OnDelete.cascade, index=True)
    account = ForeignKey(SmsAccount, on_delete=OnDelete.cascade)
    phone = Varchar(length=20)
    text = Text()
    sender = Varchar(length=21, default="")
    encoding = Varchar(length=8, default="gsm7")  # gsm7 / ucs2
    segments = SmallInt(default=1)
    status = Varchar(length=12, default="queued")
    reason = Varchar(length=200, default="")
    channel = ForeignKey(SmsChannel, null=True, on_delete=OnDelete.set_null)
    attempt = SmallInt(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow())
    submitting_at = Timestamptz(null=True, default=None)
    submitted_at = Timestamptz(null=True, default=None)
    channel_ids = Array(base_column=Text(), default=list)
    receipt_status = Varchar(length=12, default="")
    done_at = Timestamptz(null=True, default=None)
    cost = Integer(default=0)  # segments charged
    refunded = Boolean(default=False)  # a failure refunds its segments exactly once
    # Taken from sms_report_seq when the message reaches a final state: the cursor of GET /reports.
    report_seq = BigInt(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class SmsChannelId(Table, tablename="sms_channel_id"):
    """SMSC message id of every segment → our message: receipts name the channel id only."""
    id = BigSerial(primary_key=True)
    channel = Integer()
    channel_msg_id = Varchar(length=64)
    message = BigInt()
    segment = SmallInt(default=1)
    receipt_status = Varchar(length=12, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class SmsLedger(Table, tablename="sms_ledger"):
    """Append-only (a trigger refuses UPDATE/DELETE). amount > 0 adds segments, < 0 spends them."""
    id = BigSerial(primary_key=True)
    account = ForeignKey(SmsAccount, on_delete=OnDelete.restrict, index=True)
    kind = Varchar(length=12)  # topup / charge / refund / adjust
    amount = BigInt()
    balance_after = BigInt()
    ref = Varchar(length=64, default="")  # batch:12 / message:345 / …
    note = Varchar(length=300, default="")
    actor = BigInt(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class SmsBlacklist(Stamped, Table, tablename="sms_blacklist"):
    phone = Varchar(length=20, index=True)
    account = ForeignKey(SmsAccount, null=True, on_delete=OnDelete.cascade)  # null = global
    reason = Varchar(length=200, default="")


class SmsSensitiveWord(Stamped, Table, tablename="sms_sensitive_word"):
    word = Varchar(length=64, unique=True)
    action = Varchar(length=8, default="block")  # block / review


class SmsMo(Table, tablename="sms_mo"):
    """Replies (mobile originated), matched to the account by the extension / last message to the sender."""
    id = BigSerial(primary_key=True)
    account = ForeignKey(SmsAccount, null=True, on_delete=OnDelete.set_null, index=True)
    channel = ForeignKey(SmsChannel, null=True, on_delete=OnDelete.set_null)
    sender = Varchar(length=20)
    to = Varchar(length=21, default="")
    text = Text(default="")
    received_at = Timestamptz(default=TimestamptzNow())
    reply_to = BigInt(null=True, default=None)  # sms_message id


class SmsWebhook(Stamped, Table, tablename="sms_webhook"):
    account = ForeignKey(SmsAccount, on_delete=OnDelete.cascade, index=True)
    url = Varchar(length=500)
    secret = Varchar(length=100)
    events = Array(base_column=Varchar(length=16), default=list)  # report / mo
    enabled = Boolean(default=True)


class SmsWebhookDelivery(Table, tablename="sms_webhook_delivery"):
    """Outbox of pushes: signed with HMAC-SHA256, retried with backoff."""
    id = BigSerial(primary_key=True)
    webhook = ForeignKey(SmsWebhook, on_delete=OnDelete.cascade, index=True)
    event = Varchar(length=16)  # report / mo
    payload = JSONB(default="{}")
    status = Varchar(length=12, default="pending")  # pending / done / failed
    attempts = SmallInt(default=0)
    next_at = Timestamptz(default=TimestamptzNow())
    last_error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    done_at = Timestamptz(null=True, default=None)


class SmsContactBook(Stamped, Table, tablename="sms_contact_book"):
    kind = Varchar(length=16, default="personal")  # org / personal / customer
    org = ForeignKey(OrgNode, null=True, on_delete=OnDelete.cascade, index=True)
    owner = ForeignKey(AppUser, null=True, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=100)


class SmsContact(Stamped, Table, tablename="sms_contact"):
    book = ForeignKey(SmsContactBook, on_delete=OnDelete.cascade)  # indexed in SQL: "sms_contact_book" is taken
    name = Varchar(length=64, default="")
    phone = Varchar(length=20, index=True)
    company = Varchar(length=200, default="")
    tags = Array(base_column=Varchar(length=32), default=list)
    note = Varchar(length=300, default="")


class SmsAlert(Table, tablename="sms_alert"):
    account = ForeignKey(SmsAccount, null=True, on_delete=OnDelete.cascade)
    kind = Varchar(length=32)  # low_balance / queue_depth / failure_rate / channel_down
    level = Varchar(length=8, default="warning")  # info / warning / critical
    message = Text()
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    acknowledged_by = BigInt(null=True, default=None)
    acknowledged_at = Timestamptz(null=True, default=None)
