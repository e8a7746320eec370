import pytest


@pytest.fixture(autouse=True)
def _fresh_stream_cache():
    """The database is restored (ids start again) between tests; a process never sees that in production."""
    from app.im import stream

    stream._cache.clear()
    yield
    stream._cache.clear()
