"""Code 128 barcodes as inline SVG (shipping and pickup labels). python-barcode picks the code sets and
the check digit; we draw the modules as one SVG path, which stays small and crisp in a PDF."""
from __future__ import annotations

from barcode.codex import Code128
from markupsafe import Markup, escape


def code128_modules(data: str) -> str:
    """The symbol as a string of '1' (bar) and '0' (space) modules, quiet zones not included."""
    return Code128(str(data)).build()[0]


def code128_svg(data: str, *, height: float = 15, module: float = 0.33, unit: str = "mm", quiet: int = 10) -> Markup:
    """An <svg> sized in real units (mm by default): `module` is the narrowest bar width."""
    modules = code128_modules(data)
    parts, i = [], 0
    while i < len(modules):
        if modules[i] == "1":
            start = i
            while i < len(modules) and modules[i] == "1":
                i += 1
            parts.append(f"M{start + quiet} 0h{i - start}v1h-{i - start}z")
        else:
            i += 1
    width = len(modules) + 2 * quiet
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="barcode" width="{width * module:.2f}{unit}"'
        f' height="{height}{unit}" viewBox="0 0 {width} 1" preserveAspectRatio="none" role="img"'
        f' aria-label="{escape(data)}"><rect width="{width}" height="1" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(parts)}"/></svg>')


TEMPLATE_GLOBALS = {"code128_svg": code128_svg}
