"""The records module's surface for other modules (identity, orgs, classes, and the tests): the person list,
detail and writes (persons.py), the identity links and class-space reads, and alumni's own changes to their
linked record (auto_update.py). Other modules import only this file; inside the module, services use persons.py
and the service files directly, so nothing here is imported back (no import cycle)."""
from __future__ import annotations

from app.records import auto_update
from app.records.persons import (
    CLASS_NAME_KEY,
    COUNT_LIMIT,
    COUNT_TTL,
    EDUCATION_FIELDS,
    ESTIMATE_ABOVE,
    LIST_COLUMNS,
    PERSON_FIELDS,
    PRIMARY_EDUCATION,
    QUESTION_FIELDS,
    SORTS,
    AlreadyLinked,
    NotFound,
    PersonFilters,
    add_contact,
    add_education,
    add_search,
    candidates_by_entry_year,
    class_groups,
    class_linked_persons,
    class_name_key,
    class_roster,
    classmates,
    clean_education,
    clean_person,
    create_person,
    decode_jsonb,
    delete_education,
    distractors,
    filter_where,
    get_person,
    get_raw,
    id_number_of,
    is_linked_user,
    link_user,
    linked_accounts,
    linked_profiles,
    list_people,
    match_by_id,
    person_summary,
    query_terms,
    question_facts,
    search_terms,
    update_education,
    update_person,
    user_for_student_no,
)

__all__ = [
    "PERSON_FIELDS",
    "EDUCATION_FIELDS",
    "SORTS",
    "NotFound",
    "search_terms",
    "query_terms",
    "add_search",
    "PersonFilters",
    "filter_where",
    "LIST_COLUMNS",
    "PRIMARY_EDUCATION",
    "COUNT_LIMIT",
    "ESTIMATE_ABOVE",
    "COUNT_TTL",
    "list_people",
    "get_raw",
    "decode_jsonb",
    "get_person",
    "classmates",
    "clean_person",
    "create_person",
    "update_person",
    "clean_education",
    "add_education",
    "update_education",
    "delete_education",
    "add_contact",
    "user_for_student_no",
    "AlreadyLinked",
    "QUESTION_FIELDS",
    "match_by_id",
    "candidates_by_entry_year",
    "question_facts",
    "distractors",
    "id_number_of",
    "person_summary",
    "link_user",
    "linked_accounts",
    "is_linked_user",
    "CLASS_NAME_KEY",
    "class_name_key",
    "class_groups",
    "class_linked_persons",
    "class_roster",
    "linked_profiles",
    "update_own_record",
]


async def update_own_record(user_id: int, values: dict, source: str) -> dict[str, list[str]]:
    """An alumnus changes their own linked record (employer, industry …): applied or proposed for review
    per the auto-update rules (REC-15); {"applied", "review", "ignored"}. NotFound when no record is linked."""
    person = (await linked_profiles([user_id])).get(user_id)
    if person is None:
        raise NotFound(user_id)
    return await auto_update.apply_self_update(person["id"], values, source)


async def linked_user_ids(actor, f: PersonFilters) -> list[int]:
    """The login accounts linked to the records this actor sees that match the records list's filters
    (mass messaging, OPS-01: the audience of a records query or tag)."""
    from app.core import db

    args: list = []
    where = filter_where(actor, f, args)
    return [r["user"] for r in await db.fetch(
        f'SELECT DISTINCT p."user" FROM rec_person p WHERE {where.sql()} AND p."user" IS NOT NULL', *args)]


async def tag_choices(actor, kind: str = "manual") -> list[tuple[int, str]]:
    """(id, name) of the tags of this kind the actor may use: whole-school ones and those of nodes in their scope
    (tags.py's choices; here so other modules reach it without importing back into the records services)."""
    from app.core import db

    args: list = [kind]
    rows = await db.fetch(f"SELECT t.id, t.name FROM rec_tag t WHERE t.kind = $1 AND (t.org IS NULL OR"
                          f" {actor.scope.sql('t.org', None, args)}) ORDER BY t.name, t.id", *args)
    return [(r["id"], r["name"]) for r in rows]
