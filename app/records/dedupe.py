"""Duplicate detection (REC-11): configurable rules (rec_rule kind "dedupe": the fields that must be
equal, e.g. [id_number], [name, birthday], [phone]) find candidate pairs among the persons the admin
may see. Pairs come from SQL grouping on the rule's normalised fields (no pairwise comparison in
Python); each pair gets a similarity score: the share of equal values among the compared fields
both records have."""
from __future__ import annotations

from dataclasses import dataclass

from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest
from app.records import visibility

# Fields a rule may use → normalised SQL over alias p (empty values never match).
KEY_FIELDS = {
    "name": ("lower(regexp_replace(p.name, '\\s', '', 'g'))", L("Name")),
    "birthday": ("p.birthday::text", L("Birthday")),
    "id_number": ("upper(p.id_number)", L("ID number")),
    "phone": ("regexp_replace(p.phone, '[^0-9]', '', 'g')", L("Mobile phone")),
    "email": ("lower(p.email)", L("Email")),
    "gender": ("p.gender", L("Gender")),
    "employer": ("p.employer", L("Employer")),
    "wechat": ("p.wechat", L("WeChat ID")),
}


def probe_condition(field: str, param: str) -> str:
    """`field` equal to a text parameter holding its normalised key, written so the field's index is used:
    birthday is indexed as a date (with the name key), not as the text KEY_FIELDS groups by."""
    if field == "birthday":
        return f"p.birthday = {param}::date"
    return f"{KEY_FIELDS[field][0]} = {param}"


# Compared for the similarity score: (label, SQL that is NULL when either side lacks the value).
COMPARED = {
    "name": "NULLIF(a.name, '') = NULLIF(b.name, '')",
    "birthday": "a.birthday = b.birthday",
    "phone": "NULLIF(a.phone, '') = NULLIF(b.phone, '')",
    "email": "lower(NULLIF(a.email, '')) = lower(NULLIF(b.email, ''))",
    "id_number": "upper(NULLIF(a.id_number, '')) = upper(NULLIF(b.id_number, ''))",
    # education: both have records; equal when they share one (same college and entry year)
    "education": ("CASE WHEN EXISTS (SELECT 1 FROM rec_education ea WHERE ea.person = a.id)"
                  " AND EXISTS (SELECT 1 FROM rec_education eb WHERE eb.person = b.id)"
                  " THEN EXISTS (SELECT 1 FROM rec_education ea JOIN rec_education eb ON eb.person = b.id"
                  " AND ea.college IS NOT DISTINCT FROM eb.college AND ea.entry_year IS NOT DISTINCT FROM eb.entry_year"
                  " WHERE ea.person = a.id) END"),
}


@dataclass
class Rule:
    id: int
    name: str
    fields: list[str]
    enabled: bool
    sort: int

    @property
    def field_labels(self) -> str:
        return " + ".join(str(KEY_FIELDS[f][1]) if f in KEY_FIELDS else f for f in self.fields)


async def rules(enabled_only: bool = False) -> list[Rule]:
    rows = await db.fetch("SELECT id, name, fields, enabled, sort FROM rec_rule WHERE kind = 'dedupe'"
                          + (" AND enabled" if enabled_only else "") + " ORDER BY sort, id")
    return [Rule(r["id"], r["name"], list(r["fields"] or []), r["enabled"], r["sort"]) for r in rows]


def _pairs_sql(actor: Actor, rule_list: list[Rule], args: list) -> str:
    """Candidate pairs (a < b) with the names of the rules that matched them."""
    parts = []
    for rule in rule_list:
        keys = [KEY_FIELDS[f][0] for f in rule.fields if f in KEY_FIELDS]
        if not keys:
            continue
        rule_name = f"${len(args) + 1}"
        args.append(rule.name or rule.field_labels)
        present = " AND ".join(f"NULLIF({k}, '') IS NOT NULL" for k in keys)
        parts.append(
            f"SELECT g.ids[i] AS a, g.ids[j] AS b, {rule_name}::text AS rule FROM"
            f" (SELECT array_agg(p.id ORDER BY p.id) AS ids FROM rec_person p"
            f" WHERE {visibility.visible(actor, args)} AND {present} GROUP BY {', '.join(keys)} HAVING count(*) > 1) g,"
            f" generate_subscripts(g.ids, 1) i, generate_subscripts(g.ids, 1) j WHERE i < j")
    if not parts:
        return "SELECT NULL::bigint AS a, NULL::bigint AS b, NULL::text AS rule WHERE FALSE"
    return " UNION ALL ".join(parts)


async def candidate_pairs(actor: Actor, req: PageRequest, rule_id: int | None = None) -> Page:
    """One page of candidate pairs, most similar first; persons masked for this viewer."""
    rule_list = [r for r in await rules(enabled_only=True) if rule_id in (None, r.id)]
    args: list = []
    pairs = _pairs_sql(actor, rule_list, args)
    equal_sum = " + ".join(f"(CASE WHEN ({sql}) THEN 1 ELSE 0 END)" for sql in COMPARED.values())
    known_sum = " + ".join(f"(CASE WHEN ({sql}) IS NULL THEN 0 ELSE 1 END)" for sql in COMPARED.values())
    base = (f"WITH pairs AS (SELECT a, b, array_agg(DISTINCT rule) AS rules FROM ({pairs}) x GROUP BY a, b)")
    total = await db.fetchval(f"{base} SELECT count(*) FROM pairs", *args)
    rows = await db.fetch(
        f"{base}, scored AS (SELECT pairs.*, ({equal_sum}) AS equal, ({known_sum}) AS known"
        f" FROM pairs JOIN rec_person a ON a.id = pairs.a JOIN rec_person b ON b.id = pairs.b)"
        f" SELECT s.a, s.b, s.rules, CASE WHEN s.known = 0 THEN 0 ELSE round(100.0 * s.equal / s.known) END::int"
        f" AS score, a.name AS a_name, a.phone AS a_phone, a.birthday AS a_birthday, a.id_number AS a_id_number,"
        f" b.name AS b_name, b.phone AS b_phone, b.birthday AS b_birthday, b.id_number AS b_id_number"
        f" FROM scored s JOIN rec_person a ON a.id = s.a JOIN rec_person b ON b.id = s.b"
        f" ORDER BY score DESC, s.a, s.b LIMIT {req.per_page} OFFSET {req.offset}", *args)
    for r in rows:
        for side in ("a", "b"):
            masked = visibility.mask_row(actor, {k: r[f"{side}_{k}"] for k in ("name", "phone", "id_number")})
            for k, v in masked.items():
                r[f"{side}_{k}"] = v
    return Page(rows, total, req.page, req.per_page)


# --- rule editing (rec.rules.edit) -----------------------------------------------------------------------

async def save_rule(actor: Actor, rule_id: int | None, name: str, field_codes: list[str], enabled: bool,
                    sort: int = 0) -> int:
    codes = [c for c in field_codes if c in KEY_FIELDS]
    if not codes:
        raise Invalid("fields", _("Choose at least one field that must match."))
    name = (name or "").strip()[:80]
    async with db.transaction():
        if rule_id is None:
            rule_id = await db.fetchval(
                "INSERT INTO rec_rule (kind, name, fields, field, mode, enabled, sort, created_by, updated_by)"
                " VALUES ('dedupe', $1, $2::varchar[], '', '', $3, $4, $5, $5) RETURNING id",
                name, codes, enabled, sort, actor.id)
            action = "create"
        else:
            status = await db.execute("UPDATE rec_rule SET name = $2, fields = $3::varchar[], enabled = $4, sort = $5,"
                                      " updated_at = now(), updated_by = $6 WHERE id = $1 AND kind = 'dedupe'",
                                      rule_id, name, codes, enabled, sort, actor.id)
            if status.endswith(" 0"):
                raise LookupError(rule_id)
            action = "update"
        await audit.record(actor, action, "rec_rule", rule_id, after={"kind": "dedupe", "name": name,
                                                                      "fields": codes, "enabled": enabled},
                           summary=name)
    return rule_id


async def delete_rule(actor: Actor, rule_id: int) -> None:
    async with db.transaction():
        row = await db.fetchrow("DELETE FROM rec_rule WHERE id = $1 RETURNING *", rule_id)
        if row is None:
            raise LookupError(rule_id)
        await audit.record(actor, "delete", "rec_rule", rule_id, before={"kind": row["kind"], "name": row["name"],
                                                                         "fields": row["fields"], "field": row["field"],
                                                                         "mode": row["mode"]},
                           summary=row["name"] or row["field"])
