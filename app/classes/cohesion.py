"""Cohesion ranking (CLS-06, CLS-07): configurable weighted rules over six factors, recomputed by the job
`cls.cohesion` (daily and "Recompute now") into a breakdown that explains every point.

For each class and enabled rule: the factor's raw value → a normalised value between 0 and 1 → points =
weight × normalised, rounded to hundredths; the score is the sum of the points shown (so the breakdown always
adds up). Ratios count as they are; counts give half their weight at the rule's `scale`:
normalised = value / (value + scale), which keeps growing with every new post however busy the class is.
Only active classes are ranked (rank 1 = highest score; equal scores share a rank)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from app.classes import events, space
from app.classes.classes import ENTITY
from app.core import audit, db, jobs
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L

CENT = Decimal("0.01")
POSTS_DAYS = 90
ACTIVE_DAYS = 30
EVENTS_DAYS = 365
MAX_WEIGHT = 1000
MAX_SCALE = 100_000
AWARD_ACTION = "class_cohesion_top"  # points for the members of the top classes (app.points.api)
AWARD_TOP = 3


@dataclass(frozen=True)
class Factor:
    label: object
    kind: str  # ratio / count
    explains: object


FACTORS = {
    "members": Factor(L("Members joined"), "ratio",
                      L("members who joined the space ÷ the roster (the records' classmates, or the members if more)")),
    "verified": Factor(L("Verified rate"), "ratio",
                       L("classmates in the records whose record is linked to a verified account ÷ classmates in "
                         "the records")),
    "posts": Factor(L("Stories and posts (90 days)"), "count",
                    L("stories and posts published in the last 90 days")),
    "photos": Factor(L("Photos"), "count", L("photos published in the class albums")),
    "events": Factor(L("Class events (365 days)"), "count",
                     L("class events of the last year (from the events module; 0 until it is installed)")),
    "active": Factor(L("Active members (30 days)"), "ratio", L("members who logged in within 30 days ÷ members")),
}


def normalise(kind: str, raw: float, scale: int) -> float:
    if kind == "ratio":
        return min(1.0, max(0.0, raw))
    return raw / (raw + scale) if raw > 0 else 0.0


def points(weight: int, normalised: float) -> Decimal:
    return (Decimal(weight) * Decimal(str(normalised))).quantize(CENT, rounding=ROUND_HALF_UP)


# --- rules ----------------------------------------------------------------------------------------------

async def rules() -> list[dict]:
    rows = await db.fetch("SELECT * FROM classes_cohesion_rule ORDER BY sort, id")
    for r in rows:
        factor = FACTORS.get(r["factor"])
        r["label"], r["kind"], r["explains"] = (factor.label, factor.kind, factor.explains) if factor else (
            r["factor"], "count", "")
    return [r for r in rows if r["factor"] in FACTORS]


def _number(value, field: str, lo: int, hi: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise Invalid(field, _("Enter a whole number.")) from None
    if not lo <= number <= hi:
        raise Invalid(field, _("Enter a number from %(lo)s to %(hi)s.", lo=lo, hi=hi))
    return number


async def save_rules(actor: Actor, values: dict[str, dict]) -> int:
    """{factor: {weight, scale, enabled}} for every known factor; Invalid("weight_<f>" …) on a bad number.
    Audited with the values before and after; returns how many rules changed."""
    current = {r["factor"]: r for r in await rules()}
    clean = {}
    for factor, rule in current.items():
        given = values.get(factor) or {}
        clean[factor] = {"weight": _number(given.get("weight", rule["weight"]), f"weight_{factor}", 0, MAX_WEIGHT),
                         "scale": _number(given.get("scale", rule["scale"]), f"scale_{factor}", 1, MAX_SCALE),
                         "enabled": bool(given.get("enabled"))}
    if not any(v["enabled"] and v["weight"] for v in clean.values()):
        raise Invalid("", _("Enable at least one rule with a weight above 0."))
    changed = {f: v for f, v in clean.items() if any(current[f][k] != v[k] for k in v)}
    if not changed:
        return 0
    async with db.transaction():
        for factor, v in changed.items():
            await db.execute("UPDATE classes_cohesion_rule SET weight = $2, scale = $3, enabled = $4,"
                             " updated_at = now(), updated_by = $5 WHERE factor = $1", factor, v["weight"],
                             v["scale"], v["enabled"], actor.id)
        await audit.record(actor, "update", "classes_cohesion_rule", "",
                           before={f: {k: current[f][k] for k in ("weight", "scale", "enabled")} for f in changed},
                           after=changed, summary=", ".join(sorted(changed)))
    return len(changed)


# --- computing ------------------------------------------------------------------------------------------

async def start(actor: Actor) -> int:
    async with db.transaction():
        job_id = await jobs.enqueue("cls.cohesion", {}, created_by=actor.id)
        await audit.record(actor, "run", ENTITY, "", summary=f"cohesion (job {job_id})")
    return job_id


async def _raw_values(classes: list[dict]) -> dict[str, dict[int, float]]:
    ids = [c["id"] for c in classes]
    now = datetime.now(UTC)
    member_rows = await db.fetch(
        "SELECT m.class_id, count(*) AS members, count(*) FILTER (WHERE u.last_login_at > now() - make_interval("
        "days => $2)) AS active FROM classes_member m JOIN app_user u ON u.id = m.\"user\" WHERE m.status = 'active'"
        " AND m.class_id = ANY($1::bigint[]) GROUP BY m.class_id", ids, ACTIVE_DAYS)
    joined = {r["class_id"]: r for r in member_rows}
    posts = await space.post_counts(ids, now - timedelta(days=POSTS_DAYS))
    photos = await space.photo_counts(ids)
    held = await events.counts(ids, now - timedelta(days=EVENTS_DAYS))
    raw: dict[str, dict[int, float]] = {f: {} for f in FACTORS}
    for c in classes:
        n = joined.get(c["id"], {}).get("members", 0)
        roster = max(c["roster_size"], n)
        raw["members"][c["id"]] = n / roster if roster else 0.0
        raw["verified"][c["id"]] = c["linked_count"] / c["roster_size"] if c["roster_size"] else 0.0
        raw["posts"][c["id"]] = float(posts.get(c["id"], 0))
        raw["photos"][c["id"]] = float(photos.get(c["id"], 0))
        raw["events"][c["id"]] = float(held.get(c["id"], 0))
        raw["active"][c["id"]] = joined.get(c["id"], {}).get("active", 0) / n if n else 0.0
    return raw


async def compute(progress=None) -> dict:
    """Every active class's score and breakdown (replacing the last ones), then the ranks."""
    active = [r for r in await rules() if r["enabled"]]
    classes = await db.fetch("SELECT id, roster_size, linked_count FROM classes_class WHERE status = 'active'")
    raw = await _raw_values(classes)
    lines: list[tuple] = []
    scores: dict[int, Decimal] = {}
    for c in classes:
        total = Decimal(0)
        for rule in active:
            value = raw[rule["factor"]][c["id"]]
            norm = normalise(rule["kind"], value, rule["scale"])
            got = points(rule["weight"], norm)
            total += got
            lines.append((c["id"], rule["factor"], value, norm, rule["weight"], got))
        scores[c["id"]] = total
    async with db.transaction():
        await db.execute("DELETE FROM classes_cohesion_factor")
        await db.execute("DELETE FROM classes_cohesion_score WHERE class_id <> ALL($1::bigint[])", list(scores))
        if lines:
            cols = list(zip(*lines, strict=True))
            await db.execute(
                "INSERT INTO classes_cohesion_factor (class_id, factor, raw, normalised, weight, points)"
                " SELECT * FROM unnest($1::bigint[], $2::text[], $3::float8[], $4::float8[], $5::int[],"
                " $6::numeric[])", *[list(c) for c in cols])
        if scores:
            await db.execute(
                "INSERT INTO classes_cohesion_score (class_id, score, rank, computed_at)"
                " SELECT x.c, x.s, rank() OVER (ORDER BY x.s DESC), now() FROM unnest($1::bigint[], $2::numeric[])"
                " AS x(c, s) ON CONFLICT (class_id) DO UPDATE SET score = EXCLUDED.score, rank = EXCLUDED.rank,"
                " computed_at = EXCLUDED.computed_at", list(scores), list(scores.values()))
    awarded = await award_top()
    if progress:
        await progress(len(classes), len(classes))
    return {"classes": len(classes), "rules": len(active), "points_awarded": awarded}


async def ensure_award_rule() -> None:
    """The points rule for members of the top classes (MALL-01; admins may change or disable it)."""
    from app.points import api as points

    await points.ensure_rule(AWARD_ACTION, _("Class cohesion: top classes"), 20,
                             description=_("Members of the top classes of the cohesion ranking, once a month."),
                             link="/h5/classes/ranking")


async def award_top() -> int:
    """Members of the classes ranked 1 … AWARD_TOP earn the AWARD_ACTION rule's points, once per member and
    month (the key; a member of two top classes earns once). 0 when the rule is missing or disabled."""
    from app.points import api as points

    month = datetime.now(UTC).strftime("%Y-%m")
    rows = await db.fetch("SELECT DISTINCT ON (m.\"user\") m.\"user\", m.class_id FROM classes_cohesion_score s"
                          " JOIN classes_member m ON m.class_id = s.class_id AND m.status = 'active'"
                          " WHERE s.rank <= $1 AND s.score > 0 ORDER BY m.\"user\", s.rank", AWARD_TOP)
    total = 0
    for r in rows:
        total += await points.award(AWARD_ACTION, r["user"], key=f"{AWARD_ACTION}:{month}:{r['user']}",
                                    ref=str(r["class_id"]))
    return total


# --- reading --------------------------------------------------------------------------------------------

async def ranking(college: int | None = None, limit: int = 20, args_scope: tuple[str, list] | None = None) -> list:
    """The top classes by score (optionally of one college); rank is the overall rank."""
    args: list = [college, max(1, min(int(limit), 200))]
    scope = ""
    if args_scope:
        sql, extra = args_scope
        args += extra
        scope = f" AND {sql}"
    return await db.fetch(
        f"SELECT c.id, c.name, c.entry_year, col.name AS college_name, s.score, s.rank, s.computed_at,"
        f" (SELECT count(*) FROM classes_member m WHERE m.class_id = c.id AND m.status = 'active') AS members"
        f" FROM classes_cohesion_score s JOIN classes_class c ON c.id = s.class_id AND c.status = 'active'"
        f" LEFT JOIN org_node col ON col.id = c.college WHERE ($1::bigint IS NULL OR c.college = $1){scope}"
        f" ORDER BY s.rank, c.name, c.id LIMIT $2", *args)


async def scoped_ranking(actor: Actor, college: int | None, limit: int = 100) -> list:
    """The ranking of the classes inside the actor's data scope (the admin page)."""
    args: list = [None, None]
    sql = actor.scope.sql("COALESCE(c.class_node, c.college)", None, args)
    return await ranking(college, limit, (sql, args[2:]))


async def breakdown(class_id: int) -> dict:
    """{score, rank, computed_at, lines: [{factor, label, explains, kind, raw, normalised, weight, points}],
    total} — `total` (the sum of the lines) equals `score`."""
    score = await db.fetchrow("SELECT * FROM classes_cohesion_score WHERE class_id = $1", class_id)
    lines = await db.fetch("SELECT f.* FROM classes_cohesion_factor f LEFT JOIN classes_cohesion_rule r"
                           " ON r.factor = f.factor WHERE f.class_id = $1 ORDER BY r.sort, f.factor", class_id)
    for line in lines:
        factor = FACTORS.get(line["factor"])
        line["label"] = factor.label if factor else line["factor"]
        line["explains"] = factor.explains if factor else ""
        line["kind"] = factor.kind if factor else "count"
    return {"score": score["score"] if score else None, "rank": score["rank"] if score else None,
            "computed_at": score["computed_at"] if score else None, "lines": lines,
            "total": sum((line["points"] for line in lines), Decimal(0)),
            "ranked": await db.fetchval("SELECT count(*) FROM classes_cohesion_score")}
