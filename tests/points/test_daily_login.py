"""The daily-login task (MALL-01): logging in publishes "user.logged_in" (app.core.events); the points
module awards the daily_login rule once per day, however often the user logs in."""
import pytest

from app.points import api as points
from tests.helpers import login


@pytest.mark.req("MALL-01", "SUP-09")
async def test_first_login_of_the_day_earns_the_daily_login_points(client, db):
    rule = await db.fetchrow("SELECT points, enabled FROM pts_rule WHERE action = 'daily_login'")
    assert rule and rule["enabled"]
    uid = await db.fetchval("SELECT id FROM app_user WHERE username = 'auditor'")
    before = await points.balance(uid)
    assert (await login(client, "auditor", "Demo2026pass")).status_code == 303
    assert await points.balance(uid) == before + rule["points"]
    assert (await login(client, "auditor", "Demo2026pass")).status_code == 303
    assert await points.balance(uid) == before + rule["points"]  # once a day
    await db.execute("UPDATE pts_rule SET enabled = FALSE WHERE action = 'daily_login'")
    other = await db.fetchval("SELECT id FROM app_user WHERE username = 'em_admin'")
    start = await points.balance(other)
    assert (await login(client, "em_admin", "Demo2026pass")).status_code == 303
    assert await points.balance(other) == start  # a disabled rule awards nothing
