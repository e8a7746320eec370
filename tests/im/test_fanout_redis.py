"""IM-13 across processes: two web processes share a real redis-server as the channels layer; a message posted
on process A reaches a stream open on process B (and a stream on A itself)."""
import asyncio
from pathlib import Path

import httpx
import pytest

from app.im import conversations
from tests.helpers import RedisServer, WebProcess, csrf_from, login
from tests.im.helpers import actor_of

LOGS = Path(__file__).resolve().parent.parent.parent / "e2e" / "artifacts"


async def _first_message(client: httpx.AsyncClient, conversation: int, text: str) -> str:
    async with client.stream("GET", f"/h5/im/stream?c={conversation}&after=0") as response:
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if line.startswith("data:") and text in line:
                return line


@pytest.mark.req("IM-13")
async def test_a_message_posted_on_process_a_reaches_a_stream_on_process_b(database, db):
    from app.support.seed import DEMO_PASSWORD

    me, other = await actor_of("alumnus"), await actor_of("hq")
    conversation = await conversations.direct(me, other.id)
    with RedisServer(LOGS / "redis.log") as redis, \
            WebProcess(database, LOGS / "im_a.log", TC_REALTIME_URL=redis.url) as a, \
            WebProcess(database, LOGS / "im_b.log", TC_REALTIME_URL=redis.url) as b:
        a.wait_ready(), b.wait_ready()
        async with httpx.AsyncClient(base_url=a.url, timeout=20) as on_a, \
                httpx.AsyncClient(base_url=b.url, timeout=20) as on_b:
            assert (await login(on_a, "alumnus", DEMO_PASSWORD)).status_code == 303
            assert (await login(on_b, "hq", DEMO_PASSWORD)).status_code == 303
            listening = asyncio.ensure_future(_first_message(on_b, conversation, "跨进程你好"))
            await asyncio.sleep(1.0)  # the stream on B is subscribed
            page = await on_a.get(f"/h5/im/c/{conversation}")
            sent = await on_a.post(f"/h5/im/c/{conversation}", data={"_csrf_token": csrf_from(page.text),
                                                                      "body": "跨进程你好"})
            assert sent.status_code == 303
            line = await asyncio.wait_for(listening, 10)
    assert line.startswith('data: <p class="im-body">跨进程你好</p>')
