"""Piccolo tables of micro-pages (OPS-06, SMS-12): pages built from ordered blocks. A page is owned by HQ for now
(owner_kind/owner_id like the other ops tables); `on_home` binds it to the alumni home (/h5) as a button sorted by
`home_sort`. A block's `data` depends on its kind (see app/ops/micropages.py)."""
from piccolo.columns import JSONB, BigInt, Boolean, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from app.core.tables import Stamped


class OpsPage(Stamped, Table, tablename="ops_page"):
    """A micro-page (微页面). status: draft → published (and back). share_*: the WeChat share card."""
    owner_kind = Varchar(length=16, default="hq")
    owner_id = BigInt(default=0)
    title = Varchar(length=200)
    slug = Varchar(length=80, unique=True)
    status = Varchar(length=16, default="draft")
    share_title = Varchar(length=200, default="")
    share_summary = Varchar(length=300, default="")
    cover_key = Varchar(length=300, default="")
    on_home = Boolean(default=False)
    home_sort = Integer(default=50)
    published_at = Timestamptz(null=True, default=None)


class OpsPageBlock(Stamped, Table, tablename="ops_page_block"):
    """One block of a page, shown in `sort` order. kind: text / image / video / button / form."""
    page = ForeignKey(OpsPage, on_delete=OnDelete.cascade, index=True)
    sort = Integer(default=0)
    kind = Varchar(length=16)
    data = JSONB(default={})
