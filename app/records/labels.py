"""Codes shown as words on the records pages (list cells, detail, export, update log): dictionary codes
through app.core.dictionary, the update log's own code words (methods, batch kinds, sections) through
gettext. A page never shows a raw code where a reader expects a name."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.core import dictionary
from app.core.i18n import lazy as L

REGION = "region"

# rec_change.method / rec_batch.kind → label (same msgids as the filter boxes of the update log)
METHOD_LABELS = {"manual": L("Manual"), "import": L("Import"), "sync": L("Sync"), "merge": L("Merge"),
                 "batch_update": L("Batch update"), "self": L("Self-service"), "auto": L("Auto update"),
                 "rollback": L("Rollback")}
# rec_change.section of a whole row created or deleted (person fields are logged under "basic")
SECTION_LABELS = {"basic": L("Basic"), "contact": L("Contact log"), "education": L("Education"), "work": L("Work"),
                  "file": L("Archive photos and files")}

# rec_interaction.kind, written by other modules (活动 / 捐赠 / 走访 / 投票 / 服务 / 其他)
INTERACTION_KINDS = {"event": L("Event"), "donation": L("Donation"), "visit": L("Visit"), "vote": L("Vote"),
                     "service": L("Service"), "other": L("Other")}


def word(table: dict, code: Any) -> str:
    """A code's label from one of the tables above; an unknown code stays as it is."""
    return str(table.get(code, code or ""))


def code_name(names: dict[str, str], code: Any, dict_type: str = "") -> str:
    """The label of a dictionary code. A GB/T 2260 region code the table does not hold is named by its
    prefecture or province: 310100 (上海市市辖区, the city proper of a municipality) → 上海市."""
    key = str(code)
    if key in names:
        return names[key]
    if dict_type == REGION and len(key) == 6 and key.isdigit():
        for parent in (key[:4] + "00", key[:2] + "0000"):
            if parent in names:
                return names[parent]
    return key


def codes_text(names: dict[str, str], value: Any, dict_type: str = "") -> str:
    """One code or a list of codes (multi-select) as labels."""
    values = value if isinstance(value, (list, tuple)) else [value]
    return ", ".join(code_name(names, v, dict_type) for v in values)


async def name_maps(dict_types: Iterable[str]) -> dict[str, dict[str, str]]:
    """dictionary type → {code: label}: one (cached) read per type, not one per cell."""
    out: dict[str, dict[str, str]] = {}
    for t in dict_types:
        if t and t not in out:
            out[t] = await dictionary.label_map(t)
    return out
