"""SMS-04: GSM-7 / UCS-2 detection and concatenated-segment splitting."""
import pytest

from app.adapters.sms_channels import encoding as E

pytestmark = pytest.mark.req("SMS-04")


@pytest.mark.parametrize("text, enc, count", [
    ("", "gsm7", 1),
    ("Hello", "gsm7", 1),
    ("a" * 160, "gsm7", 1),
    ("a" * 161, "gsm7", 2),
    ("a" * 306, "gsm7", 2),
    ("a" * 307, "gsm7", 3),
    ("a" * 459, "gsm7", 3),
    ("a" * 460, "gsm7", 4),
    ("€" * 80, "gsm7", 1),  # 160 septets: ESC + code each
    ("€" * 81, "gsm7", 2),
    ("a" * 159 + "{", "gsm7", 2),  # 161 septets
    ("你" * 70, "ucs2", 1),
    ("你" * 71, "ucs2", 2),
    ("你" * 134, "ucs2", 2),
    ("你" * 135, "ucs2", 3),
    ("你" * 500, "ucs2", 8),
    ("a" * 69 + "你", "ucs2", 1),  # one Chinese character makes the whole text UCS-2
    ("a" * 70 + "你", "ucs2", 2),
    ("😀" * 35, "ucs2", 1),  # 70 UTF-16 units
    ("😀" * 36, "ucs2", 2),
    ("ç", "ucs2", 1),  # lowercase c-cedilla is not in GSM 03.38 (only Ç is)
])
def test_encoding_and_count(text, enc, count):
    seg = E.split(text)
    assert (seg.encoding, seg.count) == (enc, count)
    assert E.segment_count(text) == count
    assert seg.data_coding == (0 if enc == "gsm7" else 8)


def test_part_sizes_respect_limits():
    seg = E.split("a" * 400)
    assert [len(p) for p in seg.parts] == [153, 153, 94]
    seg = E.split("你" * 150)
    assert [len(p) for p in seg.parts] == [134, 134, 32]  # 67 UCS-2 units per part


def test_escape_pair_never_split():
    text = "a" * 152 + "€" + "b" * 10  # the ESC pair would straddle 152/153
    seg = E.split(text)
    assert seg.count == 2
    assert len(seg.parts[0]) == 152 and not seg.parts[0].endswith(b"\x1b")
    assert seg.parts[1].startswith(b"\x1b\x65")
    assert "".join(E.gsm7_decode(p) for p in seg.parts) == text


def test_surrogate_pair_never_split():
    text = "a" + "😀" * 40  # 81 units; a naive 67-unit cut would split a pair
    seg = E.split(text)
    for part in seg.parts:
        assert len(part) <= 134
        last_unit = int.from_bytes(part[-2:], "big")
        assert not 0xD800 <= last_unit <= 0xDBFF  # never ends on a high surrogate
    assert "".join(p.decode("utf-16-be") for p in seg.parts) == text


def test_gsm_alphabet_round_trip():
    every = "".join(E.GSM_BASIC) + "".join(E.GSM_EXT)
    assert E.is_gsm7(every)
    data = E.gsm7_encode(every)
    assert len(data) == len(E.GSM_BASIC) + 2 * len(E.GSM_EXT)
    assert max(data) < 0x80  # unpacked septets
    assert E.gsm7_decode(data) == every
    assert E.decode(data, 0) == every


def test_unicode_round_trip_and_decode_codings():
    text = "同窗会通知：周六校庆 🎉"
    seg = E.split(text)
    assert E.decode(b"".join(seg.parts), 8) == text
    assert E.decode("café".encode("latin-1"), 3) == "café"
    assert E.decode(E.gsm7_encode("Hi"), 0xF0) == "Hi"  # message-class coding group, default alphabet


def test_gsm7_encode_rejects_foreign_characters():
    with pytest.raises(ValueError):
        E.gsm7_encode("你")


def test_check_limits():
    E.check("a" * E.MAX_CHARS)
    E.check("你" * E.MAX_CHARS)
    with pytest.raises(ValueError):
        E.check("a" * (E.MAX_CHARS + 1))
    with pytest.raises(ValueError):
        E.check("")
