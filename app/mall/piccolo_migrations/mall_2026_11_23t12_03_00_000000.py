"""Mall constraints and list indexes: stock can never go negative (the last guard against overselling),
one cart row per user and SKU, one default address per user, and an index for every list filter."""
from app.core.raw_migration import sql_forwards

ID = "2026-11-23T12:03:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "mall constraints and indexes"

STATEMENTS = [
    "ALTER TABLE mall_sku ADD CONSTRAINT mall_sku_stock_nonneg CHECK (stock >= 0)",
    "ALTER TABLE mall_sku ADD CONSTRAINT mall_sku_prices_nonneg CHECK (price_points >= 0 AND price_cash >= 0)",
    "ALTER TABLE mall_cart ADD CONSTRAINT mall_cart_qty_pos CHECK (qty > 0)",
    "ALTER TABLE mall_order_item ADD CONSTRAINT mall_order_item_qty_pos CHECK (qty > 0)",
    "ALTER TABLE mall_review ADD CONSTRAINT mall_review_stars CHECK (stars BETWEEN 1 AND 5)",
    "ALTER TABLE mall_order ADD CONSTRAINT mall_order_status_chk CHECK (status IN ('pending_payment',"
    " 'pending_shipment', 'pending_receipt', 'pending_review', 'completed', 'cancelled'))",
    "CREATE INDEX IF NOT EXISTS mall_category_parent ON mall_category (parent, sort)",
    "CREATE INDEX IF NOT EXISTS mall_attribute_category ON mall_attribute (category, sort)",
    "CREATE INDEX IF NOT EXISTS mall_product_shelf ON mall_product (status, category, sort, id)",
    "CREATE INDEX IF NOT EXISTS mall_product_category ON mall_product (category)",
    "CREATE INDEX IF NOT EXISTS mall_sku_product ON mall_sku (product, sort)",
    "CREATE UNIQUE INDEX IF NOT EXISTS mall_sku_code ON mall_sku (code) WHERE code <> ''",
    "CREATE INDEX IF NOT EXISTS mall_address_user ON mall_address (\"user\", is_default)",
    "CREATE UNIQUE INDEX IF NOT EXISTS mall_address_one_default ON mall_address (\"user\") WHERE is_default",
    "CREATE UNIQUE INDEX IF NOT EXISTS mall_cart_user_sku ON mall_cart (\"user\", sku)",
    "CREATE INDEX IF NOT EXISTS mall_order_user ON mall_order (\"user\", status, created_at)",
    "CREATE INDEX IF NOT EXISTS mall_order_status ON mall_order (status, created_at)",
    "CREATE INDEX IF NOT EXISTS mall_order_created ON mall_order (created_at)",
    "CREATE INDEX IF NOT EXISTS mall_order_org ON mall_order (org, created_at)",
    "CREATE INDEX IF NOT EXISTS mall_order_delivery ON mall_order (delivery, status)",
    "CREATE INDEX IF NOT EXISTS mall_order_pay_deadline ON mall_order (pay_deadline)"
    " WHERE status = 'pending_payment'",
    "CREATE INDEX IF NOT EXISTS mall_order_auto_confirm ON mall_order (auto_confirm_at)"
    " WHERE status = 'pending_receipt'",
    "CREATE INDEX IF NOT EXISTS mall_order_received ON mall_order (received_at) WHERE status = 'pending_review'",
    "CREATE UNIQUE INDEX IF NOT EXISTS mall_order_pickup_code ON mall_order (pickup_code) WHERE pickup_code <> ''",
    "CREATE INDEX IF NOT EXISTS mall_order_item_order ON mall_order_item (\"order\")",
    "CREATE INDEX IF NOT EXISTS mall_order_item_product ON mall_order_item (product)",
    "CREATE INDEX IF NOT EXISTS mall_order_item_sku ON mall_order_item (sku)",
    "CREATE INDEX IF NOT EXISTS mall_order_event_order ON mall_order_event (\"order\", at)",
    "CREATE INDEX IF NOT EXISTS mall_payment_order ON mall_payment (\"order\")",
    "CREATE UNIQUE INDEX IF NOT EXISTS mall_payment_ref ON mall_payment (provider_ref) WHERE provider_ref <> ''",
    "CREATE UNIQUE INDEX IF NOT EXISTS mall_shipping_rule_prefix ON mall_shipping_rule (region_prefix)",
    "CREATE INDEX IF NOT EXISTS mall_pickup_point_enabled ON mall_pickup_point (enabled, sort)",
    "CREATE INDEX IF NOT EXISTS mall_review_status ON mall_review (status, created_at)",
    "CREATE INDEX IF NOT EXISTS mall_review_product ON mall_review (product, status)",
    "CREATE UNIQUE INDEX IF NOT EXISTS mall_review_item ON mall_review (order_item)",
    "CREATE INDEX IF NOT EXISTS mall_review_user ON mall_review (\"user\")",
]


forwards = sql_forwards(ID, "mall", DESCRIPTION, STATEMENTS)
