"""Shared steps of the expert-pool tests: codes read where a phone or a mailbox would receive them."""
import re

from app.core import jobs
from app.core.audit import SYSTEM
from app.experts import taxonomy


async def sms_code(db, phone: str) -> str:
    await jobs.drain()
    rows = await db.fetch("SELECT m.text FROM sms_message m JOIN sms_batch b ON b.id = m.batch"
                          " WHERE b.source = 'notify' AND m.phone = $1 ORDER BY m.id", phone)
    assert rows, "no SMS reached the outbox"
    return re.search(r"\b(\d{6})\b", rows[-1]["text"]).group(1)


async def mail_code(db, address: str) -> str:
    await jobs.drain()
    row = await db.fetchrow("SELECT body FROM dev_mail WHERE rcpt LIKE $1 ORDER BY id DESC LIMIT 1", f"%{address}%")
    assert row, "no mail reached the sink"
    return re.search(r"\b(\d{6})\b", row["body"]).group(1)


async def make_fields() -> dict[str, int]:
    top = await taxonomy.save(SYSTEM, {"code": "T-ENG", "name": "工程技术"})
    mid = await taxonomy.save(SYSTEM, {"code": "T-ENG-CIV", "name": "土木工程", "parent": top})
    leaf = await taxonomy.save(SYSTEM, {"code": "T-ENG-CIV-BRG", "name": "桥梁工程", "parent": mid})
    other = await taxonomy.save(SYSTEM, {"code": "T-IT", "name": "信息技术"})
    return {"top": top, "mid": mid, "leaf": leaf, "other": other}
