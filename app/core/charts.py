"""Geometry for the server-rendered SVG charts in components/chart.html.

Pure functions: numbers in, coordinates and preformatted numbers out, so the templates only place
shapes and the browser needs no JavaScript. Registered as Jinja globals via TEMPLATE_GLOBALS."""
from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from typing import Any

# Colour-blind-safe palette (Okabe–Ito), given as SVG presentation attributes so charts stay
# coloured even when the stylesheet is missing (print, old engines).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000")
# Text drawn on a slice: black on the light palette entries, white on the dark ones.
ON_PALETTE = ("#fff", "#000", "#000", "#fff", "#000", "#000", "#000", "#fff")
_ids = itertools.count(1)


def chart_uid(prefix: str = "chart") -> str:
    """An id unique in this process, so several charts (and htmx swaps) never share aria ids."""
    return f"{prefix}-{next(_ids)}"


def _num(value: Any) -> float:
    """None, text and NaN/inf count as 0 rather than breaking the page."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if math.isfinite(number) else 0.0


def fmt_number(value: Any) -> str:
    number = _num(value)
    if number == int(number):
        return f"{int(number):,}"
    return f"{number:,.2f}".rstrip("0").rstrip(".")


def _get(item: Any, key: str, default: Any = None) -> Any:
    if isinstance(item, dict):
        return item.get(key, default)
    return getattr(item, key, default)


def _label(item: Any) -> str:
    label = _get(item, "label")
    return "" if label is None else str(label)


def _normalise(series: Iterable, legend: list | None) -> tuple[list[str], list[str], list[list[float]]]:
    """(labels, series names, values[series][label]) from [{label, value}] or [{label, values: [..]}]."""
    items = list(series or [])
    labels = [_label(item) for item in items]
    rows = [_get(item, "values") if _get(item, "values") is not None else [_get(item, "value")] for item in items]
    count = max([len(legend or [])] + [len(row) for row in rows] + [1])
    names = [str(name) for name in (legend or [])] + [""] * count
    matrix = [[_num(row[s]) if s < len(row) else 0.0 for row in rows] for s in range(count)]
    return labels, names[:count], matrix


def _nice_scale(low: float, high: float, integral: bool, steps: int = 4) -> list[float]:
    """Round tick values (1, 2, 2.5, 5 × 10^k) covering low..high; all-zero data gets 0..1."""
    if high <= low:
        high = low + 1
    raw = (high - low) / steps
    magnitude = 10 ** math.floor(math.log10(raw))
    multipliers = (1, 2, 5, 10) if integral else (1, 2, 2.5, 5, 10)
    step = next(m * magnitude for m in multipliers if m * magnitude >= raw)
    if integral:
        step = max(step, 1)
    first, last = math.floor(low / step), math.ceil(high / step)
    return [round(i * step, 10) for i in range(first, last + 1)]


def _text_width(text: str, size: float = 11) -> float:
    """Rough rendered width: CJK glyphs are about twice as wide as Latin ones."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.6 for ch in text)


def _fit(text: str, width: float) -> str:
    if _text_width(text) <= width:
        return text
    while text and _text_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _axes(labels, names, matrix, width, height, titled_y: bool, titled_x: bool) -> dict:
    """Plot box, y ticks and label slots shared by bar and line charts; the top row holds the
    y-axis title (left) and the legend (right), the bottom row the x-axis title."""
    values = [v for row in matrix for v in row]
    integral = all(v == int(v) for v in values)
    ticks = _nice_scale(min(values + [0.0]), max(values + [0.0]), integral)
    low, high = ticks[0], ticks[-1]
    tick_texts = [fmt_number(t) for t in ticks]
    rough_slot = (width - 60) / max(len(labels), 1)  # before the y-axis width is known
    rotate = len(labels) > 1 and rough_slot < 56  # crowded: slanted x labels instead of unreadable overlap
    left = 12 + max(_text_width(t) for t in tick_texts)
    top = 22 + (18 if any(names) or titled_y else 0)
    bottom = height - (64 if rotate else 26) - (18 if titled_x else 0)
    right = width - 12
    plot_h = max(bottom - top, 1)

    def y_of(value: float) -> float:
        return round(bottom - (value - low) / (high - low) * plot_h, 2)

    slot = (right - left) / max(len(labels), 1)
    legend, x = [], right
    for i, name in reversed(list(enumerate(names))):  # laid out from the right edge
        if name:
            text = _fit(name, 100)
            x -= 14 + _text_width(text) + 12
            legend.insert(0, {"name": text, "color": PALETTE[i % len(PALETTE)], "x": round(x, 2), "y": 14})
    return {"left": round(left, 2), "top": top, "right": right, "bottom": bottom, "slot": slot, "y_of": y_of,
            "zero_y": y_of(0.0), "rotate": rotate, "legend": legend,
            "ticks": [{"y": y_of(t), "text": text} for t, text in zip(ticks, tick_texts, strict=True)],
            "x_labels": [{"x": round(left + slot * (i + 0.5), 2), "text": _fit(label, 90 if rotate else slot - 4),
                          "full": label} for i, label in enumerate(labels)],
            "rows": [{"label": label, "texts": [fmt_number(matrix[s][i]) for s in range(len(matrix))]}
                     for i, label in enumerate(labels)],
            "names": names}


def bar_geometry(series: Iterable, width: int = 600, height: int = 300, legend: list | None = None,
                 x_label: str = "", y_label: str = "") -> dict:
    """Bars grouped per label (one bar per series), heights proportional to value from the zero line."""
    labels, names, matrix = _normalise(series, legend)
    if not labels:
        return {"empty": True}
    geo = _axes(labels, names, matrix, width, height, bool(y_label), bool(x_label))
    group_w = geo["slot"] * 0.7
    bar_w = group_w / len(matrix)
    bars = []
    for i, label in enumerate(labels):
        for s, row in enumerate(matrix):
            value = row[i]
            x = geo["left"] + geo["slot"] * i + (geo["slot"] - group_w) / 2 + bar_w * s
            y_top, y_bottom = geo["y_of"](max(value, 0.0)), geo["y_of"](min(value, 0.0))
            text = fmt_number(value)
            bars.append({"x": round(x, 2), "y": y_top, "w": round(bar_w, 2), "h": round(y_bottom - y_top, 2),
                         "value": value, "text": text, "label": label, "series": names[s],
                         "color": PALETTE[s % len(PALETTE)], "text_x": round(x + bar_w / 2, 2),
                         "text_y": round(y_bottom + 12 if value < 0 else y_top - 4, 2),
                         "show_text": _text_width(text, 10) <= bar_w + 8})
    return {**geo, "empty": False, "bars": bars}


def line_geometry(series: Iterable, width: int = 600, height: int = 300, legend: list | None = None,
                  x_label: str = "", y_label: str = "") -> dict:
    """One polyline per series through the label slots' centres."""
    labels, names, matrix = _normalise(series, legend)
    if not labels:
        return {"empty": True}
    geo = _axes(labels, names, matrix, width, height, bool(y_label), bool(x_label))
    crowded = geo["slot"] < 40  # value labels would overlap; the table and <title>s still carry them
    lines = []
    for s, row in enumerate(matrix):
        dots = [{"x": geo["x_labels"][i]["x"], "y": geo["y_of"](value), "text": fmt_number(value),
                 "label": labels[i]} for i, value in enumerate(row)]
        lines.append({"name": names[s], "color": PALETTE[s % len(PALETTE)], "dots": dots, "show_text": not crowded,
                      "points": " ".join(f"{d['x']},{d['y']}" for d in dots)})
    return {**geo, "empty": False, "lines": lines}


def _point(cx: float, cy: float, r: float, degrees: float) -> tuple[float, float]:
    """Clockwise from 12 o'clock, as people read a pie."""
    rad = math.radians(degrees)
    return round(cx + r * math.sin(rad), 2), round(cy - r * math.cos(rad), 2)


def pie_slices(series: Iterable, cx: float = 150, cy: float = 150, r: float = 120) -> list[dict]:
    """One dict per item: angles in degrees (summing to 360 when any value is positive), an SVG
    path `d`, percent text and a label anchor inside the slice. Negative values count as 0."""
    items = list(series or [])
    values = [max(_num(_get(item, "value")), 0.0) for item in items]
    total = sum(values)
    slices, start = [], 0.0
    for i, (item, value) in enumerate(zip(items, values, strict=True)):
        angle = value / total * 360 if total else 0.0
        end = start + angle
        if angle >= 359.999:  # one arc cannot close a full circle: draw two halves
            path = f"M{cx},{cy - r}A{r},{r} 0 1 1 {cx},{cy + r}A{r},{r} 0 1 1 {cx},{cy - r}Z"
        elif angle > 0:
            (x0, y0), (x1, y1) = _point(cx, cy, r, start), _point(cx, cy, r, end)
            path = f"M{cx},{cy}L{x0},{y0}A{r},{r} 0 {1 if angle > 180 else 0} 1 {x1},{y1}Z"
        else:
            path = ""
        label_x, label_y = _point(cx, cy, r * 0.65, start + angle / 2)
        percent = value / total * 100 if total else 0.0
        slices.append({"label": _label(item), "value": value, "text": fmt_number(value),
                       "percent": percent, "percent_text": f"{percent:.1f}%", "start": start, "end": end,
                       "angle": angle, "path": path, "color": PALETTE[i % len(PALETTE)],
                       "text_color": ON_PALETTE[i % len(PALETTE)],
                       "label_x": label_x, "label_y": label_y, "show_label": angle >= 20})
        start = end
    return slices


TEMPLATE_GLOBALS = {"bar_geometry": bar_geometry, "line_geometry": line_geometry, "pie_slices": pie_slices,
                    "chart_uid": chart_uid, "chart_number": fmt_number}
