"""Points mall (MALL-05 … MALL-11): products, H5 shop, orders, delivery, printing, reviews, statistics.
This file is its table of contents: everything it registers with the app."""
from app.core.i18n import N_
from app.core.menus import MenuEntry
from app.core.modules import H5Link, Module, PermissionGroup, Schedule

MODULE = Module(
    name="mall",
    package="app.mall",
    permissions=(
        PermissionGroup("mall.catalogue", (
            ("mall.product.view", N_("View mall products"), "page"),
            ("mall.product.edit", N_("Edit mall products and SKUs"), "button"),
            ("mall.product.shelf", N_("Put products on or off the shelf"), "button"),
            ("mall.category.edit", N_("Edit mall categories"), "page"),
        )),
        PermissionGroup("mall.orders", (
            ("mall.order.view", N_("View mall orders"), "page"),
            ("mall.order.ship", N_("Ship mall orders"), "button"),
            ("mall.order.cancel", N_("Cancel mall orders"), "button"),
            ("mall.order.pickup", N_("Verify pickup of mall orders"), "page"),
            ("mall.order.print", N_("Print mall orders"), "button"),
            ("mall.print.all", N_("See and download everyone's print jobs"), "button"),
        )),
        PermissionGroup("mall.manage", (
            ("mall.delivery.edit", N_("Configure shipping fees and pickup points"), "page"),
            ("mall.review.moderate", N_("Moderate product reviews"), "page"),
            ("mall.stats.view", N_("View mall statistics"), "page"),
            ("mall.stats.export", N_("Export mall statistics"), "button"),
        )),
    ),
    menus=(
        MenuEntry("mall", N_("Points mall"), "", "shop", "", 300),
        MenuEntry("mall.orders", N_("Orders"), "/admin/mall/orders", "list", "mall.order.view", 1, "mall"),
        MenuEntry("mall.pickup", N_("Pickup verification"), "/admin/mall/pickup-verify", "check", "mall.order.pickup",
                  2, "mall"),
        MenuEntry("mall.products", N_("Products"), "/admin/mall/products", "box", "mall.product.view", 3, "mall"),
        MenuEntry("mall.categories", N_("Categories"), "/admin/mall/categories", "tree", "mall.category.edit", 4,
                  "mall"),
        MenuEntry("mall.delivery", N_("Delivery"), "/admin/mall/delivery", "truck", "mall.delivery.edit", 5, "mall"),
        MenuEntry("mall.reviews", N_("Reviews"), "/admin/mall/reviews", "star", "mall.review.moderate", 6, "mall"),
        MenuEntry("mall.stats", N_("Mall statistics"), "/admin/mall/stats", "chart", "mall.stats.view", 7, "mall"),
        MenuEntry("mall.print", N_("Print jobs"), "/admin/mall/print-jobs", "printer", "mall.order.print", 8, "mall"),
    ),
    h5_links=(H5Link(N_("Points mall"), "/h5/mall", 10, primary=True), H5Link(N_("My orders"), "/h5/mall/orders", 11)),
    routes=(
        "routes.admin.categories",
        "routes.admin.delivery",
        "routes.admin.orders",
        "routes.admin.printing",
        "routes.admin.products",
        "routes.admin.reviews",
        "routes.admin.stats",
        "routes.h5.addresses",
        "routes.h5.checkout",
        "routes.h5.orders",
        "routes.h5.pay",
        "routes.h5.shop",
    ),
    jobs=("jobs",),
    schedules=(
        # unpaid orders cancelled, receipts confirmed, unreviewed orders completed (orders.run_timeouts)
        Schedule("mall.order_timeouts", "mall.order_timeouts", 60),
    ),
    audit_views=("audit_view",),
    demo="demo",
)
