"""Shared by the channel tests: wait for a condition, collect what a channel reports."""
import asyncio
import time


async def until(pred, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < end, "condition not reached in time"
        await asyncio.sleep(0.01)


def collect(channel):
    """Point the channel's callbacks at two lists, channel.receipts and channel.mos."""
    channel.receipts, channel.mos = [], []

    async def on_receipt(r):
        channel.receipts.append(r)

    async def on_mo(m):
        channel.mos.append(m)

    channel.on_receipt, channel.on_mo = on_receipt, on_mo
    return channel
