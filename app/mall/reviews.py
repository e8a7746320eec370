"""Review moderation (MALL-09): alumni reviews wait as "pending"; staff approve or reject them and may
reply. Only approved reviews reach the shop (`approved_for_product`, `summary`, used by the H5 pages)."""
from __future__ import annotations

from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest

STATUSES = {"pending": L("Pending"), "approved": L("Approved"), "rejected": L("Rejected")}
SELECT = ("SELECT r.*, p.name AS product_name, u.name AS user_name, u.username, o.no AS order_no, i.spec AS item_spec"
          " FROM mall_review r JOIN mall_product p ON p.id = r.product JOIN app_user u ON u.id = r.\"user\""
          " JOIN mall_order_item i ON i.id = r.order_item JOIN mall_order o ON o.id = i.\"order\"")


class NotFound(Exception):
    pass


async def list_reviews(status: str = "pending", q: str = "", stars: int | None = None,
                       req: PageRequest | None = None) -> Page:
    req = req or PageRequest()
    args: list = []
    conds = ["TRUE"]
    if status in STATUSES:
        args.append(status)
        conds.append(f"r.status = ${len(args)}")
    if q.strip():
        args.append(f"%{q.strip()}%")
        conds.append(f"(p.name ILIKE ${len(args)} OR r.text ILIKE ${len(args)} OR o.no ILIKE ${len(args)})")
    if stars and 1 <= stars <= 5:
        args.append(stars)
        conds.append(f"r.stars = ${len(args)}")
    where = " AND ".join(conds)
    total = await db.fetchval(
        f"SELECT count(*) FROM mall_review r JOIN mall_product p ON p.id = r.product JOIN mall_order_item i"
        f" ON i.id = r.order_item JOIN mall_order o ON o.id = i.\"order\" WHERE {where}", *args)
    order = req.order_by({"created": "r.created_at", "stars": "r.stars"}, "r.created_at DESC, r.id DESC")
    rows = await db.fetch(f"{SELECT} WHERE {where} {order.replace(', id', ', r.id')}"
                          f" LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page(rows, total, req.page, req.per_page, req.sort)


async def counts() -> dict[str, int]:
    rows = await db.fetch("SELECT status, count(*) AS n FROM mall_review GROUP BY status")
    return {r["status"]: r["n"] for r in rows}


async def get(review_id: int) -> dict:
    row = await db.fetchrow(f"{SELECT} WHERE r.id = $1", review_id)
    if row is None:
        raise NotFound(review_id)
    return row


async def moderate(actor: Actor, ids: list[int], status: str, reply: str | None = None) -> int:
    """Approve or reject one or many reviews (optionally replying); returns how many changed."""
    if status not in ("approved", "rejected"):
        raise Invalid("status", _("Choose approve or reject."))
    if not ids:
        raise Invalid("ids", _("Select at least one review."))
    reply = (reply or "").strip()
    if len(reply) > 1000:
        raise Invalid("reply", _("Use at most %(n)s characters.", n=1000))
    async with db.transaction():
        rows = await db.fetch(
            "UPDATE mall_review SET status = $2, reply = CASE WHEN $3 = '' THEN reply ELSE $3 END, moderated_by = $4,"
            " moderated_at = now(), updated_by = $4, updated_at = now() WHERE id = ANY($1::bigint[])"
            " RETURNING id", ids, status, reply, actor.id)
        for row in rows:
            await audit.record(actor, status, "mall_review", row["id"], after={"status": status, "reply": reply})
    return len(rows)


async def save_reply(actor: Actor, review_id: int, reply: str) -> None:
    reply = (reply or "").strip()
    if len(reply) > 1000:
        raise Invalid("reply", _("Use at most %(n)s characters.", n=1000))
    async with db.transaction():
        before = await get(review_id)
        await db.execute("UPDATE mall_review SET reply = $2, updated_by = $3, updated_at = now() WHERE id = $1",
                         review_id, reply, actor.id)
        await audit.record(actor, "reply", "mall_review", review_id, before={"reply": before["reply"]},
                           after={"reply": reply})


# --- for the shop ----------------------------------------------------------------------------------------

async def approved_for_product(product_id: int, page: int = 1, per_page: int = 10) -> Page:
    """Approved reviews of a product, newest first, buyer names shortened (张**)."""
    req = PageRequest(page=max(1, page), per_page=per_page)
    total = await db.fetchval("SELECT count(*) FROM mall_review WHERE product = $1 AND status = 'approved'",
                              product_id)
    rows = await db.fetch(
        "SELECT r.id, r.stars, r.text, r.photos, r.reply, r.created_at, u.name AS user_name, i.spec AS item_spec"
        " FROM mall_review r JOIN app_user u ON u.id = r.\"user\" JOIN mall_order_item i ON i.id = r.order_item"
        " WHERE r.product = $1 AND r.status = 'approved' ORDER BY r.created_at DESC, r.id DESC"
        f" LIMIT {req.per_page} OFFSET {req.offset}", product_id)
    for row in rows:
        name = row.pop("user_name") or ""
        row["author"] = (name[:1] + "**") if name else _("Alumnus")
    return Page(rows, total, req.page, req.per_page)


async def summary(product_id: int) -> dict:
    row = await db.fetchrow("SELECT count(*) AS count, COALESCE(round(avg(stars), 1), 0) AS average FROM mall_review"
                            " WHERE product = $1 AND status = 'approved'", product_id)
    return {"count": row["count"], "average": float(row["average"])}
