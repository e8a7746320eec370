"""Alumni identity claims (IDV-02): "I studied / study / work here". The methods in the order a user meets them:
1. name + ID number (checked with GB 11643 first) matching exactly one active record → verified (id_match);
2. name + entry year (+ college) → one candidate record → questions drawn from that record
   (questions.py), at most MAX_ATTEMPTS sets per user and record → verified (questions);
3. after the last failed set: face verification (a passed real-name check whose ID number is the record's,
   app.identity.realname.passed_for) or manual review (reviews.py): the claim waits as "pending" with a
   todo for the admins of the claimed college; the applicant may add evidence and a note, or withdraw.
A verified claim links the record to the account (links.py). One live claim per user (a unique index);
a record linked to another account is refused with a clear message, and the refusal is audited."""
from __future__ import annotations

import json
from datetime import date

from asyncpg.exceptions import UniqueViolationError

from app.core import audit, db, id_numbers, ratelimit, todos, uploads
from app.core.audit import Actor
from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.storage import storage
from app.identity import links, questions
from app.records import api as records

KINDS = {"alumnus": L("Alumnus (I studied here)"), "student": L("Current student"), "staff": L("Staff member"),
         "other": L("Other")}
STATUSES = {"open": L("Started"), "questions": L("Answering questions"), "pending": L("Waiting for review"),
            "verified": L("Verified"), "rejected": L("Not approved"), "withdrawn": L("Withdrawn")}
METHODS = {"id_match": L("ID number match"), "questions": L("Questions from the record"),
           "face": L("Face verification"), "manual": L("Manual review")}
LIVE = ("open", "questions", "pending")
MAX_ATTEMPTS = 2  # question sets per user and record (withdrawing and claiming again does not reset them)
DAILY_CLAIMS = 10  # claims a user may start per day
MAX_EVIDENCE = 5
EVIDENCE_TYPES = {"png", "jpg", "jpeg", "gif", "pdf"}
ID_PROBLEMS = {
    "length": L("An ID number has 18 characters."),
    "digits": L("An ID number is 17 digits followed by a digit or X."),
    "birthday": L("The birth date inside this ID number is not a real date."),
    "checksum": L("This ID number is not valid (its check digit is wrong). Check it and type it again."),
}
SELECT = ("SELECT c.*, o.name AS college_name, o.path AS college_path FROM idn_claim c"
          " LEFT JOIN org_node o ON o.id = c.college")


class NotFound(Exception):
    """No such claim (or not the user's own)."""


class NeedsRealname(Exception):
    """Face verification needs a passed real-name check with the record's ID number first."""


def decode(row: dict | None) -> dict | None:
    """A claim row with its jsonb columns as Python values (asyncpg returns them as text)."""
    if row is None:
        return None
    for key, empty in (("evidence", []), ("questions", {})):
        value = row.get(key)
        row[key] = (json.loads(value) if isinstance(value, str) else value) or empty
    return row


async def college_choices() -> list[tuple[str, str]]:
    rows = await db.fetch("SELECT id, name FROM org_node WHERE kind = 'college' AND enabled ORDER BY sort, id")
    return [(str(r["id"]), r["name"]) for r in rows]


async def claim_form(data: dict | None = None) -> Form:
    return Form([
        Field("kind", L("I am"), "select", required=True, choices=list(KINDS.items())),
        Field("name", L("Name (as in the school records)"), required=True, max_length=64),
        Field("college", L("College"), "select", required=True, choices=await college_choices()),
        Field("entry_year", L("Entry year"), "int", min_value=1900, max_value=date.today().year,
              help=L("The year you entered the school (staff: the year you joined).")),
        Field("id_number", L("ID number (optional)"), max_length=32,
              help=L("With your ID number we can usually verify you at once.")),
        Field("student_no", L("Student or staff number (optional)"), max_length=40),
        Field("major", L("Major (optional)"), max_length=100),
        Field("class_name", L("Class (optional)"), max_length=100),
        Field("note", L("Note for the reviewer (optional)"), "textarea", max_length=500),
    ], data if data is not None else {"kind": "alumnus"})


# --- reading ------------------------------------------------------------------------------------------

async def live_claim(user_id: int, *, lock: bool = False) -> dict | None:
    sql = f"{SELECT} WHERE c.\"user\" = $1 AND c.status IN ('open', 'questions', 'pending')"
    return decode(await db.fetchrow(sql + (" FOR UPDATE OF c" if lock else ""), user_id))


async def status_for(user_id: int) -> dict:
    """What /h5/identity shows: the verified claim, the live one (and its next step), the last decided one."""
    verified = decode(await db.fetchrow(f"{SELECT} WHERE c.\"user\" = $1 AND c.status = 'verified'"
                                        " ORDER BY c.verified_at DESC LIMIT 1", user_id))
    live = await live_claim(user_id)
    last = decode(await db.fetchrow(f"{SELECT} WHERE c.\"user\" = $1 ORDER BY c.created_at DESC, c.id DESC LIMIT 1",
                                    user_id))
    record = await records.question_facts(verified["person"], verified["entry_year"]) if verified else {}
    return {"verified": verified, "live": live, "last": last, "record": record,
            "offer": bool(live and live["status"] == "open" and live["question_attempts"] >= MAX_ATTEMPTS),
            "can_claim": live is None and verified is None}


async def own_questions(user_id: int) -> tuple[dict, list[dict]]:
    """The live claim in the questions step and its questions as the page shows them."""
    claim = await live_claim(user_id)
    if claim is None or claim["status"] != "questions":
        raise NotFound()
    return claim, questions.for_page(claim["questions"])


async def why_not_claim(user_id: int) -> str | None:
    """Why the user cannot start a claim now (a live one, or already verified), else None."""
    if await live_claim(user_id):
        return _("You already have a claim in progress. Finish or withdraw it first.")
    if await db.fetchval("SELECT 1 FROM idn_claim WHERE \"user\" = $1 AND status = 'verified'", user_id):
        return _("Your identity is already verified.")
    return None


# --- starting a claim ---------------------------------------------------------------------------------

def _values(cleaned: dict) -> dict:
    values = {k: str(cleaned.get(k) or "").strip()
              for k in ("kind", "name", "id_number", "student_no", "major", "class_name", "note")}
    values["id_number"] = id_numbers.normalise(values["id_number"])
    values["college"] = int(cleaned["college"]) if cleaned.get("college") else None
    values["entry_year"] = cleaned.get("entry_year")
    return values


async def start(actor: Actor, cleaned: dict) -> dict:
    """Open a claim from the validated form and run the automatic methods; returns the claim as it ends up
    (verified, in the questions step, or pending review). Raises Invalid with the message to show."""
    v = _values(cleaned)
    if v["kind"] in ("alumnus", "student") and not v["entry_year"]:
        raise Invalid("entry_year", _("Enter the year you entered the school."))
    if v["id_number"] and (problem := id_numbers.problem(v["id_number"])):
        await audit.record(actor, "refused", "idn_claim", "", org_id=v["college"], summary=v["name"],
                           after={"reason": f"id_number.{problem}", "name": v["name"], "id_number": v["id_number"]})
        raise Invalid("id_number", str(ID_PROBLEMS[problem]))
    if reason := await why_not_claim(actor.id):
        raise Invalid("", reason)
    if not await ratelimit.allow("idn-claim", f"user:{actor.id}", DAILY_CLAIMS, 86400):
        raise Invalid("", _("You have started too many claims today. Try again tomorrow."))
    try:
        async with db.transaction():
            claim_id = await db.fetchval(
                "INSERT INTO idn_claim (\"user\", kind, name, id_number, college, entry_year, major, class_name,"
                " student_no, note, created_by, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)"
                " RETURNING id", actor.id, v["kind"], v["name"], v["id_number"], v["college"], v["entry_year"],
                v["major"], v["class_name"], v["student_no"], v["note"], actor.id)
            await audit.record(actor, "create", "idn_claim", claim_id, org_id=v["college"], summary=v["name"],
                               after={k: v[k] for k in ("kind", "name", "id_number", "college", "entry_year")})
            claim = decode(await db.fetchrow(f"{SELECT} WHERE c.id = $1", claim_id))
            await _automatic(actor, claim, v)
    except UniqueViolationError:  # a second tab started one at the same moment
        raise Invalid("", _("You already have a claim in progress. Finish or withdraw it first.")) from None
    except records.AlreadyLinked as exc:
        await links.refuse_linked(actor, None, exc.person_id, name=v["name"], college=v["college"])
        raise Invalid("", str(exc)) from None
    return decode(await db.fetchrow(f"{SELECT} WHERE c.id = $1", claim_id))


def _ensure_free(candidate: dict, user_id: int) -> None:
    if candidate["user"] is not None and candidate["user"] != user_id:
        raise records.AlreadyLinked(candidate["id"])


async def _candidate(v: dict) -> dict | None:
    """The one record a name + entry year claim is about: the college narrows it (a wrong college falls back
    to all colleges), then the student number, major and class typed; several left → None (manual review)."""
    found = await records.candidates_by_entry_year(v["name"], v["entry_year"], v["college"])
    if not found:
        found = await records.candidates_by_entry_year(v["name"], v["entry_year"])
    for key in ("student_no", "major", "class_name"):
        if len(found) > 1 and v[key]:
            narrower = [c for c in found if (c[key] or "").strip() == v[key]]
            found = narrower or found
    return found[0] if len(found) == 1 else None


async def _automatic(actor: Actor, claim: dict, v: dict) -> None:
    if v["id_number"]:
        matches = await records.match_by_id(v["name"], v["id_number"])
        if len(matches) == 1:
            _ensure_free(matches[0], actor.id)
            await links.verify(actor, claim, "id_match", matches[0]["id"])
            return
    candidate = await _candidate(v) if v["entry_year"] else None
    if candidate is None:
        await _to_review(actor, claim)
        return
    _ensure_free(candidate, actor.id)
    await db.execute("UPDATE idn_claim SET person = $2 WHERE id = $1", claim["id"], candidate["id"])
    claim["person"] = candidate["id"]
    used = await db.fetchval("SELECT COALESCE(sum(question_attempts), 0) FROM idn_claim WHERE \"user\" = $1"
                             " AND person = $2", actor.id, candidate["id"])
    if used >= MAX_ATTEMPTS:  # earlier claims spent the sets for this record: face or manual review
        await db.execute("UPDATE idn_claim SET question_attempts = $2 WHERE id = $1", claim["id"], MAX_ATTEMPTS)
        return
    skip = ("college",) if candidate["college"] == v["college"] else ()
    qset = await questions.build(candidate["id"], v["entry_year"], skip=skip)
    if qset is None:
        await _to_review(actor, claim)
        return
    await db.execute("UPDATE idn_claim SET status = 'questions', questions = $2::jsonb, question_attempts = $3"
                     " WHERE id = $1", claim["id"], json.dumps({**qset, "skip": list(skip)}), used)


async def _to_review(actor: Actor, claim: dict) -> None:
    """Manual review: pending, with a todo for whoever holds idn.review over the claimed college."""
    await db.execute("UPDATE idn_claim SET status = 'pending', questions = '{}', updated_at = now(),"
                     " updated_by = $2 WHERE id = $1", claim["id"], actor.id)
    await todos.open_todo("identity.claim", links.ref(claim["id"]),
                          _("Identity claim: %(name)s", name=claim["name"]),
                          f"/admin/identity/reviews/{claim['id']}", "idn.review", org_id=claim["college"])
    await audit.record(actor, "submit", "idn_claim", claim["id"], org_id=claim["college"], summary=claim["name"],
                       before={"status": claim["status"]}, after={"status": "pending"})


# --- the next steps -----------------------------------------------------------------------------------

async def answer(actor: Actor, answers: dict) -> str:
    """Check a question set: "verified", "retry" (a fresh set follows) or "exhausted" (face or manual review)."""
    try:
        async with db.transaction():
            claim = await live_claim(actor.id, lock=True)
            if claim is None or claim["status"] != "questions":
                raise NotFound()
            if not questions.all_answered(claim["questions"], answers):
                raise Invalid("answers", _("Answer every question."))
            if questions.check(claim["questions"], answers):
                await links.verify(actor, claim, "questions", claim["person"])
                return "verified"
            attempts = claim["question_attempts"] + 1
            await audit.record(actor, "questions_failed", "idn_claim", claim["id"], org_id=claim["college"],
                               summary=claim["name"], after={"attempt": attempts})
            skip = tuple(claim["questions"].get("skip") or ())
            qset = None
            if attempts < MAX_ATTEMPTS:
                qset = await questions.build(claim["person"], claim["entry_year"], skip=skip,
                                             previous=questions.fields_of(claim["questions"]))
            await db.execute("UPDATE idn_claim SET status = $2, questions = $3::jsonb, question_attempts = $4,"
                             " updated_at = now() WHERE id = $1", claim["id"], "questions" if qset else "open",
                             json.dumps({**qset, "skip": list(skip)} if qset else {}), attempts)
            return "retry" if qset else "exhausted"
    except records.AlreadyLinked as exc:
        await links.refuse_linked(actor, claim, exc.person_id, name=claim["name"], college=claim["college"])
        raise Invalid("", str(exc)) from None


async def request_review(actor: Actor) -> dict:
    async with db.transaction():
        claim = await live_claim(actor.id, lock=True)
        if claim is None:
            raise NotFound()
        if claim["status"] != "pending":
            await _to_review(actor, claim)
    return claim


async def try_face(actor: Actor) -> None:
    """Verify with a passed real-name (face) check whose ID number is the candidate record's."""
    claim = await live_claim(actor.id)
    if claim is None or claim["status"] == "pending" or not claim["person"]:
        raise NotFound()
    id_number = await records.id_number_of(claim["person"])
    if not id_number:
        raise Invalid("", _("Your record holds no ID number, so face verification cannot confirm it."
                            " Ask for a manual review instead."))
    try:
        from app.identity import realname
    except ImportError:
        raise Invalid("", _("Face verification is not available yet. Ask for a manual review instead.")) from None
    check = await realname.passed_for(actor.id, id_number)
    if not check:
        raise NeedsRealname()
    try:
        async with db.transaction():
            claim = await live_claim(actor.id, lock=True)
            if claim is None or not claim["person"]:
                raise NotFound()
            await links.verify(actor, claim, "face", claim["person"], realname_id=check.get("id"))
    except records.AlreadyLinked as exc:
        await links.refuse_linked(actor, claim, exc.person_id, name=claim["name"], college=claim["college"])
        raise Invalid("", str(exc)) from None


async def add_evidence(actor: Actor, filename: str | None, data: bytes, note: str | None) -> None:
    """A photo or PDF of a diploma, student card … (type- and size-checked) and/or a note for the reviewer."""
    note = (note or "").strip()
    if len(note) > 500:
        raise Invalid("note", _("At most %(n)s characters.", n=500))
    ext = (filename or "").rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    if filename and ext not in EVIDENCE_TYPES:
        raise Invalid("file", _("Upload a photo (PNG, JPG, GIF) or a PDF."))
    if not filename and not note:
        raise Invalid("file", _("Choose a file or write a note."))
    async with db.transaction():
        claim = await live_claim(actor.id, lock=True)
        if claim is None:
            raise NotFound()
        evidence = list(claim["evidence"])
        if filename:
            if len(evidence) >= MAX_EVIDENCE:
                raise Invalid("file", _("At most %(n)s files per claim.", n=MAX_EVIDENCE))
            stored = await uploads.save(filename, data, field="file")
            evidence.append({"key": stored.key, "name": stored.name, "size": stored.size,
                             "type": stored.content_type})
        await db.execute("UPDATE idn_claim SET evidence = $2::jsonb, note = CASE WHEN $3 = '' THEN note ELSE $3 END,"
                         " updated_at = now(), updated_by = $4 WHERE id = $1", claim["id"], json.dumps(evidence),
                         note, actor.id)
        await audit.record(actor, "evidence", "idn_claim", claim["id"], org_id=claim["college"], summary=claim["name"],
                           after={"files": len(evidence), "note": bool(note)})


async def withdraw(actor: Actor) -> None:
    async with db.transaction():
        claim = await live_claim(actor.id, lock=True)
        if claim is None:
            raise Conflict(_("There is no claim in progress."))
        await db.execute("UPDATE idn_claim SET status = 'withdrawn', questions = '{}', updated_at = now(),"
                         " updated_by = $2 WHERE id = $1", claim["id"], actor.id)
        await todos.close_todo(links.ref(claim["id"]), actor.id)
        await audit.record(actor, "withdraw", "idn_claim", claim["id"], org_id=claim["college"],
                           summary=claim["name"], before={"status": claim["status"]}, after={"status": "withdrawn"})


def evidence_file(claim: dict, index: int) -> tuple[bytes, str, str]:
    """(content, content type, file name) of one evidence file of the claim."""
    files = claim["evidence"]
    if not 0 <= index < len(files) or not storage().exists(files[index]["key"]):
        raise NotFound()
    item = files[index]
    return storage().get(item["key"]), item.get("type") or "application/octet-stream", item.get("name") or ""


async def own_evidence(user_id: int, index: int) -> tuple[bytes, str, str]:
    claim = decode(await db.fetchrow(f"{SELECT} WHERE c.\"user\" = $1 ORDER BY c.created_at DESC, c.id DESC LIMIT 1",
                                     user_id))
    if claim is None:
        raise NotFound()
    return evidence_file(claim, index)
