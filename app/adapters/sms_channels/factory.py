"""Build an SMS channel from its stored kind and configuration.

Kept apart from `base` (the pure interface) so that the implementations may import `base` while this
module imports the implementations: no import cycle inside the package.
"""
from __future__ import annotations

from app.adapters.sms_channels.base import SmsChannel
from app.adapters.sms_channels.http_provider import HttpChannel
from app.adapters.sms_channels.simulator_channel import SimulatorChannel
from app.adapters.sms_channels.smpp_client import SmppChannel


def make_channel(name: str, kind: str, config: dict) -> SmsChannel:
    """Build a channel from its stored configuration.

    kind "smpp" — config keys: host, port, system_id, password, system_type="", bind="transceiver"
      (or "transmitter"), window=64, timeout_s=10, enquire_link_s=30, max_tps=0 (0 = unlimited),
      reconnect_min_s=0.5, reconnect_max_s=30, source_ton=0, source_npi=0, dest_ton=1, dest_npi=1,
      ref_tlv=True (send our ref as TLV 0x1400; needed by lookup()), ref_lookup="auto" (true: the SMSC answers
      query_sm by TLV 0x1400 — our simulator; false: a standard SMSC, lookup() is inconclusive; auto: true
      only when the bind response names our simulator "TCSMSC"), msg_id_format="auto" (how the SMSC writes
      message ids in submit_sm_resp / receipts: "dec", "hex", "hex/dec", "dec/hex" or "auto").
    kind "http" — config keys: base_url, token="" (sent as Bearer), concurrency=32, timeout_s=10,
      poll_s=1.0 (receipts/MO polling interval), receipt_cursor=0, mo_cursor=0.
    kind "simulator" — a built-in SMSC started in this process plus an SMPP channel bound to it (dev/demo
      without a separate `python -m app smsc`): latency_ms, fail_rate, receipt_delay_ms, receipt_fail_rate,
      log_path, port=0, and any "smpp" key (window, max_tps, …).
    """
    if kind == "smpp":
        return SmppChannel(name, config)
    if kind == "http":
        return HttpChannel(name, config)
    if kind == "simulator":
        return SimulatorChannel(name, config)
    raise ValueError(f"unknown SMS channel kind {kind!r}")
