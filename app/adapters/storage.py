"""File storage adapter: local disk by default (TC_UPLOAD_DIR). An S3-compatible implementation
plugs in behind the same two calls when scaled out."""
from __future__ import annotations

from pathlib import Path

from app.config import get_settings


class LocalStorage:
    def __init__(self, root: Path):
        self.root = root

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


def storage() -> LocalStorage:
    return LocalStorage(get_settings().upload_dir)
