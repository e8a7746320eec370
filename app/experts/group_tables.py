"""Tables of tag groups (EXP-16) and the import/export configuration (EXP-11)."""
from piccolo.columns import BigInt, Boolean, ForeignKey, Integer, OnDelete, Varchar
from piccolo.table import Table

from app.core.tables import Stamped
from app.experts.tables import ExpExpert


class ExpTagGroup(Stamped, Table, tablename="exp_tag_group"):
    """A custom group of tags (标签分组), e.g. "评审委员会" with tags "第一届", "第二届"."""
    name = Varchar(length=64, unique=True)
    sort = Integer(default=0)


class ExpTag(Stamped, Table, tablename="exp_tag"):
    """One tag of a group; unique per group (constraint in the raw migration)."""
    # no index=True: Piccolo would name it exp_tag_group, the group table; the unique (group, name) index serves
    group = ForeignKey(ExpTagGroup, on_delete=OnDelete.cascade)
    name = Varchar(length=64)
    sort = Integer(default=0)


class ExpExpertTag(Table, tablename="exp_expert_tag"):
    """An expert carries a tag (unique pair; index on tag for "experts of a tag" and the draw filter)."""
    expert = ForeignKey(ExpExpert, on_delete=OnDelete.cascade)
    tag = ForeignKey(ExpTag, on_delete=OnDelete.cascade, index=True)
    created_by = BigInt(null=True, default=None)


class ExpImportOption(Stamped, Table, tablename="exp_import_option"):
    """Options of one experts import batch (EXP-11): create an account for each new expert and mail it."""
    batch = BigInt(unique=True)  # import_batch.id
    create_accounts = Boolean(default=False)
