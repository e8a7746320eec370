"""Long leave and avoidance units (EXP-05, EXP-06): set on the phone, applied by the draw input."""
from datetime import date, timedelta

import pytest

from app.core.audit import SYSTEM
from app.experts import api, experts
from app.support import users
from tests.experts.helpers import make_fields
from tests.helpers import csrf_from, login


@pytest.mark.req("EXP-06", "EXP-07")
async def test_leave_and_avoid_units_keep_the_expert_out_of_draws(client, db):
    f = await make_fields()
    user_id = await users.create_user(SYSTEM, username="exp_leave", name="请假", password="Demo2026pass!x")
    expert_id = await experts.create(SYSTEM, {"name": "请假专家", "phone": "17760000001", "fields": [f["leaf"]]},
                                     user_id=user_id)
    assert [e["id"] for e in await api.eligible([f["top"]])] == [expert_id]
    assert (await login(client, "exp_leave", "Demo2026pass!x")).status_code == 303
    page = await client.get("/h5/expert/availability")
    token = csrf_from(page.text)
    bad = await client.post("/h5/expert/availability/leave", data={"_csrf_token": token, "starts_on": "2026-05-02",
                                                                   "ends_on": "2026-05-01", "reason": "出差"})
    assert bad.status_code == 422 and "before the start date" in bad.text and 'value="出差"' in bad.text
    today = date.today()
    ok = await client.post("/h5/expert/availability/leave", data={
        "_csrf_token": token, "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=3)).isoformat()})
    assert ok.status_code == 303
    assert await api.eligible([f["top"]]) == []
    assert [e["id"] for e in await api.eligible([f["top"]], on=today + timedelta(days=4))] == [expert_id]  # ends
    await client.post("/h5/expert/availability/unit", data={"_csrf_token": token, "unit": "旧东家", "kind": "past"})
    later = today + timedelta(days=5)
    assert await api.eligible([f["top"]], avoid_units=["旧东家"], on=later) == []
    assert [e["id"] for e in await api.eligible([f["top"]], avoid_units=["别家"], on=later)] == [expert_id]
