"""Piccolo tables of the classes module (prefix classes_): class spaces, their members, join and leave
requests, liaisons, alumni's applications for a class the records lack, and the cohesion ranking (rules and
the last computed breakdown). Persons of the records are referenced by id only (rec_person is the records
module's). Stories, posts and albums live in the content module's tables (owner kind "class").
Constraints Piccolo cannot express (partial unique indexes, CHECKs) live in the plain-SQL migration."""
from decimal import Decimal

from piccolo.columns import (
    BigInt,
    Boolean,
    DoublePrecision,
    ForeignKey,
    Integer,
    Numeric,
    OnDelete,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.core.tables import AppUser, OrgNode, Stamped


class ClassesClass(Stamped, Table, tablename="classes_class"):
    """One class space (CLS-01). `key` is its natural key: "node:<class org node id>" for a class node of the
    records, "name:<college>:<entry year>:<normalised class name>" for a class known by name only; an applied
    class gets the same name key, so the records find it again once they hold that class."""
    key = Varchar(length=200, unique=True)
    name = Varchar(length=100)
    college = ForeignKey(OrgNode, null=True, on_delete=OnDelete.set_null)
    entry_year = SmallInt(null=True, default=None)
    class_node = ForeignKey(OrgNode, null=True, on_delete=OnDelete.set_null)
    class_name = Varchar(length=100, default="")  # the records' spelling of a name-keyed class
    source = Varchar(length=16, default="records")  # records / applied
    status = Varchar(length=16, default="active")  # active / stale (no longer in the records)
    roster_size = Integer(default=0)  # persons of the class in the records at the last generation
    linked_count = Integer(default=0)  # of them, records linked to a login account
    intro = Text(default="")
    generated_at = Timestamptz(null=True, default=None)
    stale_since = Timestamptz(null=True, default=None)


class ClassesMember(Stamped, Table, tablename="classes_member"):
    """A login account in a class (CLS-03): auto-joined from the records, or by an approved join request.
    A member who left keeps the row (status left) so the next generation does not join them again."""
    class_id = ForeignKey(ClassesClass, on_delete=OnDelete.cascade)
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, index=True)
    person = BigInt(null=True, default=None)  # rec_person.id when the member is in the class's records
    source = Varchar(length=16, default="records")  # records / request / applied
    status = Varchar(length=16, default="active")  # active / left
    joined_at = Timestamptz(default=TimestamptzNow())
    left_at = Timestamptz(null=True, default=None)


class ClassesRequest(Stamped, Table, tablename="classes_request"):
    """A join or leave request (CLS-03), decided by the class's liaisons or the college's admins."""
    class_id = ForeignKey(ClassesClass, on_delete=OnDelete.cascade)
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=8)  # join / leave
    status = Varchar(length=16, default="pending")  # pending / approved / rejected / withdrawn
    note = Varchar(length=500, default="")  # what the applicant wrote
    reason = Varchar(length=500, default="")  # why it was rejected (shown to the applicant)
    decided_by = BigInt(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)


class ClassesLiaison(Stamped, Table, tablename="classes_liaison"):
    """班级联络员 (CLS-02): several per class, appointed by the college's admins or HQ (created_by)."""
    class_id = ForeignKey(ClassesClass, on_delete=OnDelete.cascade)
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, index=True)


class ClassesApplication(Stamped, Table, tablename="classes_application"):
    """An alumnus' application to create a class the records do not have (CLS-01), reviewed by the college."""
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, index=True)
    college = ForeignKey(OrgNode, null=True, on_delete=OnDelete.set_null)
    entry_year = SmallInt(null=True, default=None)
    class_name = Varchar(length=100)
    note = Varchar(length=500, default="")
    status = Varchar(length=16, default="pending")  # pending / approved / rejected / withdrawn
    reason = Varchar(length=500, default="")
    reviewer = BigInt(null=True, default=None)
    reviewed_at = Timestamptz(null=True, default=None)
    class_id = BigInt(null=True, default=None)  # classes_class.id created (or found) on approval


class ClassesCohesionRule(Stamped, Table, tablename="classes_cohesion_rule"):
    """One weighted factor of the cohesion score (CLS-07): at most `weight` points; counts give half their
    weight at `scale` (value / (value + scale)), ratios count as they are."""
    factor = Varchar(length=32, unique=True)
    weight = Integer(default=0)
    scale = Integer(default=10)
    enabled = Boolean(default=True)
    sort = Integer(default=0)


class ClassesCohesionScore(Table, tablename="classes_cohesion_score"):
    """The last computed score of a class (CLS-06) and its place in the ranking."""
    class_id = ForeignKey(ClassesClass, on_delete=OnDelete.cascade, unique=True)
    score = Numeric(digits=(10, 2), default=Decimal(0))
    rank = Integer(default=0)
    computed_at = Timestamptz(default=TimestamptzNow())


class ClassesCohesionFactor(Table, tablename="classes_cohesion_factor"):
    """One line of a class's breakdown: raw value, normalised value (0…1), weight and the points it gave."""
    class_id = ForeignKey(ClassesClass, on_delete=OnDelete.cascade)
    factor = Varchar(length=32)
    raw = DoublePrecision(default=0)
    normalised = DoublePrecision(default=0)
    weight = Integer(default=0)
    points = Numeric(digits=(10, 2), default=Decimal(0))
