"""SMS text encoding and segmentation (SMS-04).

GSM 03.38 default alphabet + extension table, or UCS-2 (UTF-16-BE) when any character is outside it
(so any Chinese text is UCS-2).

GSM-7 is sent UNPACKED, one septet per byte, with SMPP data_coding 0 ("SMSC default alphabet"): that is
what SMSCs expect on SMPP. UCS-2 uses data_coding 8.

Limits per segment (the UDH of a concatenated message costs 6 bytes = 7 septets / 3 UCS-2 units):
  GSM-7: 160 septets single, 153 per part; an extension character (^{}\\[~]|€ and form feed) costs 2
         septets (ESC + code) and an ESC pair is never split across parts.
  UCS-2: 70 code units single, 67 per part; a surrogate pair (emoji) is never split across parts.
`Segmentation.parts` are the payload bytes of each segment, WITHOUT the UDH.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CHARS = 500  # longest text we accept (characters as the user typed them)

DC_DEFAULT = 0  # SMSC default alphabet (GSM-7 unpacked here)
DC_LATIN1 = 3
DC_UCS2 = 8

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67
ESC = 0x1B

# GSM 03.38 basic table, index = septet value (0x1B is the escape to the extension table).
_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
assert len(_BASIC) == 128
_EXT = {"\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F, "[": 0x3C, "~": 0x3D, "]": 0x3E,
        "|": 0x40, "€": 0x65}

GSM_BASIC = {ch: i for i, ch in enumerate(_BASIC) if i != ESC}
GSM_EXT = dict(_EXT)
_BASIC_REV = dict(enumerate(_BASIC))
_EXT_REV = {v: k for k, v in _EXT.items()}


# Fast path: one regex test and one str.translate instead of a Python loop per character.
_NOT_GSM = re.compile("[^" + re.escape("".join(GSM_BASIC) + "".join(GSM_EXT)) + "]")
_TO_SEPTETS = {ord(ch): chr(code) for ch, code in GSM_BASIC.items()}
_TO_SEPTETS.update({ord(ch): "\x1b" + chr(code) for ch, code in GSM_EXT.items()})


@dataclass
class Segmentation:
    encoding: str  # "gsm7" | "ucs2"
    parts: list[bytes]  # payload per segment, without UDH

    @property
    def count(self) -> int:
        return len(self.parts)

    @property
    def data_coding(self) -> int:
        return DC_DEFAULT if self.encoding == "gsm7" else DC_UCS2


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM default alphabet or its extension table."""
    return _NOT_GSM.search(text) is None


def gsm7_encode(text: str) -> bytes:
    """Unpacked septets (one per byte); extension characters become ESC + code."""
    bad = _NOT_GSM.search(text)
    if bad is not None:
        raise ValueError(f"character {bad.group()!r} is not in the GSM 03.38 alphabet")
    return text.translate(_TO_SEPTETS).encode("latin-1")


def gsm7_decode(data: bytes) -> str:
    """Inverse of gsm7_encode; an unknown escape falls back to the basic character (as 03.38 says)."""
    out, i = [], 0
    while i < len(data):
        b = data[i] & 0x7F
        if b == ESC and i + 1 < len(data):
            nxt = data[i + 1] & 0x7F
            out.append(_EXT_REV.get(nxt, _BASIC_REV[nxt] if nxt != ESC else " "))
            i += 2
            continue
        out.append(_BASIC_REV[b] if b != ESC else " ")
        i += 1
    return "".join(out)


def decode(data: bytes, data_coding: int) -> str:
    """Payload bytes → text, for MO messages and the simulator."""
    dc = data_coding
    if dc & 0xF0 == 0xF0:  # "data coding/message class" group: bit 2 chooses 8-bit over default alphabet
        return data.decode("latin-1") if dc & 0x04 else gsm7_decode(data)
    if dc == DC_UCS2:
        return data.decode("utf-16-be", errors="replace")
    if dc in (DC_LATIN1, 1):  # 1 = IA5/ASCII
        return data.decode("latin-1")
    if dc == 4:  # 8-bit binary: best effort
        return data.decode("utf-8", errors="replace")
    return gsm7_decode(data)


def _cut(data: bytes, limit: int, step: int, keep_together) -> list[bytes]:
    """Cut `data` into parts of at most `limit` bytes, moving a cut back by `step` bytes while
    `keep_together(last unit)` says the unit at the cut starts an indivisible pair."""
    parts, start = [], 0
    while len(data) - start > limit:
        end = start + limit
        if keep_together(data[end - step:end]):
            end -= step
        parts.append(data[start:end])
        start = end
    parts.append(data[start:])
    return parts


def _esc_at_end(unit: bytes) -> bool:
    return unit == b"\x1b"  # ESC only ever starts a pair: extension codes are never 0x1B


def _high_surrogate(unit: bytes) -> bool:
    return 0xD8 <= unit[0] <= 0xDB


def split(text: str) -> Segmentation:
    """Encode and cut `text` into segments. Does not enforce MAX_CHARS (see `check`)."""
    if _NOT_GSM.search(text) is None:
        data = text.translate(_TO_SEPTETS).encode("latin-1")
        if len(data) <= GSM7_SINGLE:
            return Segmentation("gsm7", [data])
        return Segmentation("gsm7", _cut(data, GSM7_PART, 1, _esc_at_end))
    data = text.encode("utf-16-be")
    if len(data) <= UCS2_SINGLE * 2:
        return Segmentation("ucs2", [data])
    return Segmentation("ucs2", _cut(data, UCS2_PART * 2, 2, _high_surrogate))


def segment_count(text: str) -> int:
    """How many SMS (billing units) `text` costs."""
    return split(text).count


def check(text: str) -> None:
    """Raise ValueError when the text cannot be sent (empty or longer than MAX_CHARS)."""
    if not text:
        raise ValueError("empty message")
    if len(text) > MAX_CHARS:
        raise ValueError(f"message longer than {MAX_CHARS} characters")
