"""Piccolo tables of mass messaging (OPS-01): campaigns, their recipients and unsubscriptions.

A campaign is sent by the `ops.campaigns.tick` job: the first tick materialises its recipients (one row per
recipient and channel, unique, so a resumed job never adds or sends one twice), each tick then sends at most
throttle × elapsed minutes of them through the message service (app.core.notify)."""
from piccolo.columns import JSONB, Array, BigInt, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.core.tables import Stamped


class OpsCampaign(Stamped, Table, tablename="ops_campaign"):
    """status: draft → scheduled → sending → done, or cancelled. The message is `subject` + `body` (Jinja over
    the recipient's data: name, unsubscribe_url) or, when `template_code` is set, that message template."""
    title = Varchar(length=200)
    channels = Array(base_column=Varchar(length=16), default=list)  # inbox / email / sms / wechat
    subject = Varchar(length=200, default="")
    body = Text(default="")
    template_code = Varchar(length=64, default="")
    audience = JSONB(default="{}")  # {"kind": "org" | "class" | "role" | "records" | "tag" | "upload", …}
    audience_label = Varchar(length=300, default="")
    status = Varchar(length=16, default="draft")
    scheduled_at = Timestamptz(null=True, default=None)
    throttle = Integer(default=600)  # messages per minute
    total = Integer(default=0)  # recipient rows once materialised
    sent = Integer(default=0)
    failed = Integer(default=0)
    skipped = Integer(default=0)
    materialised_at = Timestamptz(null=True, default=None)
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    cancelled_at = Timestamptz(null=True, default=None)


class OpsCampaignRecipient(Table, tablename="ops_campaign_recipient"):
    """One message of a campaign: to a user (user_id, address '') or to a bare address of an uploaded list
    (user_id NULL). status: queued / sent / failed / skipped_unsubscribed / skipped_no_address."""
    campaign = ForeignKey(OpsCampaign, on_delete=OnDelete.cascade)
    user_id = BigInt(null=True, default=None)
    address = Varchar(length=254, default="")
    channel = Varchar(length=16)
    status = Varchar(length=24, default="queued")
    delivery_id = BigInt(null=True, default=None)  # delivery_log.id
    error = Text(default="")
    processed_at = Timestamptz(null=True, default=None)


class OpsUnsubscription(Table, tablename="ops_unsubscription"):
    """Someone who asked for no more campaign messages: a user or a bare address, on one channel or all."""
    user_id = BigInt(null=True, default=None)
    address = Varchar(length=254, default="")
    channel = Varchar(length=16, default="all")
    campaign = BigInt(null=True, default=None)  # the campaign whose link they followed
    created_at = Timestamptz(default=TimestamptzNow())
