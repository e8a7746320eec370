"""Rich HTML from users (ORG-05): what a WeChat article, a Xiumi/135editor block or our own editor pastes,
kept readable but safe. nh3 (the Rust ammonia sanitiser) parses and rebuilds the HTML from an allow-list of
tags and attributes; our attribute filter checks every URL and every inline style declaration on the way.

- Tags: sections, paragraphs, inline formatting, headings, lists, quotes, images, links, tables, figures.
  script, style, iframe, object, embed, svg, math, form, input … are removed with their content; unknown
  tags (mpvoice, font, center …) are dropped and their text kept. Comments and class/id attributes go.
- style: kept, filtered declaration by declaration to STYLE_PROPERTIES; a value holding url(, expression,
  javascript:, behavior, @import, a CSS escape or a comment is dropped; sizes only in px/%/em/rem.
  position, transform, float-over tricks, opacity, z-index … are not on the list.
- URLs: http, https and site-relative; images also data:image/png|jpeg|gif|webp;base64. WeChat's lazy
  images (`data-src` with an SVG placeholder in `src`) get their real address as `src`.
- Links keep target="_blank" only, and always get rel="noopener noreferrer".
"""
from __future__ import annotations

import html as html_lib
import re

import nh3

TAGS = {
    "section", "div", "p", "span", "strong", "b", "em", "i", "u", "s", "strike", "del", "ins", "mark", "small",
    "br", "hr", "sup", "sub", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code", "ul", "ol", "li",
    "img", "a", "figure", "figcaption", "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr",
    "th", "td",
}
# removed together with everything inside them
DROP_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "svg", "math", "form", "input", "textarea",
                     "select", "button", "noscript", "template", "frame", "frameset", "applet", "audio", "video",
                     "canvas", "link", "meta", "base", "title", "head"}
_CELL = {"colspan", "rowspan", "width", "height", "align", "valign"}
ATTRIBUTES = {
    "*": {"style", "title", "align"},
    "a": {"href", "target"},
    "img": {"src", "data-src", "alt", "width", "height"},
    "ol": {"start", "type"},
    "table": {"width", "border", "cellpadding", "cellspacing"},
    "col": {"span", "width"}, "colgroup": {"span", "width"},
    "td": _CELL, "th": _CELL | {"scope"},
}
STYLE_PROPERTIES = {
    "color", "background-color", "background", "font-size", "font-weight", "font-style", "text-align",
    "text-decoration", "text-indent", "line-height", "letter-spacing", "word-spacing", "white-space", "word-break",
    "word-wrap", "overflow-wrap", "vertical-align", "box-sizing", "display", "clear",
    "margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
    "padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
    "border", "border-top", "border-right", "border-bottom", "border-left", "border-width", "border-style",
    "border-color", "border-radius", "border-collapse", "border-spacing",
    "border-top-left-radius", "border-top-right-radius", "border-bottom-left-radius", "border-bottom-right-radius",
    "width", "max-width", "min-width", "height", "max-height", "min-height",
    "justify-content", "align-items", "align-self", "flex-direction", "flex-wrap", "flex", "flex-grow", "flex-shrink",
    "flex-basis", "gap",
}
SIZE_PROPERTIES = {"width", "max-width", "min-width", "height", "max-height", "min-height"}
DISPLAY_VALUES = {"block", "inline", "inline-block", "flex", "inline-flex", "table", "table-row", "table-cell",
                  "list-item"}
_BAD_VALUE = re.compile(r"url\s*\(|expression|javascript:|vbscript:|behavior|@import|binding|\\|/\*|[<>\"';{}]",
                        re.I)
_VALUE = re.compile(r"^[#a-z0-9.,%()\s+\-!/]*$", re.I)  # colours, lengths, keywords, rgb()/rgba()
_IMPORTANT = r"(\s*!\s*important)?"
_SIZE = re.compile(r"^(auto|0|\d+(\.\d+)?(px|%|em|rem))" + _IMPORTANT + "$", re.I)
_COLOR = re.compile(r"^(#[0-9a-f]{3,8}|(rgb|rgba|hsl|hsla)\([0-9.,%\s]+\)|[a-z]+)" + _IMPORTANT + "$", re.I)
_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|jpg|gif|webp);base64,[a-z0-9+/=\s]+$", re.I)
_URL_BAD_CHARS = re.compile(r"[\s<>\"'`\\]")
_NUMBER = re.compile(r"^\d{1,5}(%|px)?$")


def _url_ok(value: str, image: bool) -> bool:
    url = value.strip()
    if image and url.lower().startswith("data:"):
        return bool(_DATA_IMAGE.match(url))
    if _URL_BAD_CHARS.search(url):
        return False
    lowered = url.lower()
    if lowered.startswith(("http://", "https://")):
        return True
    if image and lowered.startswith("//"):
        return True  # protocol-relative image (WeChat pastes carry them)
    return url.startswith(("/", "#")) and not url.startswith("/\\") and ":" not in url.split("/", 2)[0]


def clean_style(style: str) -> str:
    """Keep only the allowed declarations with harmless values ("color: red; position: fixed" → "color: red")."""
    kept = []
    for declaration in style.split(";"):
        name, sep, value = declaration.partition(":")
        name, value = name.strip().lower(), value.strip()
        if not sep or not value or name not in STYLE_PROPERTIES:
            continue
        if _BAD_VALUE.search(value) or not _VALUE.match(value):
            continue
        plain = re.sub(r"!\s*important", "", value.lower()).strip()
        if name in SIZE_PROPERTIES and not _SIZE.match(value):
            continue
        if name == "display" and plain not in DISPLAY_VALUES:
            continue
        if name == "background" and not _COLOR.match(value):
            continue  # the shorthand only as a colour (no images, no gradients)
        kept.append(f"{name}: {value}")
    return "; ".join(kept)


def _attribute(tag: str, name: str, value: str) -> str | None:
    if name == "style":
        return clean_style(value) or None
    if name in ("href", "src", "data-src"):
        return value.strip() if _url_ok(value, image=tag == "img") else None
    if name == "target":
        return "_blank" if value.strip().lower() == "_blank" else None
    if name in ("width", "height") and tag in ("img", "table", "td", "th", "col", "colgroup"):
        return value.strip() if _NUMBER.match(value.strip()) else None
    if name in ("colspan", "rowspan", "span", "start", "border", "cellpadding", "cellspacing"):
        return value.strip() if value.strip().isdigit() and len(value.strip()) < 4 else None
    if name == "align" or name == "valign":
        return value if value.lower() in {"left", "right", "center", "justify", "top", "middle", "bottom"} else None
    return value


def _clean(html: str, tags: set[str], attributes: dict) -> str:
    return nh3.clean(html, tags=tags, clean_content_tags=DROP_WITH_CONTENT, attributes=attributes,
                     attribute_filter=_attribute, strip_comments=True, url_schemes={"http", "https", "data"},
                     filter_style_properties=STYLE_PROPERTIES, link_rel="noopener noreferrer")


# nh3's output is canonical: attributes as name="value" with quotes escaped, so this finds whole <img> tags.
IMG_TAG = re.compile(r'<img((?:\s+[a-z][a-z0-9-]*="[^"]*")*)\s*/?>')
ATTRIBUTE = re.compile(r'\s+([a-z][a-z0-9-]*)="([^"]*)"')


def _lazy_images(match: re.Match) -> str:
    attrs = ATTRIBUTE.findall(match.group(1))
    names = {name for name, _value in attrs}
    if "data-src" not in names:
        return match.group(0) if "src" in names else ""  # an image without a usable address is dropped
    data_src = next(value for name, value in attrs if name == "data-src")
    out = [(name, value) for name, value in attrs if name not in ("src", "data-src")]
    return "<img" + "".join(f' {name}="{value}"' for name, value in [("src", data_src), *out]) + ">"


def sanitize_rich_html(html: str) -> str:
    """Pasted or typed rich HTML → the safe subset we store and show (see the module docstring)."""
    if not html or not html.strip():
        return ""
    first = _clean(html, TAGS, ATTRIBUTES)
    swapped = IMG_TAG.sub(_lazy_images, first)
    # a second pass: data-src is no longer allowed and the swapped src goes through the URL check again
    return _clean(swapped, TAGS, {**ATTRIBUTES, "img": ATTRIBUTES["img"] - {"data-src"}}).strip()


_DANGER = {
    "script": re.compile(r"<\s*script\b", re.I),
    "event handler": re.compile(r"<[^>]+\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"(java|vb)script\s*:", re.I),
    "frame or plug-in": re.compile(r"<\s*(iframe|object|embed|applet|frame)\b", re.I),
    "svg": re.compile(r"<\s*svg\b", re.I),
    "form": re.compile(r"<\s*(form|input|button)\b", re.I),
}


def neutralised(html: str) -> list[str]:
    """What dangerous markup the raw input carried (and sanitize_rich_html removed), for the audit log."""
    return [name for name, pattern in _DANGER.items() if pattern.search(html or "")]


_BLOCK = re.compile(r"<(/?(p|div|section|br|li|h[1-6]|tr|td|th|blockquote|figcaption|pre|hr)\b)", re.I)
_SPACES = re.compile(r"\s+")


def plain_text(html: str, limit: int | None = None) -> str:
    """The text of rich HTML, one space between blocks, for summaries, search and compliance checks."""
    if not html:
        return ""
    spaced = _BLOCK.sub(r" <\1", html)
    text = html_lib.unescape(nh3.clean(spaced, tags=set(), clean_content_tags=DROP_WITH_CONTENT))
    text = _SPACES.sub(" ", text.replace("\u00a0", " ")).strip()
    if limit is not None and len(text) > limit:
        return text[: max(0, limit - 1)].rstrip() + "…"
    return text
