"""Tables of the alumni data centre (REC): one person with many sections, custom fields, tags,
saved queries, change log with batches (import, merge, batch update, sync) for rollback."""
from piccolo.columns import (
    JSONB,
    Array,
    BigInt,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.core.tables import AppUser, OrgNode, Stamped


class RecPerson(Stamped, Table, tablename="rec_person"):
    """An alumnus, student or staff member (校友 / 在校生 / 教职工)."""
    kind = Varchar(length=16, default="alumni")  # alumni / student / staff
    name = Varchar(length=64)
    # Character unigrams+bigrams of the name: substring search through a GIN index (no pg_trgm in the
    # embedded server). Maintained by api.search_terms().
    name_terms = Array(base_column=Varchar(length=8), default=list)
    gender = Varchar(length=8, default="")  # dict gender
    birthday = Date(null=True, default=None)
    id_type = Varchar(length=16, default="resident")  # resident / passport / hk_macao / taiwan / other
    id_number = Varchar(length=32, null=True, default=None)
    phone = Varchar(length=32, null=True, default=None)
    email = Varchar(length=254, null=True, default=None)
    wechat = Varchar(length=64, default="")
    ethnicity = Varchar(length=8, default="")  # dict ethnicity
    political_status = Varchar(length=8, default="")  # dict political_status
    native_region = Varchar(length=12, default="")  # dict region
    region = Varchar(length=12, default="")  # current residence, dict region
    address = Varchar(length=300, default="")
    industry = Varchar(length=8, default="")  # dict industry
    employer = Varchar(length=200, default="")
    job_title = Varchar(length=100, default="")
    org = ForeignKey(OrgNode, null=True, on_delete=OnDelete.set_null)  # owning node: data scope
    is_key = Boolean(default=False)  # 重点校友
    key_category = Varchar(length=32, default="")
    key_note = Text(default="")
    secrecy = SmallInt(default=0)  # 密级 0 public … 3 highest; see fields.SECRECY
    custom = JSONB(default="{}")  # values of custom fields, by field code
    photo = Varchar(length=200, default="")
    user = ForeignKey(AppUser, null=True, on_delete=OnDelete.set_null)  # linked login account
    status = Varchar(length=16, default="active")  # active / merged / deleted
    merged_into = BigInt(null=True, default=None)
    batch = BigInt(null=True, default=None)  # the import/sync batch that created it (rollback)


class RecEducation(Stamped, Table, tablename="rec_education"):
    """学籍: one per degree/programme; a person may have several."""
    person = ForeignKey(RecPerson, on_delete=OnDelete.cascade)
    degree = Varchar(length=8, default="")  # dict degree_level
    college = ForeignKey(OrgNode, null=True, on_delete=OnDelete.set_null)  # college node
    major = Varchar(length=100, default="")
    class_node = ForeignKey(OrgNode, null=True, on_delete=OnDelete.set_null)
    class_name = Varchar(length=100, default="")
    entry_year = SmallInt(null=True, default=None)
    grad_year = SmallInt(null=True, default=None)
    student_no = Varchar(length=32, default="")
    batch = BigInt(null=True, default=None)


class RecWork(Stamped, Table, tablename="rec_work"):
    person = ForeignKey(RecPerson, on_delete=OnDelete.cascade)
    employer = Varchar(length=200)
    industry = Varchar(length=8, default="")
    job_title = Varchar(length=100, default="")
    region = Varchar(length=12, default="")
    start_date = Date(null=True, default=None)
    end_date = Date(null=True, default=None)
    is_current = Boolean(default=False)


class RecInteraction(Table, tablename="rec_interaction"):
    """互动信息: written by other modules (events, donations, class space…) through service calls."""
    person = ForeignKey(RecPerson, on_delete=OnDelete.cascade)
    kind = Varchar(length=32)  # event / donation / visit / vote / service / other
    title = Varchar(length=200)
    source = Varchar(length=32, default="")  # module that recorded it
    ref = Varchar(length=64, default="")
    occurred_at = Timestamptz(default=TimestamptzNow())


class RecContactLog(Stamped, Table, tablename="rec_contact_log"):
    """联络记录: staff contacts with the person."""
    person = ForeignKey(RecPerson, on_delete=OnDelete.cascade)
    contacted_at = Timestamptz(default=TimestamptzNow())
    method = Varchar(length=16, default="phone")  # phone / visit / wechat / email / meeting / other
    summary = Text()
    staff_name = Varchar(length=64, default="")


class RecFile(Stamped, Table, tablename="rec_file"):
    """档案照片 / 档案文件."""
    person = ForeignKey(RecPerson, on_delete=OnDelete.cascade)
    kind = Varchar(length=8, default="file")  # photo / file
    title = Varchar(length=200, default="")
    storage_key = Varchar(length=200)
    filename = Varchar(length=200)
    content_type = Varchar(length=100, default="")
    size = Integer(default=0)


class RecBatch(Table, tablename="rec_batch"):
    """A group of changes that is rolled back as one: import, sync, merge, batch update, auto update."""
    kind = Varchar(length=16)  # manual / import / sync / merge / batch_update / auto / rollback
    summary = Varchar(length=300, default="")
    status = Varchar(length=16, default="done")  # done / rolled_back
    actor = BigInt(null=True, default=None)
    actor_name = Varchar(length=64, default="")
    ref = Varchar(length=64, default="")  # import batch id, source id…
    created_at = Timestamptz(default=TimestamptzNow())
    rolled_back_at = Timestamptz(null=True, default=None)
    rolled_back_by = BigInt(null=True, default=None)


class RecChange(Table, tablename="rec_change"):
    """更新日志: one row per changed field (or created/deleted row) of a person; rollback replays it."""
    person = BigInt()
    batch = BigInt(null=True, default=None)
    method = Varchar(length=16)  # manual / import / sync / merge / batch_update / self / auto / rollback
    section = Varchar(length=16, default="basic")  # basic / education / work / contact / file / custom
    row_id = BigInt(null=True, default=None)  # the section row, for many-per-person sections
    field = Varchar(length=64, default="")  # empty: the whole row was created or deleted
    old = JSONB(null=True, default=None)
    new = JSONB(null=True, default=None)
    actor = BigInt(null=True, default=None)
    actor_name = Varchar(length=64, default="")
    at = Timestamptz(default=TimestamptzNow())
    rolled_back = Boolean(default=False)
    # the row's updated_at/updated_by before this change (deleted rows: created_* too); rollback restores them
    old_stamp = JSONB(null=True, default=None)


class RecField(Stamped, Table, tablename="rec_field"):
    """A custom field defined by admins (REC-02)."""
    code = Varchar(length=40, unique=True)
    section = Varchar(length=16, default="basic")  # basic / contact / education / work
    label = Varchar(length=64)
    label_en = Varchar(length=64, default="")
    kind = Varchar(length=16, default="text")  # text / number / date / select / multiselect / file
    dict_type = Varchar(length=40, default="")  # for select / multiselect
    required = Boolean(default=False)
    visible = Boolean(default=True)  # shown on detail and list column chooser
    sort = Integer(default=0)
    enabled = Boolean(default=True)


class RecTag(Stamped, Table, tablename="rec_tag"):
    name = Varchar(length=40)
    color = Varchar(length=16, default="blue")
    kind = Varchar(length=8, default="manual")  # manual / smart
    query = JSONB(null=True, default=None)  # smart: the query tree
    org = ForeignKey(OrgNode, null=True, on_delete=OnDelete.set_null)  # owner scope
    member_count = Integer(default=0)
    computed_at = Timestamptz(null=True, default=None)


class RecPersonTag(Table, tablename="rec_person_tag"):
    person = ForeignKey(RecPerson, on_delete=OnDelete.cascade)
    tag = ForeignKey(RecTag, on_delete=OnDelete.cascade)
    added_at = Timestamptz(default=TimestamptzNow())
    added_by = BigInt(null=True, default=None)


class RecSavedQuery(Stamped, Table, tablename="rec_saved_query"):
    name = Varchar(length=80)
    owner = ForeignKey(AppUser, on_delete=OnDelete.cascade)
    query = JSONB(default="{}")
    shared = Boolean(default=False)


class RecRule(Stamped, Table, tablename="rec_rule"):
    """Configurable rules: duplicate keys (REC-11) and auto-update per field (REC-15)."""
    kind = Varchar(length=16)  # dedupe / auto_update
    name = Varchar(length=80, default="")
    fields = Array(base_column=Varchar(length=40), default=list)  # dedupe: fields that must match
    field = Varchar(length=40, default="")  # auto_update: the field
    mode = Varchar(length=16, default="")  # auto_update: overwrite / fill_empty / review
    enabled = Boolean(default=True)
    sort = Integer(default=0)


class RecSource(Stamped, Table, tablename="rec_source"):
    """A school data source for sync (REC-09): SQL source or CSV drop folder."""
    name = Varchar(length=80)
    kind = Varchar(length=16)  # sql / csv_folder
    config = JSONB(default="{}")  # dsn+query / folder; mapping; dedupe choice
    every_minutes = Integer(default=1440)
    enabled = Boolean(default=True)
    last_run_at = Timestamptz(null=True, default=None)


class RecSyncLog(Table, tablename="rec_sync_log"):
    source = ForeignKey(RecSource, on_delete=OnDelete.cascade)
    started_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)
    status = Varchar(length=16, default="running")  # running / done / failed
    created = Integer(default=0)
    updated = Integer(default=0)
    skipped = Integer(default=0)
    failed = Integer(default=0)
    message = Text(default="")
    batch = BigInt(null=True, default=None)
