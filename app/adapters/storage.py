"""File storage adapter: local disk (TC_UPLOAD_DIR), the default implementation of the `app.core.storage`
port. An S3-compatible implementation plugs in behind the same calls (TC_STORAGE="module:Class") when
scaled out. Get the configured store with `app.core.storage.storage()`."""
from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

from app.config import Settings
from app.core.storage import Storage, TooLarge


class LocalStorage(Storage):
    def __init__(self, root: Path):
        self.root = root

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalStorage:
        return cls(settings.upload_dir)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not str(path).startswith(str(self.root.resolve())):
            raise ValueError("bad storage key")
        return path

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    async def put_stream(self, key: str, chunks: AsyncIterator[bytes], max_bytes: int | None = None) -> int:
        """Chunks go to a hidden part file next to the target and are renamed into place when complete (same
        directory, so the rename is atomic); over `max_bytes` or on any error the part file is removed."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
        size = 0
        try:
            with part.open("wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise TooLarge(max_bytes)
                    out.write(chunk)  # local disk: a page-cache copy, short enough for the event loop
            os.replace(part, path)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        return size

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size
