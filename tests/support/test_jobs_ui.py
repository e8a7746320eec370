"""Background jobs in the UI: list limited to one's own jobs, detail with live progress (htmx poll,
meta refresh without JS while unfinished), retry/cancel with confirm pages and audit, schedules."""
import pytest

from app.core import jobs
from tests.helpers import csrf_from, post_form

HTMX = {"HX-Request": "true", "HX-Target": "job-progress"}


async def _uid(db, username: str) -> int:
    return await db.fetchval("SELECT id FROM app_user WHERE username = $1", username)


@pytest.fixture
async def job_db(db):
    await db.execute("DELETE FROM job")
    return db


@pytest.mark.req("SUP-07")
@pytest.mark.req("NFR-01")
async def test_job_detail_shows_progress_and_refreshes_only_while_unfinished(as_user, job_db):
    db = job_db
    admin = await _uid(db, "admin")
    job_id = await jobs.enqueue("ui.report", {"year": 2026}, created_by=admin)
    await db.execute("UPDATE job SET status = 'running', attempts = 1, progress = 3, total = 10, "
                     "message = '正在处理第 3 行' WHERE id = $1", job_id)
    client = await as_user("admin")
    page = await client.get(f"/admin/jobs/{job_id}")
    assert page.status_code == 200
    assert '<progress class="progress" value="3" max="10">' in page.text and "正在处理第 3 行" in page.text
    assert '<meta http-equiv="refresh" content="2">' in page.text
    assert 'hx-trigger="every 1s"' in page.text and f'hx-get="/admin/jobs/{job_id}"' in page.text

    block = await client.get(f"/admin/jobs/{job_id}", headers=HTMX)
    assert block.status_code == 200
    assert block.text.lstrip().startswith('<section class="panel job-progress" id="job-progress"')
    assert "<html" not in block.text and "http-equiv" not in block.text  # htmx polls; no meta refresh

    await db.execute("UPDATE job SET status = 'done', progress = 10, result = '{\"rows\": 10}'::jsonb, "
                     "finished_at = now() WHERE id = $1", job_id)
    block = await client.get(f"/admin/jobs/{job_id}", headers=HTMX)
    assert 'value="10" max="10"' in block.text and "every 1s" not in block.text  # polling stops
    assert "&#34;rows&#34;: 10" in block.text or '"rows": 10' in block.text
    done = await client.get(f"/admin/jobs/{job_id}")
    assert "http-equiv" not in done.text and "every 1s" not in done.text


@pytest.mark.req("SUP-07")
async def test_list_shows_only_own_jobs_for_non_superusers_and_filters(as_user, job_db):
    db = job_db
    cs, admin = await _uid(db, "cs_admin"), await _uid(db, "admin")
    mine = await jobs.enqueue("ui.export", {}, created_by=cs)
    theirs = await jobs.enqueue("ui.secret", {}, created_by=admin)
    await db.execute("UPDATE job SET status = 'failed', error = 'disk full' WHERE id = $1", theirs)
    client = await as_user("cs_admin")
    listing = await client.get("/admin/jobs")
    assert listing.status_code == 200
    assert f'href="/admin/jobs/{mine}"' in listing.text and f'href="/admin/jobs/{theirs}"' not in listing.text
    assert "ui.secret" not in listing.text
    assert (await client.get(f"/admin/jobs/{theirs}")).status_code == 403
    assert (await client.get(f"/admin/jobs/{theirs}/retry")).status_code == 403

    await post_form(client, "/admin", "/logout", {})
    client = await as_user("admin")
    everything = await client.get("/admin/jobs")
    assert f'href="/admin/jobs/{mine}"' in everything.text and f'href="/admin/jobs/{theirs}"' in everything.text
    failed = await client.get("/admin/jobs?status=failed")
    assert f'href="/admin/jobs/{theirs}"' in failed.text and f'href="/admin/jobs/{mine}"' not in failed.text
    for n in range(21):
        await jobs.enqueue("ui.bulk", {"n": n}, created_by=admin)
    first = await client.get("/admin/jobs?kind=ui.bulk")
    second = await client.get("/admin/jobs?kind=ui.bulk&page=2")
    assert first.text.count('href="/admin/jobs/') - first.text.count('href="/admin/jobs/schedules"') == 20
    assert "21–21 of 21" in second.text or "21" in second.text.split('class="pager-info"')[1][:40]


@pytest.mark.req("SUP-07")
async def test_retry_failed_and_cancel_queued_with_confirm_pages_audited(as_user, job_db):
    db = job_db
    cs = await _uid(db, "cs_admin")
    failed = await jobs.enqueue("ui.import", {}, created_by=cs)
    await db.execute("UPDATE job SET status = 'failed', attempts = 3, error = 'SMTP down', finished_at = now() "
                     "WHERE id = $1", failed)
    queued = await jobs.enqueue("ui.import", {"again": True}, created_by=cs)
    client = await as_user("cs_admin")

    detail = await client.get(f"/admin/jobs/{failed}")
    assert "SMTP down" in detail.text and f'href="/admin/jobs/{failed}/retry"' in detail.text
    confirm = await client.get(f"/admin/jobs/{failed}/retry")
    assert confirm.status_code == 200 and f'action="/admin/jobs/{failed}/retry"' in confirm.text
    done = await client.post(f"/admin/jobs/{failed}/retry", data={"_csrf_token": csrf_from(confirm.text)})
    assert done.status_code == 303
    row = await db.fetchrow("SELECT status, attempts, error FROM job WHERE id = $1", failed)
    assert (row["status"], row["attempts"], row["error"]) == ("queued", 0, "")
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'job' AND entity_id = $1 "
                             "AND action = 'retry' AND actor_id = $2", str(failed), cs) == 1

    again = await post_form(client, f"/admin/jobs/{queued}/cancel", f"/admin/jobs/{queued}/cancel", {})
    assert again.status_code == 303
    assert await db.fetchval("SELECT status FROM job WHERE id = $1", queued) == "cancelled"
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'job' AND entity_id = $1 "
                             "AND action = 'cancel'", str(queued)) == 1
    assert await jobs.drain() == 1  # only the retried job runs (no handler: it fails); the cancelled one never
    # a job that is not queued cannot be cancelled: the page says so, nothing changes
    refused = await post_form(client, f"/admin/jobs/{queued}", f"/admin/jobs/{queued}/cancel", {})
    assert refused.status_code == 303
    assert await db.fetchval("SELECT status FROM job WHERE id = $1", queued) == "cancelled"
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'job' AND entity_id = $1 "
                             "AND action = 'cancel'", str(queued)) == 1


@pytest.mark.req("SUP-06")
async def test_schedules_list_and_enable_disable_audited(as_user, db):
    client = await as_user("admin")
    page = await client.get("/admin/jobs/schedules")
    assert page.status_code == 200 and "todos.remind" in page.text
    schedule = await db.fetchval("SELECT id FROM job_schedule WHERE name = 'todos.remind'")
    off = await post_form(client, "/admin/jobs/schedules", f"/admin/jobs/schedules/{schedule}/disable", {})
    assert off.status_code == 303
    assert await db.fetchval("SELECT enabled FROM job_schedule WHERE id = $1", schedule) is False
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'job_schedule' AND action = 'disable'") == 1
    assert await jobs.enqueue_due_schedules() >= 0
    assert await db.fetchval("SELECT count(*) FROM job "
                             "WHERE kind = 'todos.remind' AND dedupe_key LIKE 'schedule:%'") == 0
    on = await post_form(client, "/admin/jobs/schedules", f"/admin/jobs/schedules/{schedule}/enable", {})
    assert on.status_code == 303 and await db.fetchval("SELECT enabled FROM job_schedule WHERE id = $1", schedule)

    await post_form(client, "/admin", "/logout", {})
    college = await as_user("cs_admin")  # may look at jobs, not switch system schedules
    seen = await college.get("/admin/jobs/schedules")
    assert seen.status_code == 200 and f"/admin/jobs/schedules/{schedule}/disable" not in seen.text
    denied = await college.post(f"/admin/jobs/schedules/{schedule}/disable", data={"_csrf_token": csrf_from(seen.text)})
    assert denied.status_code == 403
