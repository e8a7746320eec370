"""Import engine (SUP-18 users now, every module's imports later — REC-08).

upload (xlsx/csv) → map columns → validate (per-row errors in import_row.errors as {column: message})
→ commit as a background job → report → rollback of the whole batch.

A module declares an `ImportSpec` and `register`s it. The commit job creates each row and marks it
'imported' with its entity id in ONE transaction, so a worker killed mid-job resumes on the rows still
'ok' and nothing is created twice. A spec with `create_many` is committed a chunk at a time instead
(COMMIT_CHUNK rows: set-based inserts, the rows marked in the same transaction — a chunk is all or
nothing); a chunk refused by a row error is redone row by row so the error lands on its row.
File reading and column parsers live in `import_files`.

One file per phase: `specs` (declaring and finding specs), `upload`, `batches` (reading batches and
rows), `validation`, `commit_job` (the commit, its job handler and `import_now`), `rollbacks` (rollback
and the error report). Callers use the names re-exported here; the tunables (CHUNK, COMMIT_CHUNK, …)
stay in their sub-module, where a test must patch them.
"""
from __future__ import annotations

from app.core.import_files import auto_mapping  # header texts → columns (either language); part of the engine's API
from app.core.imports.batches import (
    ROW_STATUSES,
    duplicate_rows,
    get_batch,
    job_state,
    list_batches,
    list_rows,
    preview,
    set_duplicate_choices,
)

# commit_job also registers the "import.commit" job handler: importing the package is enough for a worker.
from app.core.imports.commit_job import actor_for, commit, import_now
from app.core.imports.rollbacks import describe_errors, error_report_xlsx, rollback
from app.core.imports.specs import (
    DUPLICATE_CHOICES,
    ROW,
    SPECS,
    ImportColumn,
    ImportContext,
    ImportSpec,
    choices_for,
    get_spec,
    ready,
    register,
    spec_for,
)
from app.core.imports.upload import parse_upload, template_xlsx
from app.core.imports.validation import apply_mapping_and_validate

__all__ = [
    "DUPLICATE_CHOICES", "ROW", "ROW_STATUSES", "SPECS", "ImportColumn", "ImportContext", "ImportSpec",
    "actor_for", "apply_mapping_and_validate", "auto_mapping", "choices_for", "commit", "describe_errors",
    "duplicate_rows", "error_report_xlsx", "get_batch", "get_spec", "import_now", "job_state", "list_batches",
    "list_rows", "parse_upload", "preview", "ready", "register", "rollback", "set_duplicate_choices", "spec_for",
    "template_xlsx",
]
