"""Contact masking with the reveal window (EXP-17): an expert's phone and email are clear only for holders of
exp.contact.view AND only from experts.reveal_hours before an accepted review opens; superusers follow the same
rule. The raw phone is looked for in the list page, its htmx fragment, the panorama, the smart search page and
fragment (exports: test_export.py)."""
import pytest

from app.core import settings_store
from app.core.audit import SYSTEM, Actor
from app.experts import contact, experts
from tests.helpers import post_form

pytestmark = pytest.mark.req("EXP-19")

PHONE = "17755500017"
EMAIL = "reveal.me@example.org"
VIEW_PERMS = ["sup.admin", "exp.expert.view", "exp.expert.edit", "exp.expert.export"]


async def make_admin(username: str, perms: list[str]) -> None:
    """A non-superuser admin holding exactly `perms` (password: the demo password)."""
    from app.support import roles, users
    from app.support.seed import DEMO_PASSWORD

    role = await roles.save_role(SYSTEM, None, code=f"r_{username}", name=f"角色{username}", description="",
                                 permissions=perms, data_scope="all", scope_org=None)
    await users.create_user(SYSTEM, username=username, name=username, password=DEMO_PASSWORD, role_ids=[role])


async def invite(db, expert_id: int, hours_from_now: float, status: str = "accepted") -> None:
    """An invitation row as the invitations service leaves it (one project each)."""
    await db.execute("INSERT INTO exp_invitation (expert, project_ref, project_title, opens_at, status)"
                     " VALUES ($1, 'manual:' || (SELECT count(*) + 1 FROM exp_invitation), '评审项目',"
                     " now() + make_interval(secs => $2), $3)", expert_id, hours_from_now * 3600, status)


async def an_expert(phone: str = PHONE, email: str = EMAIL, **extra) -> int:
    return await experts.create(SYSTEM, {"name": "揭示测试", "phone": phone, "email": email,
                                         "employer": "揭示单位", **extra})


def holder(**kw) -> Actor:
    return Actor(900, "holder", perms=frozenset({"exp.expert.view", contact.PERMISSION}), **kw)


async def test_the_rule_permission_and_window_both_needed(db):
    e = await an_expert()
    plain = Actor(901, "plain", perms=frozenset({"exp.expert.view"}))
    boss = Actor(902, "boss", is_superuser=True)
    assert (await contact.revealed(holder(), [e]))[e]["phone"] == "177****0017"  # no review at all
    await invite(db, e, 30)  # opens in 30 h: outside the default 24 h
    assert not (await contact.revealed(holder(), [e]))[e]["revealed"]
    await invite(db, e, 2, status="invited")  # not accepted: no window
    assert not (await contact.revealed(holder(), [e]))[e]["revealed"]
    await invite(db, e, 2)
    seen = (await contact.revealed(holder(), [e]))[e]
    assert seen == {"phone": PHONE, "email": EMAIL, "revealed": True}
    assert (await contact.revealed(plain, [e]))[e]["phone"] == "177****0017"  # window, but no permission
    assert (await contact.revealed(boss, [e]))[e]["revealed"]  # a superuser holds every permission ...


async def test_superusers_and_everybody_else_wait_for_the_window(db):
    e = await an_expert()
    boss = Actor(902, "boss", is_superuser=True)
    assert (await contact.revealed(boss, [e]))[e]["phone"] == "177****0017"  # ... but waits for the window too
    await invite(db, e, -20)  # opened 20 h ago: the window closed 12 h after the opening
    assert not (await contact.revealed(boss, [e]))[e]["revealed"]
    await invite(db, e, 40)
    await settings_store.put("experts.reveal_hours", 48)
    assert (await contact.revealed(boss, [e]))[e]["revealed"]  # the site setting widens the window


async def test_hook_of_the_reviews_module_opens_the_window(db):
    from app.experts import api

    e = await an_expert()
    from datetime import UTC, datetime, timedelta

    async def opening(expert_id: int):
        return datetime.now(UTC) + timedelta(hours=1) if expert_id == e else None

    api.register_review_opening(opening)
    try:
        assert (await contact.revealed(holder(), [e]))[e]["phone"] == PHONE
    finally:
        api._review_opening.clear()
    assert (await contact.revealed(holder(), [e]))[e]["phone"] != PHONE


async def test_raw_phone_absent_from_pages_and_fragments_outside_the_window(as_user, db):
    e = await an_expert()
    await make_admin("viewer17", [*VIEW_PERMS, contact.PERMISSION])
    await make_admin("nocontact17", VIEW_PERMS)
    frag = {"HX-Request": "true", "HX-Target": "results"}
    urls = ["/admin/experts", f"/admin/experts/{e}", "/admin/experts/search?q=揭示&run=1"]

    async def bodies(client) -> list[str]:
        out = [(await client.get(u)).text for u in urls]
        out.append((await client.get("/admin/experts?q=揭示", headers=frag)).text)
        out.append((await client.get("/admin/experts/search?q=揭示&run=1", headers=frag)).text)
        return out

    for who in ("admin", "viewer17", "nocontact17"):
        client = await as_user(who)
        for body in await bodies(client):
            assert "揭示测试" in body
            assert PHONE not in body and EMAIL not in body
            assert "177****0017" in body
        client.cookies.clear()
    await invite(db, e, 3)
    client = await as_user("viewer17")
    for body in await bodies(client):
        assert PHONE in body
    client.cookies.clear()
    client = await as_user("nocontact17")
    for body in await bodies(client):
        assert PHONE not in body


async def test_history_and_edit_form_keep_contacts_masked(as_user, db):
    e = await an_expert()
    await experts.update(SYSTEM, e, {**(await experts.get(e)), "phone": "17755500018"})
    client = await as_user("admin")
    detail = (await client.get(f"/admin/experts/{e}")).text
    assert PHONE not in detail and "17755500018" not in detail
    form_url = f"/admin/experts/{e}/edit"
    form = (await client.get(form_url)).text
    assert "17755500018" not in form and "177****0018" in form
    saved = await post_form(client, form_url, form_url, {"name": "揭示测试", "phone": "177****0018",
                                                          "email": "r***@example.org", "employer": "新单位",
                                                          "expert_type": "individual"})
    assert saved.status_code == 303, saved.text[:800]
    row = await experts.get(e)
    assert row["phone"] == "17755500018" and row["email"] == EMAIL and row["employer"] == "新单位"
