"""Piccolo tables of the orgs module (prefix orgs_): alumni associations (校友组织) in their own tree, applications
to found one, members and join requests, the council (positions, terms, seats) and council meetings. An org points
at an org-tree node (`node`) for data scope; news, albums and the guestbook live in the content platform under the
owner ("org", id). Constraints Piccolo cannot express live in the plain-SQL migration."""
from piccolo.columns import BigInt, Boolean, Date, ForeignKey, Integer, OnDelete, SmallInt, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.core.tables import AppUser, OrgNode, Stamped


class OrgsOrg(Stamped, Table, tablename="orgs_org"):
    """One association: 地方校友会 (local), 院系分会 (college), 行业分会 (industry), 兴趣组织 (interest)."""
    name = Varchar(length=100)
    slug = Varchar(length=40, unique=True)  # the micro-site's address: /o/<slug>
    kind = Varchar(length=16, default="local")
    parent = ForeignKey("self", null=True, on_delete=OnDelete.restrict)
    # Materialised path "/1/5/" of orgs_org ids: a sub-tree is one prefix scan (like org_node.path).
    path = Varchar(length=500, index=True, default="/")
    depth = SmallInt(default=0)
    sort = Integer(default=0)
    region = Varchar(length=100, default="")
    founded = Date(null=True, default=None)
    logo = Varchar(length=300, default="")  # storage key of the checked image
    summary = Varchar(length=300, default="")  # one line: lists and the share card
    description = Text(default="")  # rich HTML, sanitised by the content platform
    contact_name = Varchar(length=64, default="")
    phone = Varchar(length=32, default="")
    email = Varchar(length=254, default="")
    address = Varchar(length=300, default="")
    join_rule = Varchar(length=12, default="approval")  # open / approval / closed
    join_requirement = Varchar(length=12, default="any")  # any / verified (linked to an alumni record)
    event_approval = Boolean(default=True)  # events members start need an admin's approval (operations module)
    status = Varchar(length=12, default="active")  # active / pending / disabled
    node = ForeignKey(OrgNode, null=True, on_delete=OnDelete.set_null, index=True)  # data scope


class OrgsApplication(Table, tablename="orgs_application"):
    """An alumnus asks HQ to found an association; HQ approves (the org is created) or rejects with a reason."""
    applicant = ForeignKey(AppUser, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=100)
    slug = Varchar(length=40)
    kind = Varchar(length=16, default="local")
    parent = ForeignKey(OrgsOrg, null=True, on_delete=OnDelete.set_null)
    region = Varchar(length=100, default="")
    reason = Text(default="")  # why, who else is in it
    phone = Varchar(length=32, default="")
    status = Varchar(length=12, default="pending")  # pending / approved / rejected
    decided_by = BigInt(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    decision_reason = Text(default="")
    org = BigInt(null=True, default=None)  # the org created on approval
    created_at = Timestamptz(default=TimestamptzNow())


class OrgsMember(Table, tablename="orgs_member"):
    """A member of an association and their entry in its address book (通讯录)."""
    org = ForeignKey(OrgsOrg, on_delete=OnDelete.cascade)
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=12, default="member")  # member / liaison / admin (admin only by appointment)
    status = Varchar(length=12, default="active")  # active / left / removed
    source = Varchar(length=12, default="join")  # join / approved / import / admin / founder
    joined_at = Timestamptz(default=TimestamptzNow())
    left_at = Timestamptz(null=True, default=None)
    phone = Varchar(length=32, default="")
    email = Varchar(length=254, default="")
    company = Varchar(length=200, default="")
    job_title = Varchar(length=100, default="")
    city = Varchar(length=100, default="")
    note = Varchar(length=300, default="")
    updated_at = Timestamptz(default=TimestamptzNow())


class OrgsJoinRequest(Table, tablename="orgs_join_request"):
    """A request to join an org whose rule is "approval"; decided by the org's admins."""
    org = ForeignKey(OrgsOrg, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, index=True)
    message = Text(default="")
    status = Varchar(length=12, default="pending")  # pending / approved / refused / withdrawn
    decided_by = BigInt(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    reason = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


class OrgsPosition(Table, tablename="orgs_position"):
    """A council position (会长, 副会长, 秘书长, 理事 …), in display order."""
    org = ForeignKey(OrgsOrg, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=40)
    sort = Integer(default=0)


class OrgsTerm(Table, tablename="orgs_term"):
    """A council term (届); one per org is the current one."""
    org = ForeignKey(OrgsOrg, on_delete=OnDelete.cascade, index=True)
    number = Integer()
    name = Varchar(length=100, default="")
    starts_on = Date(null=True, default=None)
    ends_on = Date(null=True, default=None)
    current = Boolean(default=False)


class OrgsSeat(Table, tablename="orgs_seat"):
    """Who holds a position in a term: a member's account, or only a name (someone without one)."""
    term = ForeignKey(OrgsTerm, on_delete=OnDelete.cascade, index=True)
    position = ForeignKey(OrgsPosition, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(AppUser, null=True, on_delete=OnDelete.set_null)
    name = Varchar(length=64)
    note = Varchar(length=200, default="")
    sort = Integer(default=0)


class OrgsMeeting(Stamped, Table, tablename="orgs_meeting"):
    """A council meeting (理事会议): when, where, the minutes (sanitised rich HTML), who attended, files."""
    org = ForeignKey(OrgsOrg, on_delete=OnDelete.cascade, index=True)
    term = ForeignKey(OrgsTerm, null=True, on_delete=OnDelete.set_null)
    title = Varchar(length=200)
    held_on = Date()
    place = Varchar(length=200, default="")
    minutes = Text(default="")


class OrgsMeetingAttendee(Table, tablename="orgs_meeting_attendee"):
    meeting = ForeignKey(OrgsMeeting, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade)


class OrgsMeetingFile(Table, tablename="orgs_meeting_file"):
    meeting = ForeignKey(OrgsMeeting, on_delete=OnDelete.cascade, index=True)
    key = Varchar(length=300)
    filename = Varchar(length=200)
    size = Integer(default=0)
    content_type = Varchar(length=100, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    created_by = BigInt(null=True, default=None)
