"""SMS-11: SMPP 3.4 PDU encoding/decoding, TLVs, UDH and receipt text."""
from datetime import UTC, datetime

import pytest

from app.adapters.sms_channels import pdu as P

pytestmark = pytest.mark.req("SMS-11")


def _round(pdu: P.Pdu) -> P.Pdu:
    return P.decode(pdu.encode())


def test_bind_transceiver_bytes_and_round_trip():
    bind = P.Pdu(P.BIND_TRANSCEIVER, seq=7, system_id="tc", password="secret", interface_version=0x34)
    raw = bind.encode()
    # header: length, command_id, status, sequence
    assert raw[:16] == bytes.fromhex("0000001f" "00000009" "00000000" "00000007")
    assert raw[16:] == b"tc\0secret\0\0\x34\0\0\0"
    back = P.decode(raw)
    assert back.name == "bind_transceiver" and back.fields["system_id"] == "tc" and back.seq == 7
    for cid in (P.BIND_TRANSMITTER, P.BIND_RECEIVER):
        assert _round(P.Pdu(cid, 1, system_id="x", password="y")).fields["password"] == "y"
    resp = _round(P.response(bind, system_id="SMSC"))
    assert resp.name == "bind_transceiver_resp" and resp.get("system_id") == "SMSC" and resp.seq == 7


def test_submit_sm_with_tlvs_round_trip():
    sm = P.Pdu(P.SUBMIT_SM, 42, source_addr="10690", destination_addr="8613800138000", dest_addr_ton=1,
               esm_class=P.ESM_UDHI, registered_delivery=1, data_coding=8,
               short_message=P.udh(9, 2, 1) + "你好".encode("utf-16-be"),
               tlvs={P.TLV_TC_REF: "m123", P.TLV_MESSAGE_PAYLOAD: b"\x01\x02", P.TLV_SAR_MSG_REF_NUM: 513})
    back = _round(sm)
    assert back.fields == {**sm.fields, **{k: back.fields[k] for k in back.fields if k not in sm.fields}}
    assert back.get("destination_addr") == "8613800138000" and back.get("data_coding") == 8
    assert back.tlvs == {P.TLV_TC_REF: "m123", P.TLV_MESSAGE_PAYLOAD: b"\x01\x02", P.TLV_SAR_MSG_REF_NUM: 513}
    assert sm.encode().endswith(b"\x02\x0c\x00\x02\x02\x01")  # 2-byte sar_msg_ref_num
    concat, payload = P.parse_udh(back.get("short_message"))
    assert concat == (9, 2, 1) and payload.decode("utf-16-be") == "你好"


def test_responses_and_empty_bodies():
    sm = P.Pdu(P.SUBMIT_SM, 5, destination_addr="1")
    ok = _round(P.response(sm, message_id="abc"))
    assert ok.name == "submit_sm_resp" and ok.get("message_id") == "abc" and ok.seq == 5
    err = P.response(sm, P.RTHROTTLED)
    assert len(err.encode()) == 16  # error responses carry no body
    back = _round(err)
    assert P.status_name(back.status) == "ESME_RTHROTTLED" and back.fields == {}
    for cid in (P.ENQUIRE_LINK, P.UNBIND, P.ENQUIRE_LINK | P.RESP, P.UNBIND | P.RESP, P.GENERIC_NACK):
        assert len(P.Pdu(cid, 3).encode()) == 16 and _round(P.Pdu(cid, 3)).command_id == cid


def test_deliver_sm_receipt_and_query_sm():
    dl = P.Pdu(P.DELIVER_SM, 9, source_addr="13800138000", esm_class=P.ESM_RECEIPT, short_message=b"id:1 stat:DELIVRD",
               tlvs={P.TLV_RECEIPTED_MESSAGE_ID: "1", P.TLV_MESSAGE_STATE: 2})
    back = _round(dl)
    assert back.tlvs == {P.TLV_RECEIPTED_MESSAGE_ID: "1", P.TLV_MESSAGE_STATE: 2}
    assert _round(P.response(dl, message_id="")).name == "deliver_sm_resp"
    q = _round(P.Pdu(P.QUERY_SM, 4, message_id="", tlvs={P.TLV_TC_REF: "m9"}))
    assert q.get("message_id") == "" and q.tlvs[P.TLV_TC_REF] == "m9"
    qr = _round(P.response(q, message_id="1,2", final_date="", message_state=6, error_code=0))
    assert qr.get("message_id") == "1,2" and P.MESSAGE_STATES[qr.get("message_state")] == "ACCEPTD"


def test_malformed_pdus():
    with pytest.raises(P.PduError):
        P.decode(b"\x00\x00\x00\x10")  # shorter than a header
    raw = P.Pdu(P.SUBMIT_SM, 1, destination_addr="123").encode()
    with pytest.raises(P.PduError):
        P.decode(raw[:-3])  # command_length no longer matches
    bad = bytearray(P.Pdu(P.ENQUIRE_LINK, 8).encode())
    bad[4:8] = (0x1234).to_bytes(4, "big")
    with pytest.raises(P.PduError) as exc:
        P.decode(bytes(bad))
    assert exc.value.status == P.RINVCMDID and exc.value.seq == 8


def test_udh_variants():
    assert P.udh(300, 3, 2) == bytes([5, 0, 3, 300 & 0xFF, 3, 2])
    sixteen = bytes([6, 8, 4, 0x12, 0x34, 4, 3]) + b"xyz"
    assert P.parse_udh(sixteen) == ((0x1234, 4, 3), b"xyz")
    assert P.parse_udh(b"") == (None, b"")


def test_receipt_text_format_and_parse():
    sub = datetime(2026, 11, 23, 9, 5, tzinfo=UTC)
    done = datetime(2026, 11, 23, 9, 6, tzinfo=UTC)
    text = P.receipt_text("1795", "DELIVRD", submitted=sub, done=done, text="hello world")
    assert text == ("id:1795 sub:001 dlvrd:001 submit date:2611230905 done date:2611230906 "
                    "stat:DELIVRD err:000 text:hello world")
    f = P.parse_receipt(text)
    assert (f["id"], f["stat"], f["err"], f["text"]) == ("1795", "DELIVRD", "000", "hello world")
    assert P.parse_stamp(f["done date"]) == done
    assert P.parse_receipt("ID:7 Stat:UNDELIV Err:012")["stat"] == "UNDELIV"
    assert P.parse_stamp("garbage") is None


def test_status_names():
    assert P.status_name(0) == "ESME_ROK" and P.status_name(0x67) == "ESME_RQUERYFAIL"
    assert P.CODES["ESME_RINVDSTADR"] == 0x0B
    assert P.status_name(0x400) == "ESME_0x00000400"
    assert P.RTHROTTLED in P.RETRYABLE and P.RINVDSTADR not in P.RETRYABLE
