"""Streamed uploads and byte-range serving in core (IM-01 needs them; every module's files use them): the store
writes chunks and stops at the limit leaving nothing, save_stream sniffs the first bytes, and file_response
answers whole files, ranges, 416, If-Range and 304 while reading the file in chunks."""
import pytest

from app.core import uploads
from app.core.file_serving import parse_range
from app.core.forms import Invalid
from app.core.storage import TooLarge, storage
from app.core.uploads import StoredFile


async def _chunks(data: bytes, size: int = 1000):
    for i in range(0, len(data), size):
        yield data[i:i + size]


def _parts(root) -> list:
    return list(root.rglob("*.part"))


@pytest.mark.req("IM-01")
async def test_put_stream_writes_chunks_and_stops_at_the_limit(db):
    files = storage()
    data = bytes(range(256)) * 40  # 10,240 bytes
    assert await files.put_stream("test/stream/a.bin", _chunks(data), max_bytes=len(data)) == len(data)
    assert files.get("test/stream/a.bin") == data and files.size("test/stream/a.bin") == len(data)
    with files.open("test/stream/a.bin") as handle:
        handle.seek(5000)
        assert handle.read(10) == data[5000:5010]
    with pytest.raises(TooLarge):
        await files.put_stream("test/stream/b.bin", _chunks(data), max_bytes=len(data) - 1)
    assert not files.exists("test/stream/b.bin") and _parts(files.root / "test/stream") == []

    async def broken():
        yield b"x" * 10
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        await files.put_stream("test/stream/c.bin", broken())
    assert not files.exists("test/stream/c.bin") and _parts(files.root / "test/stream") == []
    files.delete("test/stream/a.bin")


@pytest.mark.req("IM-01")
async def test_save_stream_sniffs_and_names_the_limit(db):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 3000
    stored = await uploads.save_stream("图.png", _chunks(png, 7), max_mb=1, prefix="test/")
    assert isinstance(stored, StoredFile) and stored.content_type == "image/png" and stored.size == len(png)
    assert stored.key.startswith("test/") and storage().get(stored.key) == png
    with pytest.raises(Invalid, match="does not match its .png name"):
        await uploads.save_stream("fake.png", _chunks(b"MZ" + b"\x00" * 100), max_mb=1)
    with pytest.raises(Invalid, match="larger than 1 MB"):
        await uploads.save_stream("big.pdf", _chunks(b"%PDF-" + b"1" * (1024 * 1024), 65536), max_mb=1)
    with pytest.raises(Invalid, match="not accepted"):
        await uploads.save_stream("tool.exe", _chunks(b"MZ"), max_mb=1)
    with pytest.raises(Invalid, match="empty"):
        await uploads.save_stream("none.pdf", _chunks(b""), max_mb=1)
    with pytest.raises(Invalid, match="not accepted"):
        await uploads.save_stream("doc.pdf", _chunks(b"%PDF-1"), max_mb=1, images_only=True)
    storage().delete(stored.key)


def test_parse_range():
    assert parse_range("bytes=0-9", 100) == (0, 9)
    assert parse_range("bytes=90-", 100) == (90, 99)
    assert parse_range("bytes=-5", 100) == (95, 99)
    assert parse_range("bytes=50-500", 100) == (50, 99)
    assert parse_range("bytes=100-", 100) is False and parse_range("bytes=9-3", 100) is False
    assert parse_range("bytes=-0", 100) is False
    assert parse_range("bytes=0-1,5-6", 100) is None and parse_range("items=0-1", 100) is None
    assert parse_range("", 100) is None


@pytest.mark.req("IM-01")
async def test_signed_file_link_answers_ranges_from_storage(as_user, db, monkeypatch):
    data = b"%PDF-1.4\n" + bytes(range(256)) * 2000  # several read chunks
    stored = await uploads.save_stream("规章.pdf", _chunks(data, 65536), max_mb=5, prefix="test/")

    def whole_file(self, key):
        raise AssertionError("the file was loaded whole")

    monkeypatch.setattr(type(storage()), "get", whole_file)  # served in chunks from open(), never get()
    client = await as_user("alumnus")
    whole = await client.get(stored.url)
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["content-type"] == "application/pdf" and whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-length"] == str(len(data)) and whole.headers["etag"]
    assert whole.headers.get_list("x-content-type-options") == ["nosniff"]
    part = await client.get(stored.url, headers={"range": "bytes=262000-262143"})
    assert part.status_code == 206 and part.content == data[262000:262144]
    assert part.headers["content-range"] == f"bytes 262000-262143/{len(data)}"
    assert part.headers["content-length"] == "144"
    stale = await client.get(stored.url, headers={"range": "bytes=0-9", "if-range": '"another-version"'})
    assert stale.status_code == 200 and stale.content == data  # the range was for another version: all of it
    fresh = await client.get(stored.url, headers={"range": "bytes=0-9", "if-range": whole.headers["etag"]})
    assert fresh.status_code == 206 and fresh.content == data[:10]
    assert (await client.get(stored.url, headers={"range": f"bytes={len(data) + 5}-"})).status_code == 416
    assert (await client.get(stored.url, headers={"if-none-match": whole.headers["etag"]})).status_code == 304
    storage().delete(stored.key)
    assert (await client.get(stored.url)).status_code == 404
