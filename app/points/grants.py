"""Manual grant and deduct (MALL-04): an admin gives or takes points from one or many users with a
required reason. Two steps — preview (who, balance before → after) on a confirmation page, then apply
all in one transaction. A deduct that would take any balance below zero applies to nobody and names the
users concerned. The batch token from the preview makes the ledger keys, so a double submit is harmless."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from app.core import db
from app.core.audit import Actor
from app.core.forms import Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.points import api

MODES = {"grant": L("Grant (add points)"), "deduct": L("Deduct (take points)")}
MAX_USERS = 2000
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def grant_form(data: dict | None = None) -> Form:
    return Form([
        Field("users", L("Users"), "textarea", required=True, max_length=40_000,
              help=L("Usernames or user ids, separated by spaces, commas or new lines.")),
        Field("mode", L("Action"), "select", required=True, choices=list(MODES.items())),
        Field("amount", L("Points"), "int", required=True, min_value=1, max_value=10_000_000),
        Field("reason", L("Reason"), "textarea", required=True, max_length=500,
              help=L("Shown to the user in their points history and kept in the audit log.")),
    ], data or {"mode": "grant"})


@dataclass
class Plan:
    mode: str
    amount: int
    reason: str
    users: list[dict]  # id, username, name, balance, after
    token: str

    @property
    def short(self) -> list[dict]:
        """Users whose balance is too small for the deduct."""
        return [u for u in self.users if u["after"] < 0]


def _tokens(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for part in re.split(r"[\s,;，；、]+", text or ""):
        if part:
            seen.setdefault(part, None)
    return list(seen)


async def plan(actor: Actor, cleaned: dict, token: str = "") -> Plan:
    """Resolve the users (inside the actor's scope) and compute each balance after; raises Invalid."""
    names = _tokens(cleaned["users"])
    if len(names) > MAX_USERS:
        raise Invalid("users", _("At most %(n)s users at a time.", n=MAX_USERS))
    ids = [int(n) for n in names if n.isdigit() and len(n) < 10]
    args: list = [names, ids]
    rows = await db.fetch(
        f"SELECT u.id, u.username, u.name, coalesce(a.balance, 0) AS balance FROM app_user u"
        f" LEFT JOIN pts_account a ON a.user_id = u.id WHERE (u.username = ANY($1::text[]) OR u.id = ANY($2::int[]))"
        f" AND {actor.scope.sql('u.org', 'u.id', args)} ORDER BY u.username", *args)
    found = {r["username"] for r in rows} | {str(r["id"]) for r in rows}
    missing = [n for n in names if n not in found]
    if missing:
        raise Invalid("users", _("Unknown users (or outside your data scope): %(names)s",
                                 names=", ".join(missing[:20]) + (" …" if len(missing) > 20 else "")))
    sign = 1 if cleaned["mode"] == "grant" else -1
    users = [{**r, "after": r["balance"] + sign * cleaned["amount"]} for r in rows]
    token = token if TOKEN_RE.match(token or "") else secrets.token_urlsafe(12)
    result = Plan(cleaned["mode"], cleaned["amount"], cleaned["reason"], users, token)
    _refuse_overdraw(result)
    return result


def _refuse_overdraw(p: Plan) -> None:
    if p.short:
        shown = ", ".join(f"{u['username']} ({u['balance']})" for u in p.short[:20])
        raise Invalid("amount", _("Deducting %(amount)s points would make these balances negative: %(users)s. "
                                  "Nothing was deducted.", amount=p.amount, users=shown))


async def apply(actor: Actor, p: Plan) -> int:
    """Grant or deduct for every user of the plan, all or nothing; returns how many users changed."""
    change = api.grant if p.mode == "grant" else api.deduct
    try:
        async with db.transaction():
            for user in p.users:
                await change(user["id"], p.amount, key=f"manual:{p.token}:{user['id']}", reason=p.reason, actor=actor)
    except api.InsufficientPoints:
        # A balance fell between preview and apply: recompute and name who is short.
        fresh = await plan(actor, {"users": " ".join(str(u["id"]) for u in p.users), "mode": p.mode,
                                   "amount": p.amount, "reason": p.reason}, p.token)
        _refuse_overdraw(fresh)
        raise
    return len(p.users)
