"""QR codes (segno): inline SVG for pages (check-in passes, share links), PNG images for printed batches."""
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


def qr_img(data: str) -> Markup:
    """QR as a 1-pixel-per-module PNG scaled up unsmoothed (CSS image-rendering: pixelated), for printables: for
    hundreds of pages a raster image is far cheaper to lay out and write than an SVG path, and prints as crisp.
    A fixed mask skips segno's evaluation of all eight (3x faster; any mask is valid for scanners)."""
    uri = segno.make(str(data), error="m", mask=2, micro=False).png_data_uri(scale=1, border=2)
    return Markup(f'<img class="qr-img" src="{uri}" alt="">')


TEMPLATE_GLOBALS = {"qr_svg": qr_svg, "qr_img": qr_img}
