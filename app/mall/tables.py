"""Tables of the points mall (MALL-05 … MALL-11): catalogue (categories, attributes, products, SKUs),
alumni address book and cart, orders with items, status events and payments, delivery configuration
(shipping rules, pickup points) and reviews. CHECK constraints and list indexes live in the SQL
migration next to the generated one."""
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

from app.core.tables import AppUser, OrgNode, Stamped


class MallCategory(Stamped, Table, tablename="mall_category"):
    """商品分类: a small tree."""
    parent = ForeignKey("self", null=True, on_delete=OnDelete.restrict)
    name = Varchar(length=64)
    sort = Integer(default=0)
    icon = Varchar(length=200, default="")  # upload url or built-in icon name
    enabled = Boolean(default=True)


class MallAttribute(Stamped, Table, tablename="mall_attribute"):
    """规格属性 of a category (颜色, 尺码 …) with its allowed values."""
    category = ForeignKey(MallCategory, on_delete=OnDelete.cascade)
    name = Varchar(length=32)
    values = Array(base_column=Varchar(length=64), default=list)
    sort = Integer(default=0)


class MallProduct(Stamped, Table, tablename="mall_product"):
    category = ForeignKey(MallCategory, null=True, on_delete=OnDelete.set_null)
    name = Varchar(length=120)
    subtitle = Varchar(length=200, default="")
    detail_html = Text(default="")  # sanitised with security.sanitize_html before it is stored
    images = Array(base_column=Varchar(length=300), default=list)  # upload urls, gallery order
    cover = Varchar(length=300, default="")
    status = Varchar(length=16, default="off_shelf")  # on_shelf / off_shelf
    delivery_modes = Array(base_column=Varchar(length=16), default=list)  # express / pickup
    sort = Integer(default=0)
    sales = Integer(default=0)


class MallSku(Stamped, Table, tablename="mall_sku"):
    product = ForeignKey(MallProduct, on_delete=OnDelete.cascade)
    spec = JSONB(default="{}")  # {"颜色": "蓝", "尺码": "L"}; {} for a product without variants
    code = Varchar(length=64, default="")
    price_points = Integer(default=0)
    price_cash = Integer(default=0)  # fen; 0 = points only
    stock = Integer(default=0)  # CHECK (stock >= 0): the last guard against overselling
    status = Varchar(length=16, default="active")  # active / disabled
    sort = Integer(default=0)


class MallAddress(Stamped, Table, tablename="mall_address"):
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade)
    name = Varchar(length=64)
    phone = Varchar(length=32)
    region_code = Varchar(length=6)  # GB/T 2260 district code
    region_name = Varchar(length=100, default="")  # 北京市 北京市 海淀区
    detail = Varchar(length=200)
    is_default = Boolean(default=False)


class MallCart(Stamped, Table, tablename="mall_cart"):
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade)
    sku = ForeignKey(MallSku, on_delete=OnDelete.cascade)
    qty = Integer(default=1)


class MallPickupPoint(Stamped, Table, tablename="mall_pickup_point"):
    """自提点."""
    name = Varchar(length=100)
    region_code = Varchar(length=6, default="")
    address = Varchar(length=200, default="")
    hours = Varchar(length=100, default="")
    contact = Varchar(length=64, default="")
    phone = Varchar(length=32, default="")
    enabled = Boolean(default=True)
    sort = Integer(default=0)


class MallOrder(Stamped, Table, tablename="mall_order"):
    no = Varchar(length=32, unique=True)  # human readable: M20261123…
    user = ForeignKey(AppUser, on_delete=OnDelete.restrict)
    # pending_payment / pending_shipment / pending_receipt / pending_review / completed / cancelled
    status = Varchar(length=20, default="pending_payment")
    delivery = Varchar(length=16, default="express")  # express / pickup
    address = JSONB(default="{}")  # snapshot: name, phone, region_code, region_name, detail
    pickup_point = ForeignKey(MallPickupPoint, null=True, on_delete=OnDelete.set_null)
    pickup_code = Varchar(length=16, default="")
    points_total = Integer(default=0)
    cash_total = Integer(default=0)  # fen, includes the shipping fee
    shipping_fee = Integer(default=0)  # fen
    pay_deadline = Timestamptz(null=True, default=None)
    paid_at = Timestamptz(null=True, default=None)
    shipped_at = Timestamptz(null=True, default=None)
    carrier = Varchar(length=64, default="")
    tracking_no = Varchar(length=64, default="")
    received_at = Timestamptz(null=True, default=None)
    auto_confirm_at = Timestamptz(null=True, default=None)
    completed_at = Timestamptz(null=True, default=None)
    cancelled_at = Timestamptz(null=True, default=None)
    cancel_reason = Varchar(length=200, default="")
    remark = Varchar(length=200, default="")  # buyer's note
    request_key = Varchar(length=64, unique=True)  # idempotent checkout
    org = ForeignKey(OrgNode, null=True, on_delete=OnDelete.set_null)  # buyer's org: data scope


class MallOrderItem(Table, tablename="mall_order_item"):
    order = ForeignKey(MallOrder, on_delete=OnDelete.cascade)
    sku = ForeignKey(MallSku, null=True, on_delete=OnDelete.set_null)
    product = ForeignKey(MallProduct, null=True, on_delete=OnDelete.set_null)
    name = Varchar(length=120)  # snapshots: the order shows what was bought even after edits
    spec = Varchar(length=200, default="")
    cover = Varchar(length=300, default="")
    qty = Integer(default=1)
    price_points = Integer(default=0)
    price_cash = Integer(default=0)
    reviewed = Boolean(default=False)


class MallOrderEvent(Table, tablename="mall_order_event"):
    """Timeline: one row per status transition."""
    order = ForeignKey(MallOrder, on_delete=OnDelete.cascade)
    from_status = Varchar(length=20, default="")
    to_status = Varchar(length=20)
    actor = BigInt(null=True, default=None)  # user id; NULL = system job
    note = Varchar(length=300, default="")
    at = Timestamptz(default=TimestamptzNow())


class MallPayment(Stamped, Table, tablename="mall_payment"):
    order = ForeignKey(MallOrder, on_delete=OnDelete.cascade)
    method = Varchar(length=16)  # points / cash
    amount = Integer(default=0)  # points or fen
    status = Varchar(length=16, default="pending")  # pending / paid / refunded / failed
    provider_ref = Varchar(length=100, default="")
    paid_at = Timestamptz(null=True, default=None)


class MallShippingRule(Stamped, Table, tablename="mall_shipping_rule"):
    """运费: the longest matching region prefix wins; '' is the default rule."""
    region_prefix = Varchar(length=6, default="")
    fee = Integer(default=0)  # fen
    free_over_points = Integer(default=0)  # order points total at/over which shipping is free; 0 = never
    enabled = Boolean(default=True)


class MallReview(Stamped, Table, tablename="mall_review"):
    order_item = ForeignKey(MallOrderItem, on_delete=OnDelete.cascade)
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade)
    product = ForeignKey(MallProduct, on_delete=OnDelete.cascade)
    stars = SmallInt(default=5)
    text = Text(default="")
    photos = Array(base_column=Varchar(length=300), default=list)
    status = Varchar(length=16, default="pending")  # pending / approved / rejected
    reply = Text(default="")
    moderated_by = BigInt(null=True, default=None)
    moderated_at = Timestamptz(null=True, default=None)
