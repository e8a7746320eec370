"""Manual review of identity claims (IDV-03 desktop, IDV-04 phone): the claims a reviewer may see are those
whose claimed college is inside their data scope (Scope.sql on the college; a claim URL outside it is 403).
Approve links the record the reviewer picks among the candidates (records api, as the reviewer may see them);
reject needs a reason the applicant is shown. Both close the todo, are audited and notify the applicant."""
from __future__ import annotations

from dataclasses import dataclass

from app.core import audit, db, sqlfilter, todos
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.masking import shown
from app.core.pagination import Page, PageRequest
from app.core.permissions import PermissionDenied
from app.identity import claims, links
from app.records import api as records

FROM = ("FROM idn_claim c LEFT JOIN org_node o ON o.id = c.college JOIN app_user u ON u.id = c.\"user\"")
COLUMNS = ("c.id, c.kind, c.name, c.college, c.entry_year, c.status, c.method, c.created_at, c.reason,"
           " c.question_attempts, jsonb_array_length(c.evidence) AS evidence_count, o.name AS college_name,"
           " u.username")
SORTS = {"created": "c.created_at", "name": "c.name", "entry_year": "c.entry_year"}


class NotFound(Exception):
    pass


@dataclass
class ReviewFilters:
    status: str = "pending"
    college: int | None = None
    kind: str = ""
    q: str = ""

    @classmethod
    def from_query(cls, params) -> ReviewFilters:
        status = params.get("status")
        return cls(status=status if status in (*claims.STATUSES, "all") else "pending",
                   college=sqlfilter.number(params, "college"), kind=sqlfilter.choice(params, "kind", claims.KINDS),
                   q=sqlfilter.text(params, "q", 64))


def _where(actor: Actor, f: ReviewFilters, args: list, with_status: bool = True) -> sqlfilter.Where:
    where = sqlfilter.Where(args, actor.scope.sql("c.college", None, args))
    if with_status and f.status != "all":
        where.equals("c.status", f.status)
    where.equals("c.college", f.college)
    where.equals("c.kind", f.kind)
    where.contains("c.name", f.q)
    return where


def _mask(actor: Actor, row: dict) -> dict:
    row["name"] = shown(actor, "name", row["name"])
    if row.get("id_number"):
        row["id_number"] = shown(actor, "id_number", row["id_number"])
    return row


async def list_claims(actor: Actor, f: ReviewFilters, req: PageRequest) -> Page:
    args: list = []
    where = _where(actor, f, args).sql()
    total = await db.fetchval(f"SELECT count(*) {FROM} WHERE {where}", *args)
    order = req.order_by(SORTS, "c.created_at DESC, c.id DESC").replace(", id", ", c.id")
    rows = await db.fetch(f"SELECT {COLUMNS} {FROM} WHERE {where} {order} LIMIT {req.per_page} OFFSET {req.offset}",
                          *args)
    return Page([_mask(actor, r) for r in rows], total, req.page, req.per_page, req.sort)


async def counts(actor: Actor, f: ReviewFilters) -> dict[str, int]:
    """Claims per status under the other filters (the tabs)."""
    args: list = []
    where = _where(actor, f, args, with_status=False).sql()
    rows = await db.fetch(f"SELECT c.status, count(*) AS n {FROM} WHERE {where} GROUP BY 1", *args)
    return {r["status"]: r["n"] for r in rows}


async def college_choices(actor: Actor) -> list[tuple[str, str]]:
    args: list = []
    scope = actor.scope.sql("id", None, args)
    rows = await db.fetch(f"SELECT id, name FROM org_node WHERE kind = 'college' AND {scope} ORDER BY sort, id", *args)
    return [(str(r["id"]), r["name"]) for r in rows]


async def _load(claim_id: int, lock: bool = False) -> dict:
    row = await db.fetchrow(f"{claims.SELECT} WHERE c.id = $1" + (" FOR UPDATE OF c" if lock else ""), claim_id)
    if row is None:
        raise NotFound(claim_id)
    return claims.decode(row)


def _check_scope(actor: Actor, claim: dict) -> None:
    if not actor.scope.allows(claim["college_path"]):
        raise PermissionDenied()


def _check_decidable(actor: Actor, claim: dict) -> None:
    if claim["status"] != "pending":
        raise Conflict(_("This claim was already decided."))
    if claim["user"] == actor.id:
        raise Conflict(_("You cannot decide your own claim. Another reviewer must do it."))


async def get_claim(actor: Actor, claim_id: int) -> dict:
    """The claim for its review page, masked for the reviewer; 403 outside their colleges."""
    claim = await _load(claim_id)
    _check_scope(actor, claim)
    applicant = await db.fetchrow("SELECT username, name, phone FROM app_user WHERE id = $1", claim["user"])
    claim["applicant"] = {"username": applicant["username"], "name": shown(actor, "name", applicant["name"]),
                          "phone": shown(actor, "phone", applicant["phone"])}
    claim["files"] = [{"index": i, "name": e.get("name") or "", "type": e.get("type") or "", "size": e.get("size")}
                      for i, e in enumerate(claim["evidence"])]
    return _mask(actor, claim)


async def candidates(actor: Actor, claim_id: int) -> list[dict]:
    """The records the claim may be about, as the reviewer may see them: same name (and entry year), the
    record the automatic step found first; each says whether another account already holds it."""
    claim = await _load(claim_id)
    _check_scope(actor, claim)
    filters = records.PersonFilters(q=claim["name"], entry_year=claim["entry_year"])
    page = await records.list_people(actor, filters, PageRequest(per_page=20))
    rows = list(page.items)
    if not rows and claim["entry_year"]:  # the entry year typed may be wrong: the name alone
        rows = list((await records.list_people(actor, records.PersonFilters(q=claim["name"]),
                                               PageRequest(per_page=20))).items)
    linked = await records.linked_accounts([r["id"] for r in rows])
    for r in rows:
        r["linked_to_other"] = linked.get(r["id"]) not in (None, claim["user"])
        r["suggested"] = r["id"] == claim["person"]
    rows.sort(key=lambda r: (not r["suggested"], r["linked_to_other"]))
    return rows


async def approve(actor: Actor, claim_id: int, person_id: int | None) -> None:
    if not person_id:
        raise Invalid("person", _("Choose the record this person is."))
    try:
        async with db.transaction():
            claim = await _load(claim_id, lock=True)
            _check_scope(actor, claim)
            _check_decidable(actor, claim)
            try:
                await records.get_raw(actor, person_id)
            except records.NotFound:
                raise Invalid("person", _("Choose one of the candidate records.")) from None
            await links.verify(actor, claim, "manual", person_id, reviewer=actor)
    except records.AlreadyLinked as exc:
        await links.refuse_linked(actor, claim, exc.person_id, name=claim["name"], college=claim["college"])
        raise Invalid("person", str(exc)) from None


async def reject(actor: Actor, claim_id: int, reason: str | None) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("reason", _("Give the reason: the applicant is shown it."))
    if len(reason) > 500:
        raise Invalid("reason", _("At most %(n)s characters.", n=500))
    async with db.transaction():
        claim = await _load(claim_id, lock=True)
        _check_scope(actor, claim)
        _check_decidable(actor, claim)
        await db.execute("UPDATE idn_claim SET status = 'rejected', reason = $2, reviewer = $3, reviewed_at = now(),"
                         " questions = '{}', updated_at = now(), updated_by = $3 WHERE id = $1",
                         claim_id, reason, actor.id)
        await todos.close_todo(links.ref(claim_id), actor.id)
        await audit.record(actor, "reject", "idn_claim", claim_id, org_id=claim["college"], summary=claim["name"],
                           before={"status": claim["status"]}, after={"status": "rejected", "reason": reason})
        await links.notify_result(claim, "rejected", reason=reason)


async def evidence(actor: Actor, claim_id: int, index: int) -> tuple[bytes, str, str]:
    claim = await _load(claim_id)
    _check_scope(actor, claim)
    try:
        return claims.evidence_file(claim, index)
    except claims.NotFound:
        raise NotFound(claim_id) from None
