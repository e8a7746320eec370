"""Experts import (EXP-11) through the core engine: refused rows listed with their reason (unknown field code,
phone twice in the file or already in the pool), good rows imported as experts, the optional account-creation
mail sent once per created account after the commit, and a crashed commit resumed without duplicates."""
import io

import openpyxl
import pytest

from app.core import imports, jobs, notify
from app.core.audit import SYSTEM, Actor
from app.core.permissions import PermissionDenied
from app.experts import experts
from app.experts.import_spec import EXPERT_IMPORT
from tests.experts.helpers import make_fields
from tests.helpers import csrf_from, xlsx

HEADER = ["姓名", "手机号", "邮箱", "工作单位", "职称", "领域编码", "有效期"]


async def _upload(client, rows: list[list], create_accounts: bool) -> int:
    page = await client.get("/admin/experts/import")
    assert page.status_code == 200 and "Create accounts and mail them" in page.text
    data = {"_csrf_token": csrf_from(page.text)} | ({"create_accounts": "on"} if create_accounts else {})
    response = await client.post("/admin/experts/import", data=data,
                                 files={"file": ("专家.xlsx", xlsx([HEADER, *rows]), "application/octet-stream")})
    assert response.status_code == 303, response.text[:500]
    batch_id = int(response.headers["location"].split("/")[4])
    mapping_page = await client.get(f"/admin/imports/batch/{batch_id}/mapping")
    batch = await imports.get_batch(batch_id, SYSTEM)
    form = {f"map_{k}": str(v) for k, v in batch["mapping"].items() if v is not None}
    checked = await client.post(f"/admin/imports/batch/{batch_id}/mapping",
                                data={"_csrf_token": csrf_from(mapping_page.text), **form})
    assert checked.status_code == 303
    return batch_id


async def _commit(client, batch_id: int):
    report = await client.get(f"/admin/imports/batch/{batch_id}")
    done = await client.post(f"/admin/imports/batch/{batch_id}/commit", data={"_csrf_token": csrf_from(report.text)})
    assert done.status_code == 303
    await jobs.drain()


async def _mails(db, address: str) -> int:
    return await db.fetchval("SELECT count(*) FROM dev_mail WHERE rcpt LIKE $1", f"%{address}%")


@pytest.mark.req("EXP-11")
async def test_refused_rows_are_listed_with_their_reason_and_good_rows_imported(as_user, db, smtp_sink):
    await make_fields()
    kept = await experts.create(SYSTEM, {"name": "老专家", "phone": "13900000001"})
    kept_number = await db.fetchval("SELECT number FROM exp_expert WHERE id = $1", kept)
    client = await as_user("admin")
    batch_id = await _upload(client, [
        ["张工", "139 0000 1111", "zhang@example.cn", "同窗设计院", "高级工程师", "T-ENG;T-IT", "2030-06-30"],
        ["李工", "+86 13900002222", "", "", "", "T-ENG-CIV、t-it", ""],
        ["重复池", "13900000001", "", "", "", "", ""],
        ["重复文件", "13900001111", "", "", "", "", ""],
        ["未知码", "13900003333", "", "", "", "T-ENG;NOPE-9", ""],
    ], create_accounts=False)
    batch = await imports.get_batch(batch_id, SYSTEM)
    assert (batch["ok_count"], batch["error_count"]) == (2, 3)
    report = await client.get(f"/admin/imports/batch/{batch_id}?status=error")
    assert "Unknown field code NOPE-9." in report.text
    assert f"The phone number is already used by expert 老专家 ({kept_number})." in report.text
    assert "13900001111 appears twice in this file (also in row 2)." in report.text
    await _commit(client, batch_id)
    rows = await db.fetch("SELECT name, phone, fields, source, valid_until, employer, \"user\" FROM exp_expert"
                          " WHERE source = 'import' ORDER BY phone")
    assert [r["name"] for r in rows] == ["张工", "李工"]
    codes = {r["code"]: r["id"] for r in await db.fetch("SELECT id, code FROM exp_field")}
    assert rows[0]["phone"] == "13900001111" and sorted(rows[0]["fields"]) == sorted([codes["T-ENG"], codes["T-IT"]])
    assert str(rows[0]["valid_until"]) == "2030-06-30" and rows[0]["employer"] == "同窗设计院"
    assert sorted(rows[1]["fields"]) == sorted([codes["T-ENG-CIV"], codes["T-IT"]])
    assert rows[1]["valid_until"] is not None  # default: three years
    assert all(r["user"] is None for r in rows)  # no account without the option
    assert await db.fetchval("SELECT count(*) FROM exp_expert WHERE phone = '13900000001'") == 1
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'exp_expert' AND action = 'create'"
                             " AND actor_name = 'admin'") == 2
    assert await _mails(db, "zhang@example.cn") == 0
    errors = await client.get(f"/admin/imports/batch/{batch_id}/errors.xlsx")
    assert errors.status_code == 200 and len(errors.content) > 1000


@pytest.mark.req("EXP-11")
async def test_account_mail_once_per_created_account_and_a_crash_resumes_without_duplicates(
        as_user, db, smtp_sink, monkeypatch):
    client = await as_user("admin")
    existing = await db.fetchval("INSERT INTO app_user (username, name, phone, kind, password_hash) VALUES"
                                 " ('had_account', '有账号', '13900005005', 'registered', '') RETURNING id")
    rows = [[f"专家{i}", f"139000050{i:02d}", f"exp{i}@example.cn", "", "", "", ""] for i in range(1, 9)]
    batch_id = await _upload(client, rows, create_accounts=True)
    real, calls = notify.notify_address, []

    async def crashing(*args, **kwargs):
        result = await real(*args, **kwargs)  # the mail is queued in the row's transaction …
        calls.append(args[1])
        if len(calls) == 6:
            raise RuntimeError("worker killed")  # … which then dies: account, expert and mail go with it
        return result

    monkeypatch.setattr(notify, "notify_address", crashing)
    monkeypatch.setattr(imports.batches, "CHUNK", 3)
    await _commit(client, batch_id)
    batch = await imports.get_batch(batch_id, SYSTEM)
    job = await jobs.get(batch["job_id"])
    assert batch["status"] == "committing" and "worker killed" in job["error"]
    # rows 1–6 committed (row 5 links an existing account: no mail); row 7 died with its account and mail
    assert await db.fetchval("SELECT count(*) FROM exp_expert WHERE source = 'import'") == 6
    assert await db.fetchval("SELECT count(*) FROM app_user WHERE phone = '13900005007'") == 0
    monkeypatch.setattr(notify, "notify_address", real)
    await db.execute("UPDATE job SET run_at = now() WHERE id = $1", job["id"])
    await jobs.drain()
    batch = await imports.get_batch(batch_id, SYSTEM)
    assert batch["status"] == "committed" and batch["imported_count"] == 8
    experts_rows = await db.fetch("SELECT phone, \"user\" FROM exp_expert WHERE source = 'import' ORDER BY phone")
    assert len(experts_rows) == 8 and all(r["user"] for r in experts_rows)
    linked = next(r for r in experts_rows if r["phone"] == "13900005005")
    assert linked["user"] == existing  # an existing account is linked, not created again
    for i in range(1, 9):
        phone = f"139000050{i:02d}"
        assert await db.fetchval("SELECT count(*) FROM app_user WHERE phone = $1", phone) == 1
        assert await _mails(db, f"exp{i}@example.cn") == (0 if i == 5 else 1), i
    body = await db.fetchval("SELECT body FROM dev_mail WHERE rcpt LIKE '%exp1@example.cn%'")
    assert "13900005001" in body and "/h5/expert" in body
    # committing again (or the job running again) mails nobody twice
    await jobs.enqueue("import.commit", {"batch": batch_id, "module": EXPERT_IMPORT.module})
    await jobs.drain()
    assert await db.fetchval("SELECT count(*) FROM dev_mail WHERE rcpt LIKE '%@example.cn%'") == 7


@pytest.mark.req("EXP-11")
async def test_import_needs_the_permission_and_the_rollback_removes_the_imported_experts(as_user, db):
    rows = [["王工", "13900006001", "", "", "", "", ""]]
    client = await as_user("admin")
    batch_id = await _upload(client, rows, create_accounts=False)
    await _commit(client, batch_id)
    assert await db.fetchval("SELECT count(*) FROM exp_expert WHERE phone = '13900006001'") == 1
    await imports.rollback(batch_id, SYSTEM)
    assert await db.fetchval("SELECT count(*) FROM exp_expert WHERE phone = '13900006001'") == 0
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'exp_expert' AND action = 'delete'"
                             " AND summary LIKE '%import rolled back'") == 1
    template = await client.get("/admin/imports/experts/template.xlsx")
    headers = [c.value for c in next(openpyxl.load_workbook(io.BytesIO(template.content)).active.iter_rows())]
    assert headers[:2] == ["Name *", "Mobile number *"] and "Field codes" in headers and "Valid until" in headers
    outsider = await as_user("bj_admin")
    assert (await outsider.get("/admin/experts/import")).status_code == 403
    nobody = Actor(None, "x", perms=frozenset())
    with pytest.raises(PermissionDenied):
        imports.spec_for("experts", nobody)
