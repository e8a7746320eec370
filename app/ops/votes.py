"""Votes (OPS-04): options (with an image), a time window, up to `max_choices` options per person (one ballot per
option, never twice: a unique index), verified alumni only when asked, results shown live, after closing or only
to organisers. Anti-abuse: rate limits per IP and per device cookie; a burst from one address (more than
BURST_BALLOTS ballots in BURST_SECONDS) is audited as suspicious; every ballot keeps its IP and device.
An alumnus may propose a vote for an org or class they belong to (`propose`): it waits, with its options, for the
owner's organisers (a todo), who open it or turn it down with a reason the proposer is told."""
from __future__ import annotations

from datetime import UTC, datetime

from app.core import audit, db, notify, ratelimit, todos, uploads
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.ops import access
from app.ops.access import NotFound
from app.records import api as records

RESULTS = {"live": L("Live, while voting"), "after_close": L("After the vote closes"),
           "hidden": L("Hidden (organisers only)")}
STATUSES = {"draft": L("Draft"), "pending": L("Waiting for approval"), "open": L("Open for voting"),
            "closed": L("Closed")}
PER_IP = (60, 60)  # ballots per minute from one address (a campus NAT carries many people)
PER_DEVICE = (10, 60)
BURST_BALLOTS, BURST_SECONDS = 30, 60
TODO_KIND = "ops.vote.approval"
MAX_PROPOSED_OPTIONS = 20


async def get(vote_id: int) -> dict:
    row = await db.fetchrow("SELECT * FROM ops_vote WHERE id = $1", vote_id)
    if row is None:
        raise NotFound()
    row["status_label"] = str(STATUSES[row["status"]])
    return row


async def options(vote_id: int) -> list[dict]:
    return await db.fetch("SELECT * FROM ops_vote_option WHERE vote = $1 ORDER BY sort, id", vote_id)


async def create(actor: Actor, values: dict, owner: tuple[str, int] = ("hq", 0), *, status: str = "draft") -> int:
    if status != "pending":
        await access.require_manage(actor, owner)
    title = (values.get("title") or "").strip()
    if not title:
        raise Invalid("title", _("This field is required."))
    results = values.get("results") or "live"
    if results not in RESULTS:
        raise Invalid("results", _("Choose from the list."))
    max_choices = int(values.get("max_choices") or 1)
    if not 1 <= max_choices <= 50:
        raise Invalid("max_choices", _("Between %(lo)s and %(hi)s.", lo=1, hi=50))
    starts, ends = values.get("starts_at"), values.get("ends_at")
    if starts and ends and ends <= starts:
        raise Invalid("ends_at", _("The end is before the start."))
    async with db.transaction():
        vote_id = await db.fetchval(
            "INSERT INTO ops_vote (owner_kind, owner_id, title, description, starts_at, ends_at, max_choices,"
            " verified_only, results, status, created_by, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
            " $11, $10, $10) RETURNING id", owner[0], owner[1], title[:200],
            (values.get("description") or "").strip()[:2000], starts, ends, max_choices,
            bool(values.get("verified_only")), results, actor.id, status)
        await audit.record(actor, "create", "ops_vote", vote_id, after={"title": title, "results": results},
                           summary=title)
    return vote_id


async def propose(actor: Actor, owner: tuple[str, int], values: dict, option_labels: list[str]) -> int:
    """An alumnus's vote for their org or class (OPS-04): created with its options, waiting for the owner's
    organisers. Raises NotAllowed (not a member), Invalid (no title, fewer than two or too many options)."""
    owner = (owner[0], int(owner[1]))
    if not await access.may_initiate(actor, owner):
        raise access.NotAllowed()
    labels = [x.strip()[:200] for x in option_labels if x and x.strip()]
    if len(labels) < 2:
        raise Invalid("options", _("Give at least two options, one per line."))
    if len(labels) > MAX_PROPOSED_OPTIONS or len(set(labels)) != len(labels):
        raise Invalid("options", _("Up to %(n)s different options, one per line.", n=MAX_PROPOSED_OPTIONS))
    async with db.transaction():
        vote_id = await create(actor, {**values, "verified_only": True}, owner, status="pending")
        for sort, label in enumerate(labels, 1):
            await db.execute("INSERT INTO ops_vote_option (vote, label, sort, created_by, updated_by) VALUES"
                             " ($1, $2, $3, $4, $4)", vote_id, label, sort, actor.id)
        await todos.open_todo(TODO_KIND, f"ops_vote:{vote_id}", _("Vote to approve: %(title)s",
                              title=values.get("title", "")[:100]), f"/admin/ops/votes/{vote_id}", access.MANAGE)
    return vote_id


async def decide(actor: Actor, vote_id: int, approve: bool, reason: str = "") -> None:
    """The organisers open a proposed vote, or turn it down (closed, never opened) with a reason."""
    vote = await get(vote_id)
    await access.require_manage(actor, (vote["owner_kind"], vote["owner_id"]))
    if vote["status"] != "pending":
        raise Conflict(_("That is not possible now."))
    reason = (reason or "").strip()[:300]
    if not approve and not reason:
        raise Invalid("reason", _("Give a reason."))
    if approve:
        await set_status(actor, vote_id, "open")
    else:
        async with db.transaction():
            await db.execute("UPDATE ops_vote SET status = 'closed', updated_at = now(), updated_by = $2 WHERE id = $1",
                             vote_id, actor.id)
            await audit.record(actor, "reject", "ops_vote", vote_id, before={"status": "pending"},
                               after={"status": "closed", "reason": reason}, summary=vote["title"])
    await todos.close_todo(f"ops_vote:{vote_id}", actor.id)
    if vote["created_by"]:
        body = _("Your vote “%(title)s” is open.", title=vote["title"]) if approve else \
            _("Your vote “%(title)s” was not accepted: %(reason)s", title=vote["title"], reason=reason)
        await notify.notify([vote["created_by"]], "generic", {"title": body, "body": body},
                            url=f"/h5/votes/{vote_id}" if approve else "")


async def add_option(actor: Actor, vote_id: int, label: str, image: tuple[str, bytes] | None = None) -> int:
    vote = await get(vote_id)
    await access.require_manage(actor, (vote["owner_kind"], vote["owner_id"]))
    label = (label or "").strip()
    if not label:
        raise Invalid("label", _("This field is required."))
    if vote["status"] not in ("draft", "pending"):
        raise Conflict(_("Options are fixed once voting has opened."))
    key = (await uploads.save(image[0], image[1], images_only=True, field="image")).key if image else ""
    async with db.transaction():
        option_id = await db.fetchval(
            "INSERT INTO ops_vote_option (vote, label, image_key, sort, created_by, updated_by) VALUES ($1, $2, $3,"
            " (SELECT COALESCE(max(sort), 0) + 1 FROM ops_vote_option WHERE vote = $1), $4, $4) RETURNING id",
            vote_id, label[:200], key, actor.id)
        await audit.record(actor, "create", "ops_vote_option", option_id, after={"label": label}, summary=label)
    return option_id


async def set_status(actor: Actor, vote_id: int, status: str) -> None:
    vote = await get(vote_id)
    await access.require_manage(actor, (vote["owner_kind"], vote["owner_id"]))
    allowed = {"open": ("draft", "pending"), "closed": ("open",)}
    if status not in allowed or vote["status"] not in allowed[status]:
        raise Conflict(_("That is not possible now."))
    if status == "open" and len(await options(vote_id)) < 2:
        raise Conflict(_("A vote needs at least two options."))
    async with db.transaction():
        await db.execute("UPDATE ops_vote SET status = $2, updated_at = now(), updated_by = $3 WHERE id = $1",
                         vote_id, status, actor.id)
        await audit.record(actor, status, "ops_vote", vote_id, before={"status": vote["status"]},
                           after={"status": status}, summary=vote["title"])


async def my_choices(user_id: int | None, vote_id: int) -> set[int]:
    if user_id is None:
        return set()
    rows = await db.fetch("SELECT option FROM ops_ballot WHERE vote = $1 AND \"user\" = $2", vote_id, user_id)
    return {r["option"] for r in rows}


async def cast(actor: Actor, vote_id: int, option_ids: list[int], *, ip: str = "", device: str = "") -> int:
    """Ballots for these options; returns how many were cast. Refusals (window, limit, not verified, rate) are
    Conflict with a clear message and are audited."""
    if actor.id is None:
        raise access.NotAllowed()
    vote = await get(vote_id)
    problem = await _refusal(actor, vote, option_ids, ip, device)
    if problem:
        await audit.record(actor, "vote_refused", "ops_vote", vote_id, after={"reason": problem, "ip": ip},
                           summary=vote["title"])
        raise Conflict(problem)
    async with db.transaction():
        await db.execute("SELECT pg_advisory_xact_lock($1::int, $2::int)", 800_000 + vote_id % 1_000_000, actor.id)
        mine = await my_choices(actor.id, vote_id)
        wanted = [o for o in dict.fromkeys(option_ids) if o not in mine]
        if len(mine) + len(wanted) > vote["max_choices"]:
            raise Conflict(_("You may choose at most %(n)s option(s); you already chose %(m)s.",
                             n=vote["max_choices"], m=len(mine)))
        for option_id in wanted:
            await db.execute("INSERT INTO ops_ballot (vote, option, \"user\", ip, device) VALUES ($1, $2, $3, $4, $5)",
                             vote_id, option_id, actor.id, ip[:64], device[:64])
            await db.execute("UPDATE ops_vote_option SET ballots = ballots + 1 WHERE id = $1", option_id)
        await audit.record(actor, "vote", "ops_vote", vote_id, after={"options": wanted, "ip": ip},
                           summary=vote["title"])
    if ip and await db.fetchval("SELECT count(*) FROM ops_ballot WHERE vote = $1 AND ip = $2 AND cast_at > now() -"
                                " make_interval(secs => $3)", vote_id, ip, BURST_SECONDS) > BURST_BALLOTS:
        await audit.record(actor, "vote_burst", "ops_vote", vote_id, after={"ip": ip},
                           summary=_("Suspicious burst of ballots from %(ip)s", ip=ip))
    return len(wanted)


async def _refusal(actor: Actor, vote: dict, option_ids: list[int], ip: str, device: str) -> str:
    now = datetime.now(UTC)
    if vote["status"] != "open" or (vote["starts_at"] and now < vote["starts_at"]) \
            or (vote["ends_at"] and now > vote["ends_at"]):
        return _("Voting is not open now.")
    valid = {o["id"] for o in await options(vote["id"])}
    if not option_ids or any(o not in valid for o in option_ids):
        return _("Choose at least one of the options.")
    if vote["verified_only"] and not await records.is_linked_user(actor.id):
        return _("This vote is for verified alumni: verify your alumni identity first.")
    if ip and not await ratelimit.allow("ops.vote.ip", ip, *PER_IP):
        return _("Too many votes from your network just now. Try again in a minute.")
    if device and not await ratelimit.allow("ops.vote.device", device, *PER_DEVICE):
        return _("Too many votes from this device just now. Try again in a minute.")
    return ""


def thanks() -> str:
    return _("Thank you: your vote is counted.")


async def results_for(viewer: Actor | None, vote_id: int) -> list[dict] | None:
    """Counts per option, or None when this viewer may not see them yet (the vote's display rule)."""
    vote = await get(vote_id)
    organiser = await access.may_manage(viewer, (vote["owner_kind"], vote["owner_id"]))
    shown = organiser or vote["results"] == "live" or (vote["results"] == "after_close" and vote["status"] == "closed")
    if not shown:
        return None
    items = await options(vote_id)
    total = sum(o["ballots"] for o in items) or 1
    return [{"id": o["id"], "label": o["label"], "ballots": o["ballots"], "share": round(100 * o["ballots"] / total)}
            for o in items]
