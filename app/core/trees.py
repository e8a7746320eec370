"""Flat rows of a tree (each with "id" and "parent") → nested nodes with "children": the org tree and the
alumni associations' tree both list this way. Rows come in display order; a row whose parent is not among
them (out of the viewer's scope) becomes a root."""
from __future__ import annotations

from collections.abc import Iterable


def nest(rows: Iterable[dict], parent_key: str = "parent") -> list[dict]:
    by_id = {r["id"]: {**r, "children": []} for r in rows}
    roots: list[dict] = []
    for node in by_id.values():
        parent = by_id.get(node[parent_key])
        (parent["children"] if parent else roots).append(node)
    return roots
