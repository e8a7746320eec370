"""What a verified claim does (IDV-02): links the person record to the account (records api, through the
records change log), makes an alumnus' account an 'alumni' one, awards the "identity_verified" points once,
closes the review todo, audits, and tells the applicant (message "idn_claim_result", in-site and SMS).
Rejections are told through the same message."""
from __future__ import annotations

from app.core import audit, db, notify, todos
from app.core.audit import Actor
from app.core.i18n import lazy as L
from app.points import api as points
from app.records import api as records
from app.support import users

TEMPLATE = "idn_claim_result"
POINTS_ACTION = "identity_verified"
# (action, name, points, lifetime_count, description, link): the rule the points module pays by
POINTS_RULE = (POINTS_ACTION, "身份认证奖励", 50, 1, "完成校友身份认证", "/h5/identity")
STATUS_URL = "/h5/identity"
KIND_LABELS = {"alumnus": L("alumnus"), "student": L("student"), "staff": L("staff member"), "other": L("member")}
METHOD_LABELS = {"id_match": L("ID number match"), "questions": L("questions from your record"),
                 "face": L("face verification"), "manual": L("manual review")}

notify.DEFAULT_TEMPLATES.setdefault(TEMPLATE, (L("Identity claim result"), {
    "inbox": (L("{% if result == 'verified' %}Your identity is verified{% else %}Your identity claim was not"
                " approved{% endif %}"),
              L("{% if result == 'verified' %}Hello {{ name }}, your claim as {{ kind }} of {{ college }} is"
                " verified ({{ method }}). Your account is now linked to your record.{% else %}Hello {{ name }},"
                " your identity claim was not approved. Reason: {{ reason }}. You may claim again.{% endif %}")),
    "sms": (L("Identity claim result"),
            L("{% if result == 'verified' %}{{ name }}, your identity as {{ kind }} of {{ college }} is verified."
              "{% else %}{{ name }}, your identity claim was not approved: {{ reason }}{% endif %}")),
}))
try:  # sample values for the template preview in the message admin
    from app.support import messages

    messages.SAMPLE_DATA.setdefault(TEMPLATE, {"name": "张同学", "result": "verified", "kind": "校友",
                                               "college": "计算机科学与技术学院", "method": "信息匹配", "reason": ""})
except ImportError:  # pragma: no cover - the support platform is always there
    pass

_rule_ready = False


def ref(claim_id: int) -> str:
    """The claim's todo ref and points key."""
    return f"idn.claim:{claim_id}"


async def ensure_points_rule() -> None:
    """The earning rule exists (created once, never overwritten: admins may change or disable it)."""
    global _rule_ready
    if _rule_ready:
        return
    action, name, amount, lifetime, description, link = POINTS_RULE
    await points.ensure_rule(action, name, amount, lifetime_count=lifetime, description=description, link=link,
                             sort=20)
    _rule_ready = True


async def _college_name(college_id: int | None) -> str:
    if not college_id:
        return ""
    return await db.fetchval("SELECT name FROM org_node WHERE id = $1", college_id) or ""


async def notify_result(claim: dict, result: str, *, method: str = "", reason: str = "") -> None:
    data = {"name": claim["name"], "result": result, "kind": str(KIND_LABELS.get(claim["kind"], claim["kind"])),
            "college": await _college_name(claim["college"]), "method": str(METHOD_LABELS.get(method, method)),
            "reason": reason}
    await notify.notify([claim["user"]], TEMPLATE, data, channels=("inbox", "sms"), url=STATUS_URL)


async def verify(actor: Actor, claim: dict, method: str, person_id: int, *, realname_id: int | None = None,
                 reviewer: Actor | None = None) -> None:
    """Verify the claim with this record, in the caller's transaction. Raises records.AlreadyLinked when the
    record belongs to another account (or to another verified claim), records.NotFound when it is gone."""
    user_id = claim["user"]
    async with db.transaction():
        taken = await db.fetchval("SELECT 1 FROM idn_claim WHERE person = $1 AND status = 'verified' AND id <> $2"
                                  ' AND "user" <> $3', person_id, claim["id"], user_id)
        if taken:
            raise records.AlreadyLinked(person_id)
        await records.link_user(person_id, user_id, actor=actor, method="manual" if reviewer else "self")
        await db.execute(
            "UPDATE idn_claim SET status = 'verified', method = $2, person = $3, realname = $4, verified_at = now(),"
            " reviewer = $5, reviewed_at = CASE WHEN $5::bigint IS NULL THEN NULL ELSE now() END, questions = '{}',"
            " reason = '', updated_at = now(), updated_by = $6 WHERE id = $1",
            claim["id"], method, person_id, realname_id, reviewer.id if reviewer else None, actor.id)
        if claim["kind"] == "alumnus":
            await users.set_kind(actor, user_id, "alumni", only_from=("visitor", "registered"))
        await ensure_points_rule()
        await points.award(POINTS_ACTION, user_id, key=ref(claim["id"]), ref=str(claim["id"]))
        await todos.close_todo(ref(claim["id"]), actor.id)
        await audit.record(actor, "verify", "idn_claim", claim["id"], org_id=claim["college"], summary=claim["name"],
                           before={"status": claim["status"]},
                           after={"status": "verified", "method": method, "person": person_id})
        await notify_result(claim, "verified", method=method)


async def refuse_linked(actor: Actor, claim: dict | None, person_id: int, *, name: str = "",
                        college: int | None = None) -> None:
    """Audit a refused link (the record is another account's); written outside the refused transaction."""
    await audit.record(actor, "refused", "idn_claim", claim["id"] if claim else "", org_id=college,
                       summary=name, after={"reason": "already_linked", "person": person_id})
