"""Questions drawn from the claimed person's own record (IDV-02): major, class, college, graduation year,
degree — only fields that are filled. Each is one choice among the true value and up to three wrong ones
found in the other records (years: the neighbouring years), shuffled with `secrets`. The set kept in
idn_claim.questions holds the choices and, per question, only a salted hash of the right one: neither the
page nor the stored set says which choice is right."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from app.core import dictionary
from app.core.i18n import lazy as L
from app.records import api as records

QUESTION_COUNT = 3
MIN_QUESTIONS = 2  # fewer usable facts than this: the claim goes to manual review instead
WRONG_CHOICES = 3
FIELDS = ("major", "class_name", "college", "grad_year", "degree")
PROMPTS = {
    "major": L("Which was your major?"),
    "class_name": L("Which class were you in?"),
    "college": L("Which college did you study at?"),
    "grad_year": L("In which year did you graduate?"),
    "degree": L("What level of study was it?"),
}
COMMON_DEGREES = ("zk", "bk", "ss", "bs")
_random = secrets.SystemRandom()


def _hash(salt: str, index: int, value: str) -> str:
    return hashlib.sha256(f"{salt}:{index}:{value.strip()}".encode()).hexdigest()


async def _choices(field: str, facts: dict) -> tuple[str, list[str]] | None:
    """(the true value as shown, wrong values) for one field, or None when there are too few wrong ones."""
    if field == "grad_year":
        year = int(facts["grad_year"])
        return str(year), [str(year + d) for d in _random.sample((-3, -2, -1, 1, 2, 3), WRONG_CHOICES)]
    if field == "degree":
        labels = await dictionary.label_map("degree_level")
        true = labels.get(facts["degree"], facts["degree"])
        wrong = [labels[c] for c in COMMON_DEGREES if c in labels and c != facts["degree"]]
        return true, wrong
    true = str(facts[field])
    pool = await records.distractors(field, true, WRONG_CHOICES, college=facts.get("college_id"),
                                     entry_year=facts.get("entry_year"))
    return true, pool


async def build(person_id: int, entry_year: int | None, *, skip: tuple[str, ...] = (),
                previous: tuple[str, ...] = ()) -> dict | None:
    """A fresh question set about this person, or None when the record has too little to ask about.
    `previous`: the fields of the last set, asked again only when there are not enough others."""
    facts = await records.question_facts(person_id, entry_year)
    fields = [f for f in FIELDS if f in facts and f not in skip]
    _random.shuffle(fields)
    fields.sort(key=lambda f: f in previous)  # fields not asked last time first (stable: shuffled within)
    salt = secrets.token_hex(16)
    items: list[dict] = []
    for field in fields:
        if len(items) == QUESTION_COUNT:
            break
        found = await _choices(field, facts)
        if found is None:
            continue
        true, pool = found
        wrong = list(dict.fromkeys(w for w in pool if w.strip() and w.strip() != true.strip()))
        if len(wrong) < 2:  # a choice between two is too easy to guess
            continue
        options = [true, *_random.sample(wrong, min(WRONG_CHOICES, len(wrong)))]
        _random.shuffle(options)
        items.append({"field": field, "options": options, "answer": _hash(salt, len(items), true)})
    if len(items) < MIN_QUESTIONS:
        return None
    return {"salt": salt, "items": items}


def fields_of(qset: dict) -> tuple[str, ...]:
    return tuple(item["field"] for item in (qset or {}).get("items", []))


def for_page(qset: dict) -> list[dict]:
    """What the page shows: the prompt and the choices of each question, nothing about the answers."""
    return [{"name": f"q{i}", "prompt": str(PROMPTS[item["field"]]), "options": list(item["options"])}
            for i, item in enumerate((qset or {}).get("items", []))]


def all_answered(qset: dict, answers: dict) -> bool:
    return all(str(answers.get(f"q{i}") or "").strip() for i in range(len((qset or {}).get("items", []))))


def check(qset: dict, answers: dict) -> bool:
    """Every question answered with its right choice."""
    items = (qset or {}).get("items", [])
    if not items:
        return False
    salt = qset["salt"]
    right = [hmac.compare_digest(_hash(salt, i, str(answers.get(f"q{i}") or "")), item["answer"])
             for i, item in enumerate(items)]
    return all(right)
