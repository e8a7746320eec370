"""What a module declares to import something: its `ImportSpec` (columns, create/update/rollback hooks),
and the registry of specs by kind."""
from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from app.core import import_files as files
from app.core.audit import Actor
from app.core.i18n import gettext as _
from app.core.permissions import PermissionDenied

ROW = files.ROW
# What to do with a row matching an existing record (REC-08): keep the record as it is, overwrite its
# fields with the file's non-empty values, or fill only its empty fields.
DUPLICATE_CHOICES = ("skip", "overwrite", "merge")


@dataclass(frozen=True)
class ImportColumn:
    key: str
    label: str  # a lazy msgid: L("Username")
    required: bool = False
    parse: Callable[[Any, ImportContext], Any] | None = None  # raises Invalid("", message) on bad input
    example: str = ""
    help: str = ""
    unique: bool = False  # may not repeat inside one file (compared case-insensitively)
    sensitive: bool = False  # never shown back; cleared from the stored rows once the batch is committed
    aliases: tuple[str, ...] = ()  # more header texts that map to this column


@dataclass
class ImportContext:
    """Passed to parsers and row checks; `cache` keeps lookups loaded once per chunk by `prepare`."""
    actor: Actor
    batch_id: int | None = None
    cache: dict = field(default_factory=dict)
    committing: bool = False  # True inside the commit job (a spec may open its change batch then)
    row_no: int = 0  # the row being checked by validate_row (for messages naming other rows)


@dataclass
class ImportSpec:
    kind: str
    title: str
    permission: str
    columns: list[ImportColumn]
    create: Callable[[Actor, dict], Awaitable[str]]
    rollback: Callable[[Actor, str], Awaitable[None]] | None = None  # undo one created row
    validate_row: Callable[[dict, ImportContext], Awaitable[dict | None]] | None = None
    # async fn(values_of_chunk, ctx): load what validate_row needs for a whole chunk at once (no N+1)
    prepare: Callable[[list[dict], ImportContext], Awaitable[None]] | None = None
    instructions: tuple[str, ...] = ()
    # Duplicate check (optional): async fn(values of the valid rows of a chunk, ctx) → per row None or
    # {"id": entity id, "label": text shown, "rule": what matched} ({"error": message} refuses the row).
    find_duplicates: Callable[[list[dict], ImportContext], Awaitable[list[dict | None]]] | None = None
    # async fn(actor, entity id, values, mode "overwrite"/"merge") → entity id: a duplicate row applied
    update: Callable[[Actor, str, dict, str], Awaitable[str]] | None = None
    # async fn(actor, batch id): undo the whole batch in one go (instead of `rollback` row by row)
    rollback_batch: Callable[[Actor, int], Awaitable[None]] | None = None
    # async fn() → columns: for specs whose columns are configurable (custom fields); see `ready`
    load_columns: Callable[[], Awaitable[list[ImportColumn]]] | None = None
    # async fn(actor, values of the rows to create, ctx) → their entity ids in the same order: a whole
    # commit chunk created set-based (raise Invalid/Conflict to have the chunk redone row by row)
    create_many: Callable[[Actor, list[dict], ImportContext], Awaitable[list[str]]] | None = None
    module: str = ""  # where the spec is declared; the worker imports it to find the spec
    # True when no row depends on another row's write (no running balances, no parents created earlier in
    # the file): the commit then writes two chunks at once. Leave False when the file's order matters.
    concurrent_chunks: bool = False

    def label(self, key: str) -> str:
        col = next((c for c in self.columns if c.key == key), None)
        return str(col.label) if col else (_("Row") if key in (ROW, "") else key)


SPECS: dict[str, ImportSpec] = {}


def register(spec: ImportSpec) -> ImportSpec:
    spec.module = spec.module or spec.create.__module__
    SPECS[spec.kind] = spec
    return spec


async def ready(spec: ImportSpec) -> ImportSpec:
    """Reload configurable columns (custom fields may have changed since the last request)."""
    if spec.load_columns:
        spec.columns = await spec.load_columns()
    return spec


def choices_for(spec: ImportSpec) -> tuple[str, ...]:
    return DUPLICATE_CHOICES if spec.update else ("skip",)


def get_spec(kind: str, module: str | None = None) -> ImportSpec:
    if kind not in SPECS and module:
        importlib.import_module(module)
    if kind not in SPECS:
        raise LookupError(kind)
    return SPECS[kind]


def spec_for(kind: str, actor: Actor) -> ImportSpec:
    """The spec of `kind` if the actor may use it (LookupError: unknown kind)."""
    spec = get_spec(kind)
    if not actor.can(spec.permission):
        raise PermissionDenied()
    return spec
