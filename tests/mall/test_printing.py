"""Printing (MALL-07): A4 order sheets (batch, one page per order), packing lists, 100×150 shipping and
100×100 pickup labels with page sizes exact to the millimetre, a Code 128 barcode and a QR, not blank;
big batches as a job with a progress page and a download."""
import io
import json

import pytest
from pypdf import PdfReader

from app.core import jobs
from app.core.barcodes import code128_modules, code128_svg
from tests.helpers import csrf_from, dark_pixels, first_page_gray

MM = 72 / 25.4


async def make_orders(db, count: int, delivery: str = "express") -> list[int]:
    user = await db.fetchval("SELECT id FROM app_user WHERE username = 'admin'")
    org = await db.fetchval("SELECT id FROM org_node WHERE code = 'CS'")
    point = await db.fetchval("SELECT id FROM mall_pickup_point ORDER BY id LIMIT 1")
    address = json.dumps({"name": "李四", "phone": "13900000000", "region_code": "110108",
                          "region_name": "北京市 海淀区", "detail": "同窗路 8 号"}, ensure_ascii=False)
    rows = await db.fetch(
        "INSERT INTO mall_order (no, \"user\", status, delivery, address, pickup_point, points_total, request_key, org)"
        " SELECT 'MP' || lpad(g::text, 8, '0') || $4, $1, 'pending_shipment', $4, $2::jsonb, $3, 300,"
        " 'print-' || $4 || g, $5 FROM generate_series(1, $6) g RETURNING id",
        user, address, point if delivery == "pickup" else None, delivery, org, count)
    ids = [r["id"] for r in rows]
    await db.execute("INSERT INTO mall_order_item (\"order\", name, spec, qty, price_points) SELECT o, '校友文化衫',"
                     " '尺码:L', 2, 150 FROM unnest($1::bigint[]) o", ids)
    return ids


def reader(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-"), data[:60]
    return PdfReader(io.BytesIO(data))


def size_mm(page) -> tuple[int, int]:
    box = page.mediabox
    return round(float(box.width) / MM), round(float(box.height) / MM)


@pytest.mark.req("MALL-07")
async def test_a4_sheet_batch_one_page_per_order(as_user, db, tmp_path):
    ids = await make_orders(db, 3)
    client = await as_user("admin")
    response = await client.get(f"/admin/mall/print?ids={','.join(map(str, ids))}&kind=sheet")
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "application/pdf"
    doc = reader(response.content)
    assert len(doc.pages) == 3 and all(size_mm(p) == (210, 297) for p in doc.pages)
    text = doc.pages[0].extract_text()
    assert "校友文化衫" in text and "李四" in text
    assert dark_pixels(first_page_gray(response.content, tmp_path)) > 500
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'mall_order' AND action = 'print'") == 1


@pytest.mark.req("MALL-07")
@pytest.mark.parametrize("kind,size,delivery", [("label100x150", (100, 150), "express"),
                                                ("label100x100", (100, 100), "pickup"),
                                                ("packing", (210, 297), "express")])
async def test_labels_and_packing_list_have_exact_page_sizes(as_user, db, tmp_path, kind, size, delivery):
    ids = await make_orders(db, 2, delivery)
    client = await as_user("admin")
    response = await client.get(f"/admin/mall/print?ids={ids[0]}&ids={ids[1]}&kind={kind}")
    assert response.status_code == 200, response.text[:300]
    doc = reader(response.content)
    assert len(doc.pages) == 2 and [size_mm(p) for p in doc.pages] == [size, size]
    no = await db.fetchval("SELECT no FROM mall_order WHERE id = $1", ids[0])
    assert no in doc.pages[0].extract_text()
    assert dark_pixels(first_page_gray(response.content, tmp_path)) > 300


@pytest.mark.req("MALL-07")
def test_code128_svg_draws_the_encoded_modules():
    modules = code128_modules("M2026112300001")
    assert modules.startswith("11010010000") and modules.endswith("1100011101011")  # start B, stop
    svg = str(code128_svg("M2026112300001", module=0.3))
    drawn = ["0"] * len(modules)
    for part in svg.split('d="')[1].split('"')[0].split("M")[1:]:
        x, rest = part.split(" ", 1)
        width = int(rest.split("h")[1].split("v")[0])
        for i in range(int(x) - 10, int(x) - 10 + width):
            drawn[i] = "1"
    assert "".join(drawn) == modules
    assert 'width="' in svg and "mm" in svg


@pytest.mark.req("MALL-07")
async def test_big_batch_runs_as_a_job_with_progress_and_download(as_user, db):
    ids = await make_orders(db, 51)
    client = await as_user("admin")
    confirm = await client.get(f"/admin/mall/print?ids={','.join(map(str, ids))}&kind=label100x150")
    assert confirm.status_code == 200 and "51 orders are selected" in confirm.text
    started = await client.post("/admin/mall/print-jobs", data={"ids": ",".join(map(str, ids)), "kind": "label100x150",
                                                                "_csrf_token": csrf_from(confirm.text)})
    assert started.status_code == 303
    status_url = started.headers["location"]
    waiting = await client.get(status_url)
    assert 'http-equiv="refresh"' in waiting.text and "hx-trigger" in waiting.text
    await jobs.drain()
    done = await client.get(status_url)
    assert "download-link" in done.text and 'http-equiv="refresh"' not in done.text
    pdf_response = await client.get(status_url + "/download")
    assert pdf_response.headers["content-disposition"].startswith("attachment;")
    doc = reader(pdf_response.content)
    assert len(doc.pages) == 51 and size_mm(doc.pages[50]) == (100, 150)
    listing = await client.get("/admin/mall/print-jobs")
    assert status_url in listing.text


async def _printer(db, username: str, extra: tuple[str, ...] = ()) -> int:
    """Staff who may view and print orders (all data); `extra` adds permissions (e.g. mall.print.all)."""
    from app.core.security import hash_password
    from app.support.seed import DEMO_PASSWORD

    org = await db.fetchval("SELECT id FROM org_node WHERE code = 'HQ'")
    role = await db.fetchval("INSERT INTO role (code, name, permissions, data_scope) VALUES ($1, $1, $2, 'all')"
                             " RETURNING id", f"r_{username}", ["sup.admin", "mall.order.view", "mall.order.print",
                                                                 *extra])
    uid = await db.fetchval("INSERT INTO app_user (username, name, kind, org, password_hash) VALUES"
                            " ($1, $1, 'admin', $2, $3) RETURNING id", username, org, hash_password(DEMO_PASSWORD))
    await db.execute("INSERT INTO user_role (\"user\", role) VALUES ($1, $2)", uid, role)
    return uid


@pytest.mark.req("MALL-07")
async def test_print_jobs_are_seen_and_downloaded_only_by_their_requester_or_a_print_admin(as_user, db):
    from app.mall import print_batches

    ids = await make_orders(db, 51)
    alice, bob = await _printer(db, "print_alice"), await _printer(db, "print_bob")
    await _printer(db, "print_boss", ("mall.print.all",))
    bobs = await print_batches.start(bob, ids, "label100x150")
    await jobs.drain()  # bob's PDF (names, phones, addresses) is ready for download
    alices = await print_batches.start(alice, ids[:10], "sheet")  # stays queued

    client = await as_user("print_alice")
    listing = await client.get("/admin/mall/print-jobs")
    assert listing.status_code == 200
    assert f'/admin/mall/print-jobs/{alices}"' in listing.text
    assert f'/admin/mall/print-jobs/{bobs}"' not in listing.text and "print_bob" not in listing.text
    assert (await client.get(f"/admin/mall/print-jobs/{alices}")).status_code == 200
    assert (await client.get(f"/admin/mall/print-jobs/{bobs}")).status_code == 404
    refused = await client.get(f"/admin/mall/print-jobs/{bobs}/download")
    assert refused.status_code == 404 and not refused.content.startswith(b"%PDF")

    client = await as_user("print_bob")
    own = await client.get(f"/admin/mall/print-jobs/{bobs}/download")
    assert own.status_code == 200 and len(reader(own.content).pages) == 51
    assert f'/admin/mall/print-jobs/{alices}"' not in (await client.get("/admin/mall/print-jobs")).text

    for admin in ("print_boss", "admin"):  # the see-all permission, and a superuser
        client = await as_user(admin)
        listing = await client.get("/admin/mall/print-jobs")
        assert f'/admin/mall/print-jobs/{alices}"' in listing.text and f'/admin/mall/print-jobs/{bobs}"' in listing.text
        assert "print_alice" in listing.text and "print_bob" in listing.text
        other = await client.get(f"/admin/mall/print-jobs/{bobs}/download")
        assert other.status_code == 200 and other.content.startswith(b"%PDF-")
