"""QR codes as inline SVG (segno), for check-in passes, share links and printables."""
from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(data: str, scale: int = 4, *, size: int | None = None) -> Markup:
    """The SVG element (no XML declaration) for `data`, error correction M, white quiet zone.
    With `size` (pixels), the largest whole-pixel module scale that fits is used instead of `scale`."""
    qr = segno.make(str(data), error="m")
    if size:
        scale = max(1, int(size) // qr.symbol_size(scale=1)[0])
    # Safe to mark: this is segno's own SVG; the payload is drawn as path geometry, never inserted as text.
    return Markup(qr.svg_inline(scale=scale, light="#fff", svgclass="qr-svg"))


TEMPLATE_GLOBALS = {"qr_svg": qr_svg}
