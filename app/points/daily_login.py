"""The "daily_login" task (MALL-01): a user's first login of each Asia/Shanghai day earns the daily_login
rule's points. The rule (admin-set amount and caps, enforced by api.award) decides how many; a disabled
rule awards nothing. module.py subscribes `award` to the "user.logged_in" event."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from app.points import api


async def award(user_id: int) -> None:
    """Idempotent per user and day: the ledger key names the day, so later logins that day change nothing."""
    day = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    await api.award("daily_login", user_id, key=f"daily_login:{user_id}:{day}")
