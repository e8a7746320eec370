"""File storage port: what core and the business modules need from a file store, and the configured one.

`Storage` is put/get/exists/delete of whole files by key, plus the streaming calls for large files (IM-01: up
to 1 GB): `put_stream` writes chunks as they arrive (never the whole file in memory) and stops at a size limit,
`open`/`size` read byte ranges without loading the file (`app.core.file_serving`). The implementation is named
by a dotted path "module:Class" in TC_STORAGE (default `app.adapters.storage:LocalStorage`, local disk under
TC_UPLOAD_DIR); core names it as a string and loads it on first use, so it never imports app.adapters.

The class is loaded once and cached; an instance is built per `storage()` call from the current settings
(`Class.from_settings(settings)`), so a changed upload dir (tests, `get_settings.cache_clear()`) is honoured.
"""
from __future__ import annotations

import importlib
import os
from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Any, BinaryIO, Protocol, runtime_checkable

from app.config import get_settings

DEFAULT_STORAGE = "app.adapters.storage:LocalStorage"


class TooLarge(Exception):
    """`put_stream` got more than `max_bytes`; nothing is left in the store."""

    def __init__(self, max_bytes: int):
        super().__init__(f"more than {max_bytes} bytes")
        self.max_bytes = max_bytes


@runtime_checkable
class Storage(Protocol):
    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Removes the file; a file already gone is fine (retried purges)."""

    async def put_stream(self, key: str, chunks: AsyncIterator[bytes], max_bytes: int | None = None) -> int:
        """Store the chunks as they come and return the size; the file appears under `key` only when complete.
        More than `max_bytes` raises TooLarge and leaves nothing behind."""
        ...

    def open(self, key: str) -> BinaryIO:
        """The stored file opened for reading (seekable); the caller closes it."""
        ...

    def size(self, key: str) -> int:
        """The stored file's size in bytes."""
        ...


def storage_path() -> str:
    """The configured implementation's dotted path ("module:Class")."""
    return os.environ.get("TC_STORAGE", "").strip() or DEFAULT_STORAGE


@lru_cache
def _load(path: str) -> Any:
    module_name, sep, class_name = path.partition(":")
    if not sep or not module_name or not class_name:
        raise ValueError(f"TC_STORAGE must be 'module:Class', not {path!r}")
    cls = getattr(importlib.import_module(module_name), class_name, None)
    if cls is None:
        raise ValueError(f"TC_STORAGE: {module_name} has no {class_name}")
    return cls


def storage_class() -> Any:
    return _load(storage_path())


def storage() -> Storage:
    """The configured file store, built from the current settings."""
    cls = storage_class()
    settings = get_settings()
    return cls.from_settings(settings) if hasattr(cls, "from_settings") else cls()
