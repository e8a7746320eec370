"""Paging and sorting for every list: state in the query string, SQL does LIMIT/OFFSET and ORDER BY."""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PER_PAGE_CHOICES = (20, 50, 100)
MAX_PAGE = 1_000_000  # deeper pages are empty anyway; keeps OFFSET far from integer overflow


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int
    sort: str = ""

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.per_page)

    def window(self, size: int = 7) -> list[int]:
        """Page numbers around the current one, for the pager."""
        start = max(1, min(self.page - size // 2, self.pages - size + 1))
        return list(range(start, min(self.pages, start + size - 1) + 1))


@dataclass(frozen=True)
class PageRequest:
    page: int = 1
    per_page: int = 20
    sort: str = ""

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @classmethod
    def from_query(cls, params: Mapping[str, str], default_sort: str = "") -> PageRequest:
        def _int(name: str, default: int) -> int:
            try:
                return int(params.get(name) or default)
            except ValueError:
                return default

        per_page = _int("per_page", 20)
        per_page = per_page if per_page in PER_PAGE_CHOICES else 20
        return cls(page=min(MAX_PAGE, max(1, _int("page", 1))), per_page=per_page,
                   sort=params.get("sort") or default_sort)

    def order_by(self, allowed: Mapping[str, str], default: str) -> str:
        """ORDER BY from `sort` ("name" or "-name") restricted to allowed keys → SQL columns."""
        key = self.sort.lstrip("-")
        column = allowed.get(key)
        if not column:
            return f"ORDER BY {default}"
        return f"ORDER BY {column} {'DESC' if self.sort.startswith('-') else 'ASC'} NULLS LAST, id"
