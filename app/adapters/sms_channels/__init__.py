"""SMS channels: SMPP 3.4 client, JSON HTTP provider client, and a local SMSC simulator (SMS-04, SMS-11).

Public interface: `base` (OutboundSms, SubmitResult, Receipt, MoMessage, SmsChannel, errors), `factory`
(make_channel) and `encoding` (split, segment_count, MAX_CHARS). No database, no UI here.
"""
from app.adapters.sms_channels.base import (  # noqa: F401
    ChannelUnavailable,
    LookupInconclusive,
    MoMessage,
    OutboundSms,
    Receipt,
    SmsChannel,
    SubmitResult,
)
from app.adapters.sms_channels.factory import make_channel  # noqa: F401
