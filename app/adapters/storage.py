"""File storage adapter: local disk (TC_UPLOAD_DIR), the default implementation of the `app.core.storage`
port. An S3-compatible implementation plugs in behind the same calls (TC_STORAGE="module:Class") when
scaled out. Get the configured store with `app.core.storage.storage()`."""
from __future__ import annotations

from pathlib import Path

from app.config import Settings
from app.core.storage import Storage


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
