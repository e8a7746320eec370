"""Tables of the support core: org tree, users, roles, menus, audit, settings, dictionary, login
security, todos, messages, jobs, imports. Business modules keep their own tables."""
from piccolo.columns import (
    JSONB,
    Array,
    BigInt,
    Boolean,
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


class Stamped:
    """created/updated timestamps and the acting user id, on every table that holds business data."""
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    created_by = BigInt(null=True, default=None)
    updated_by = BigInt(null=True, default=None)


class OrgNode(Stamped, Table, tablename="org_node"):
    parent = ForeignKey("self", null=True, on_delete=OnDelete.restrict)
    name = Varchar(length=100)
    code = Varchar(length=50, null=True, default=None, unique=True)
    kind = Varchar(length=20, default="association")
    # Materialised path "/1/5/12/": a subtree is one indexed prefix scan (data scope).
    path = Varchar(length=500, index=True, default="/")
    depth = SmallInt(default=0)
    sort = Integer(default=0)
    enabled = Boolean(default=True)


class AppUser(Stamped, Table, tablename="app_user"):
    username = Varchar(length=64, unique=True)
    name = Varchar(length=64, default="")
    email = Varchar(length=254, null=True, default=None, unique=True)
    phone = Varchar(length=32, null=True, default=None, index=True)
    password_hash = Varchar(length=200, default="")
    org = ForeignKey(OrgNode, null=True, on_delete=OnDelete.set_null)
    kind = Varchar(length=16, default="registered")  # visitor / registered / alumni / admin
    is_active = Boolean(default=True)
    is_superuser = Boolean(default=False)
    lang = Varchar(length=8, default="")
    avatar = Varchar(length=200, default="")  # storage key of the profile photo
    last_login_at = Timestamptz(null=True, default=None)
    password_changed_at = Timestamptz(null=True, default=None)
    session_version = Integer(default=0)  # bumped to revoke every session cookie (app.core.sessions)


class Role(Stamped, Table, tablename="role"):
    code = Varchar(length=64, unique=True)
    name = Varchar(length=64)
    description = Text(default="")
    permissions = Array(base_column=Varchar(length=100), default=list)
    data_scope = Varchar(length=16, default="self")  # all / subtree / org / self
    scope_org = ForeignKey(OrgNode, null=True, on_delete=OnDelete.set_null)
    builtin = Boolean(default=False)


class UserRole(Table, tablename="user_role"):
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, index=True)
    role = ForeignKey(Role, on_delete=OnDelete.cascade, index=True)


class Menu(Stamped, Table, tablename="menu"):
    code = Varchar(length=64, unique=True)
    parent = ForeignKey("self", null=True, on_delete=OnDelete.cascade)
    title = Varchar(length=100)
    url = Varchar(length=300, default="")
    icon = Varchar(length=40, default="")
    permission = Varchar(length=100, default="")
    sort = Integer(default=0)
    enabled = Boolean(default=True)


class WebSession(Table, tablename="web_session"):
    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(AppUser, null=True, on_delete=OnDelete.cascade, index=True)
    data = JSONB(default="{}")
    ip = Varchar(length=64, default="")
    ua = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(index=True)


class AuditLog(Table, tablename="audit_log"):
    at = Timestamptz(default=TimestamptzNow(), index=True)
    actor_id = BigInt(null=True, default=None, index=True)
    actor_name = Varchar(length=64, default="")
    ip = Varchar(length=64, default="")
    action = Varchar(length=32)
    entity = Varchar(length=64, index=True)
    entity_id = Varchar(length=64, default="")
    summary = Text(default="")
    before = JSONB(null=True, default=None)
    after = JSONB(null=True, default=None)
    org_id = BigInt(null=True, default=None)


class SiteSetting(Stamped, Table, tablename="site_setting"):
    key = Varchar(length=100, unique=True)
    value = JSONB(default="null")


class DictType(Stamped, Table, tablename="dict_type"):
    code = Varchar(length=50, unique=True)
    name = Varchar(length=100)
    description = Text(default="")
    hierarchical = Boolean(default=False)
    builtin = Boolean(default=False)


class DictItem(Stamped, Table, tablename="dict_item"):
    type_code = Varchar(length=50, index=True)
    code = Varchar(length=50)
    name = Varchar(length=200)
    name_en = Varchar(length=200, default="")
    parent_code = Varchar(length=50, null=True, default=None)
    level = SmallInt(default=1)
    sort = Integer(default=0)
    enabled = Boolean(default=True)
    builtin = Boolean(default=False)


class LoginLog(Table, tablename="login_log"):
    at = Timestamptz(default=TimestamptzNow(), index=True)
    username = Varchar(length=64, default="", index=True)
    user_id = BigInt(null=True, default=None)
    ip = Varchar(length=64, default="", index=True)
    ua = Text(default="")
    platform = Varchar(length=40, default="")
    device = Varchar(length=20, default="")
    browser = Varchar(length=60, default="")
    success = Boolean(default=False)
    reason = Varchar(length=40, default="")


class LoginBlock(Table, tablename="login_block"):
    key = Varchar(length=120, unique=True)  # "ip:1.2.3.4" or "user:alice"
    until = Timestamptz()
    reason = Varchar(length=100, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Todo(Table, tablename="todo"):
    kind = Varchar(length=50)
    ref = Varchar(length=100, index=True)
    title = Varchar(length=200)
    url = Varchar(length=300, default="")
    permission = Varchar(length=100)
    org_id = BigInt(null=True, default=None)
    status = Varchar(length=10, default="open", index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    done_at = Timestamptz(null=True, default=None)
    done_by = BigInt(null=True, default=None)
    remind_at = Timestamptz(null=True, default=None)


class InboxMessage(Table, tablename="inbox_message"):
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, index=True)
    title = Varchar(length=200)
    body = Text(default="")
    url = Varchar(length=300, default="")
    template_code = Varchar(length=64, default="")
    read_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class MessageTemplate(Stamped, Table, tablename="message_template"):
    code = Varchar(length=64)
    channel = Varchar(length=16)  # inbox / email / sms / wechat
    name = Varchar(length=100, default="")
    subject = Varchar(length=200, default="")
    body = Text(default="")


class DeliveryLog(Table, tablename="delivery_log"):
    user_id = BigInt(null=True, default=None, index=True)
    channel = Varchar(length=16)
    address = Varchar(length=254, default="")
    template_code = Varchar(length=64, default="")
    subject = Varchar(length=200, default="")
    status = Varchar(length=12, default="queued")  # queued / sent / failed / skipped
    error = Text(default="")
    attempts = SmallInt(default=0)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    sent_at = Timestamptz(null=True, default=None)


class Job(Table, tablename="job"):
    kind = Varchar(length=64)
    payload = JSONB(default="{}")
    status = Varchar(length=12, default="queued")  # queued / running / done / failed / cancelled
    progress = Integer(default=0)
    total = Integer(default=0)
    message = Varchar(length=300, default="")
    attempts = SmallInt(default=0)
    max_attempts = SmallInt(default=3)
    run_at = Timestamptz(default=TimestamptzNow())
    locked_until = Timestamptz(null=True, default=None)
    locked_by = Varchar(length=64, default="")
    result = JSONB(null=True, default=None)
    error = Text(default="")
    created_by = BigInt(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    dedupe_key = Varchar(length=120, null=True, default=None, unique=True)


class JobSchedule(Table, tablename="job_schedule"):
    name = Varchar(length=64, unique=True)
    kind = Varchar(length=64)
    payload = JSONB(default="{}")
    interval_seconds = Integer(default=86400)
    next_run_at = Timestamptz(default=TimestamptzNow())
    last_run_at = Timestamptz(null=True, default=None)
    enabled = Boolean(default=True)


class ImportBatch(Table, tablename="import_batch"):
    kind = Varchar(length=64)
    filename = Varchar(length=200, default="")
    status = Varchar(length=16, default="uploaded")  # uploaded/validated/committing/committed/rolled_back
    headers = JSONB(default="[]")
    mapping = JSONB(default="{}")
    total = Integer(default=0)
    ok_count = Integer(default=0)
    error_count = Integer(default=0)
    imported_count = Integer(default=0)
    created_by = BigInt(null=True, default=None)
    org_id = BigInt(null=True, default=None)
    job_id = BigInt(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    committed_at = Timestamptz(null=True, default=None)
    rolled_back_at = Timestamptz(null=True, default=None)


class ImportRow(Table, tablename="import_row"):
    batch = ForeignKey(ImportBatch, on_delete=OnDelete.cascade, index=True)
    row_no = Integer()
    data = JSONB(default="{}")
    errors = JSONB(default="{}")
    status = Varchar(length=12, default="ok")  # ok / error / imported / rolled_back
    entity_id = Varchar(length=64, null=True, default=None)


class DevMail(Table, tablename="dev_mail"):
    """What the local SMTP sink received (dev and tests only)."""
    received_at = Timestamptz(default=TimestamptzNow(), index=True)
    mail_from = Varchar(length=254, default="")
    rcpt = Text(default="")
    subject = Text(default="")
    body = Text(default="")
    raw = Text(default="")
