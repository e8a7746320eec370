"""SMPP 3.4 PDUs: encode/decode, TLVs, command_status names, UDH concatenation, delivery-receipt text.

A `Pdu` is a command id, status, sequence number, its mandatory fields (dict, names as in the SMPP 3.4
specification) and its TLVs (dict tag → value; int, str for C-string TLVs, bytes otherwise).
Vendor extension: TLV 0x1400 `tc_ref` (C-string) carries our message reference in submit_sm, and in
query_sm (with an empty message_id) asks the SMSC for the ids it issued for that reference; the answer is
query_sm_resp with message_id = comma-separated ids, or ESME_RQUERYFAIL when it never accepted the ref.
"""
from __future__ import annotations

import struct
from datetime import UTC, datetime

# --- command ids -------------------------------------------------------------------------------------
GENERIC_NACK = 0x80000000
BIND_RECEIVER, BIND_TRANSMITTER, QUERY_SM, SUBMIT_SM, DELIVER_SM, UNBIND = 1, 2, 3, 4, 5, 6
BIND_TRANSCEIVER, ENQUIRE_LINK = 9, 0x15
RESP = 0x80000000
COMMANDS = {
    GENERIC_NACK: "generic_nack", BIND_RECEIVER: "bind_receiver", BIND_TRANSMITTER: "bind_transmitter",
    QUERY_SM: "query_sm", SUBMIT_SM: "submit_sm", DELIVER_SM: "deliver_sm", UNBIND: "unbind",
    BIND_TRANSCEIVER: "bind_transceiver", ENQUIRE_LINK: "enquire_link",
}
COMMANDS.update({cid | RESP: name + "_resp" for cid, name in list(COMMANDS.items()) if cid != GENERIC_NACK})
BINDS = (BIND_RECEIVER, BIND_TRANSMITTER, BIND_TRANSCEIVER)

# --- command_status ----------------------------------------------------------------------------------
STATUS = {
    0x00: "ESME_ROK", 0x01: "ESME_RINVMSGLEN", 0x02: "ESME_RINVCMDLEN", 0x03: "ESME_RINVCMDID",
    0x04: "ESME_RINVBNDSTS", 0x05: "ESME_RALYBND", 0x06: "ESME_RINVPRTFLG", 0x07: "ESME_RINVREGDLVFLG",
    0x08: "ESME_RSYSERR", 0x0A: "ESME_RINVSRCADR", 0x0B: "ESME_RINVDSTADR", 0x0C: "ESME_RINVMSGID",
    0x0D: "ESME_RBINDFAIL", 0x0E: "ESME_RINVPASWD", 0x0F: "ESME_RINVSYSID", 0x11: "ESME_RCANCELFAIL",
    0x13: "ESME_RREPLACEFAIL", 0x14: "ESME_RMSGQFUL", 0x15: "ESME_RINVSERTYP", 0x33: "ESME_RINVNUMDESTS",
    0x34: "ESME_RINVDLNAME", 0x40: "ESME_RINVDESTFLAG", 0x42: "ESME_RINVSUBREP", 0x43: "ESME_RINVESMCLASS",
    0x44: "ESME_RCNTSUBDL", 0x45: "ESME_RSUBMITFAIL", 0x48: "ESME_RINVSRCTON", 0x49: "ESME_RINVSRCNPI",
    0x50: "ESME_RINVDSTTON", 0x51: "ESME_RINVDSTNPI", 0x53: "ESME_RINVSYSTYP", 0x54: "ESME_RINVREPFLAG",
    0x55: "ESME_RINVNUMMSGS", 0x58: "ESME_RTHROTTLED", 0x61: "ESME_RINVSCHED", 0x62: "ESME_RINVEXPIRY",
    0x63: "ESME_RINVDFTMSGID", 0x64: "ESME_RX_T_APPN", 0x65: "ESME_RX_P_APPN", 0x66: "ESME_RX_R_APPN",
    0x67: "ESME_RQUERYFAIL", 0xC0: "ESME_RINVOPTPARSTREAM", 0xC1: "ESME_ROPTPARNOTALLWD",
    0xC2: "ESME_RINVPARLEN", 0xC3: "ESME_RMISSINGOPTPARAM", 0xC4: "ESME_RINVOPTPARAMVAL",
    0xFE: "ESME_RDELIVERYFAILURE", 0xFF: "ESME_RUNKNOWNERR",
}
CODES = {name: code for code, name in STATUS.items()}
ROK, RINVCMDID, RINVBNDSTS, RSYSERR = 0x00, 0x03, 0x04, 0x08
RINVDSTADR, RBINDFAIL, RINVPASWD, RMSGQFUL = 0x0B, 0x0D, 0x0E, 0x14
RTHROTTLED, RX_T_APPN, RQUERYFAIL, RSUBMITFAIL = 0x58, 0x64, 0x67, 0x45
# Temporary conditions: the caller may retry the same message later (Jasmin retries the same set).
RETRYABLE = frozenset({RTHROTTLED, RMSGQFUL, RSYSERR, RX_T_APPN})


def status_name(code: int) -> str:
    return STATUS.get(code, f"ESME_0x{code:08X}")


# --- TLVs --------------------------------------------------------------------------------------------
TLV_RECEIPTED_MESSAGE_ID, TLV_MESSAGE_STATE, TLV_MESSAGE_PAYLOAD = 0x001E, 0x0427, 0x0424
TLV_NETWORK_ERROR_CODE, TLV_SAR_MSG_REF_NUM, TLV_SAR_TOTAL, TLV_SAR_SEQNUM = 0x0423, 0x020C, 0x020E, 0x020F
TLV_SC_INTERFACE_VERSION, TLV_USER_MESSAGE_REFERENCE, TLV_TC_REF = 0x0210, 0x0204, 0x1400
_TLV_CSTR = frozenset({TLV_RECEIPTED_MESSAGE_ID, TLV_TC_REF})
_TLV_INT1 = frozenset({TLV_MESSAGE_STATE, TLV_SC_INTERFACE_VERSION, TLV_SAR_TOTAL, TLV_SAR_SEQNUM, 0x0426})
_TLV_INT2 = frozenset({TLV_SAR_MSG_REF_NUM, TLV_USER_MESSAGE_REFERENCE, 0x020A, 0x020B})

# message_state values (query_sm_resp, TLV 0x0427) ↔ receipt stat words
MESSAGE_STATES = {1: "ENROUTE", 2: "DELIVRD", 3: "EXPIRED", 4: "DELETED", 5: "UNDELIV", 6: "ACCEPTD",
                  7: "UNKNOWN", 8: "REJECTD"}
STATE_CODES = {v: k for k, v in MESSAGE_STATES.items()}

# --- mandatory body layouts: (name, kind) with kind "c" (C-string), 1 (uint8), "sm" (short_message) ----
_SM_FIELDS = (
    ("service_type", "c"), ("source_addr_ton", 1), ("source_addr_npi", 1), ("source_addr", "c"),
    ("dest_addr_ton", 1), ("dest_addr_npi", 1), ("destination_addr", "c"), ("esm_class", 1),
    ("protocol_id", 1), ("priority_flag", 1), ("schedule_delivery_time", "c"), ("validity_period", "c"),
    ("registered_delivery", 1), ("replace_if_present_flag", 1), ("data_coding", 1),
    ("sm_default_msg_id", 1), ("short_message", "sm"),
)
_BIND_FIELDS = (("system_id", "c"), ("password", "c"), ("system_type", "c"), ("interface_version", 1),
                ("addr_ton", 1), ("addr_npi", 1), ("address_range", "c"))
LAYOUTS: dict[int, tuple] = {
    SUBMIT_SM: _SM_FIELDS, DELIVER_SM: _SM_FIELDS,
    SUBMIT_SM | RESP: (("message_id", "c"),), DELIVER_SM | RESP: (("message_id", "c"),),
    QUERY_SM: (("message_id", "c"), ("source_addr_ton", 1), ("source_addr_npi", 1), ("source_addr", "c")),
    QUERY_SM | RESP: (("message_id", "c"), ("final_date", "c"), ("message_state", 1), ("error_code", 1)),
}
for _b in BINDS:
    LAYOUTS[_b] = _BIND_FIELDS
    LAYOUTS[_b | RESP] = (("system_id", "c"),)

_HEADER = struct.Struct(">IIII")


class PduError(Exception):
    """Malformed PDU; `status` is the command_status to answer with (generic_nack)."""

    def __init__(self, message: str, status: int = 0x02, seq: int = 0):
        super().__init__(message)
        self.status, self.seq = status, seq


class Pdu:
    __slots__ = ("command_id", "status", "seq", "fields", "tlvs")

    def __init__(self, command_id: int, seq: int = 0, status: int = 0, tlvs: dict | None = None, **fields):
        self.command_id, self.seq, self.status = command_id, seq, status
        self.fields, self.tlvs = fields, tlvs or {}

    @property
    def name(self) -> str:
        return COMMANDS.get(self.command_id, f"0x{self.command_id:08X}")

    @property
    def is_response(self) -> bool:
        return bool(self.command_id & RESP)

    def get(self, key: str, default=None):
        return self.fields.get(key, default)

    def __repr__(self) -> str:
        return f"<Pdu {self.name} seq={self.seq} status={status_name(self.status)} {self.fields} {self.tlvs}>"

    def encode(self) -> bytes:
        body = bytearray()
        layout = LAYOUTS.get(self.command_id, ())
        # An error response to submit_sm/query_sm may carry no body (spec 4.4.2): keep it empty.
        if not (self.is_response and self.status and self.command_id != GENERIC_NACK and not self.fields):
            f = self.fields
            for name, kind in layout:
                v = f.get(name)
                if kind == "c":
                    body += (v or "").encode("latin-1") + b"\0"
                elif kind == 1:
                    body.append(v or 0)
                else:  # short_message with its sm_length prefix
                    v = v or b""
                    body.append(len(v))
                    body += v
        for tag, value in self.tlvs.items():
            body += encode_tlv(tag, value)
        return _HEADER.pack(16 + len(body), self.command_id, self.status, self.seq) + body


def encode_tlv(tag: int, value) -> bytes:
    if isinstance(value, int) and not isinstance(value, bool):
        raw = value.to_bytes(2 if tag in _TLV_INT2 else (1 if tag in _TLV_INT1 else 4), "big")
    elif isinstance(value, str):
        raw = value.encode("latin-1") + b"\0"
    else:
        raw = bytes(value)
    return struct.pack(">HH", tag, len(raw)) + raw


def _cstr(buf: bytes, off: int, end: int) -> tuple[str, int]:
    nul = buf.find(b"\0", off, end)
    if nul < 0:
        raise PduError("unterminated C-string")
    return buf[off:nul].decode("latin-1"), nul + 1


def decode(frame: bytes) -> Pdu:
    """One whole PDU (length prefix included) → Pdu. Raises PduError on malformed input."""
    if len(frame) < 16:
        raise PduError("PDU shorter than its header")
    length, cid, status, seq = _HEADER.unpack_from(frame)
    if length != len(frame):
        raise PduError("command_length mismatch", seq=seq)
    pdu = Pdu(cid, seq, status)
    off, end = 16, length
    layout = LAYOUTS.get(cid)
    if layout is None and cid not in COMMANDS:
        raise PduError(f"unknown command 0x{cid:08X}", status=RINVCMDID, seq=seq)
    try:
        if layout and off < end:
            f = pdu.fields
            for name, kind in layout:
                if kind == "c":
                    f[name], off = _cstr(frame, off, end)
                elif kind == 1:
                    f[name] = frame[off]
                    off += 1
                else:
                    n = frame[off]
                    f[name] = frame[off + 1:off + 1 + n]
                    off += 1 + n
        while off + 4 <= end:
            tag, n = struct.unpack_from(">HH", frame, off)
            raw = frame[off + 4:off + 4 + n]
            off += 4 + n
            if tag in _TLV_CSTR:
                pdu.tlvs[tag] = raw.rstrip(b"\0").decode("latin-1")
            elif tag in _TLV_INT1 or tag in _TLV_INT2:
                pdu.tlvs[tag] = int.from_bytes(raw, "big")
            else:
                pdu.tlvs[tag] = raw
    except IndexError:
        raise PduError("truncated PDU body", seq=seq) from None
    except PduError as exc:  # e.g. an unterminated C-string: the nack must still name this PDU
        raise PduError(str(exc), exc.status, seq) from None
    if off > end:
        raise PduError("truncated PDU body", seq=seq)
    return pdu


def response(req: Pdu, status: int = 0, **fields) -> Pdu:
    """The *_resp for `req` (generic_nack for responses/unknown commands)."""
    return Pdu(req.command_id | RESP, req.seq, status, **fields)


# --- concatenation (UDH) -----------------------------------------------------------------------------
ESM_UDHI = 0x40
ESM_RECEIPT = 0x04  # deliver_sm esm_class message type "SMSC delivery receipt"


def udh(ref: int, total: int, seq: int) -> bytes:
    """Concatenated-SMS UDH, 8-bit reference (IEI 0x00): 05 00 03 ref total seq."""
    return bytes((5, 0, 3, ref & 0xFF, total, seq))


def parse_udh(short_message: bytes) -> tuple[tuple[int, int, int] | None, bytes]:
    """(ref, total, seq) or None, and the payload after the UDH. Handles IEI 0x00 and 0x08 (16-bit ref)."""
    if not short_message:
        return None, short_message
    hl = short_message[0]
    header, payload = short_message[1:1 + hl], short_message[1 + hl:]
    i, found = 0, None
    while i + 2 <= len(header):
        iei, ln = header[i], header[i + 1]
        data = header[i + 2:i + 2 + ln]
        if iei == 0x00 and ln == 3:
            found = (data[0], data[1], data[2])
        elif iei == 0x08 and ln == 4:
            found = ((data[0] << 8) | data[1], data[2], data[3])
        i += 2 + ln
    return found, payload


# --- delivery receipt text (SMPP 3.4 appendix B) ------------------------------------------------------
_STAMP = "%y%m%d%H%M"


def receipt_text(message_id: str, stat: str, *, submitted: datetime, done: datetime, err: int = 0,
                 text: str = "") -> str:
    dlvrd = "001" if stat == "DELIVRD" else "000"
    return (f"id:{message_id} sub:001 dlvrd:{dlvrd} submit date:{submitted.strftime(_STAMP)} "
            f"done date:{done.strftime(_STAMP)} stat:{stat} err:{err:03d} text:{text[:20]}")


def parse_receipt(text: str) -> dict:
    """Receipt text → {"id", "sub", "dlvrd", "submit date", "done date", "stat", "err", "text"} (strings).

    Tolerant: keys may come in any order and in any case; "text:" is taken to the end of the string."""
    out: dict[str, str] = {}
    low = text
    tpos = low.lower().find("text:")
    if tpos >= 0:
        out["text"] = text[tpos + 5:]
        low = text[:tpos]
    tokens = low.replace("submit date:", "submit_date:").replace("done date:", "done_date:")
    tokens = tokens.replace("Submit date:", "submit_date:").replace("Done date:", "done_date:")
    for tok in tokens.split():
        if ":" in tok:
            k, v = tok.split(":", 1)
            out[k.lower().replace("_", " ")] = v
    return out


def parse_stamp(value: str | None) -> datetime | None:
    """YYMMDDhhmm[ss] → aware UTC datetime (SMSC clocks are assumed UTC)."""
    if not value:
        return None
    try:
        fmt = "%y%m%d%H%M%S" if len(value) >= 12 else _STAMP
        return datetime.strptime(value[:12] if len(value) >= 12 else value[:10], fmt).replace(tzinfo=UTC)
    except ValueError:
        return None
