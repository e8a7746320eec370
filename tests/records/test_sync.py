"""REC-09 data source sync: a SQL source and a CSV drop folder feed records through the import checks
and duplicate rules; every run is logged with its counts."""
import os

import pytest

from app.core import jobs
from tests.helpers import csrf_from

pytestmark = pytest.mark.req("REC-09")


async def create_source(client, **values) -> int:
    from app.core import db

    page = await client.get("/admin/records/sources/new")
    assert page.status_code == 200
    data = {"every_minutes": "60", "on_duplicate": "skip", "enabled": "on", **values,
            "_csrf_token": csrf_from(page.text)}
    response = await client.post("/admin/records/sources", data=data)
    assert response.status_code == 303, response.text[response.text.find("<main"):][:3000]
    return await db.fetchval("SELECT max(id) FROM rec_source")


async def run(client, source_id: int) -> dict:
    from app.core import db

    page = await client.get("/admin/records/sources")
    response = await client.post(f"/admin/records/sources/{source_id}/run", data={"_csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    await jobs.drain()
    return await db.fetchrow("SELECT * FROM rec_sync_log WHERE source = $1 ORDER BY id DESC LIMIT 1", source_id)


async def test_sql_source_creates_then_skips_or_overwrites(as_user, db):
    await db.execute("CREATE TABLE ext_alumni (xm text, sfzh text, xy text, rxnf int, gzdw text, csrq date)")
    await db.execute("INSERT INTO ext_alumni VALUES"
                     " ('同步甲', '110105199101010011', 'CS', 2009, '甲公司', '1991-01-01'),"
                     " ('同步乙', '110105199202020022', '计算机科学与技术学院', 2010, '', NULL),"
                     " ('同步坏', NULL, '火星学院', 2010, '', NULL)")
    client = await as_user("hq")
    query = ("SELECT xm AS name, sfzh AS id_number, xy AS college, rxnf AS entry_year, gzdw AS employer,"
             " csrq AS birthday FROM ext_alumni ORDER BY xm")
    source_id = await create_source(client, name="教务系统", kind="sql", dsn=os.environ["DATABASE_URL"], query=query)
    listing = await client.get("/admin/records/sources")
    assert "教务系统" in listing.text and os.environ["DATABASE_URL"].split("@")[-1] in listing.text
    log = await run(client, source_id)
    assert (log["status"], log["created"], log["updated"], log["skipped"], log["failed"]) == ("done", 2, 0, 0, 1)
    person = await db.fetchrow("SELECT p.*, e.entry_year FROM rec_person p JOIN rec_education e ON e.person = p.id"
                               " WHERE p.name = '同步甲'")
    assert person["employer"] == "甲公司" and person["entry_year"] == 2009
    assert await db.fetchval("SELECT method FROM rec_change WHERE person = $1 LIMIT 1", person["id"]) == "import"

    await db.execute("UPDATE ext_alumni SET gzdw = '新公司'")
    log = await run(client, source_id)  # skip: the records stay as they are
    assert (log["created"], log["updated"], log["skipped"], log["failed"]) == (0, 0, 2, 1)
    assert await db.fetchval("SELECT employer FROM rec_person WHERE id = $1", person["id"]) == "甲公司"

    edit = await client.get(f"/admin/records/sources/{source_id}")
    assert os.environ["DATABASE_URL"] not in edit.text  # the connection URL is never sent back
    saved = await client.post(f"/admin/records/sources/{source_id}", data={
        "name": "教务系统", "kind": "sql", "dsn": "", "query": query, "every_minutes": "60", "on_duplicate": "merge",
        "enabled": "on", "_csrf_token": csrf_from(edit.text)})
    assert saved.status_code == 303
    log = await run(client, source_id)
    assert (log["created"], log["updated"], log["skipped"]) == (0, 2, 0)
    assert await db.fetchval("SELECT employer FROM rec_person WHERE id = $1", person["id"]) == "甲公司"  # merge
    assert await db.fetchval("SELECT employer FROM rec_person WHERE name = '同步乙'") == "新公司"  # filled

    page = await client.get(f"/admin/records/sources/log?source={source_id}")
    assert page.status_code == 200 and "教务系统" in page.text and "Import report" in page.text


async def test_bad_configuration_is_refused(as_user):
    client = await as_user("hq")
    page = await client.get("/admin/records/sources/new")
    response = await client.post("/admin/records/sources", data={
        "name": "x", "kind": "sql", "dsn": "mysql://a", "query": "DELETE FROM rec_person", "every_minutes": "60",
        "on_duplicate": "skip", "_csrf_token": csrf_from(page.text)})
    assert response.status_code == 422 and "Enter a PostgreSQL connection URL" in response.text
    response = await client.post("/admin/records/sources", data={
        "name": "x", "kind": "csv_folder", "folder": "../../etc", "every_minutes": "60", "on_duplicate": "skip",
        "_csrf_token": csrf_from(page.text)})
    assert response.status_code == 422 and "inside the sync directory" in response.text


async def test_csv_folder_moves_files_and_logs(as_user, db, tmp_path, monkeypatch):
    monkeypatch.setenv("TC_SYNC_DIR", str(tmp_path))
    folder = tmp_path / "school"
    folder.mkdir()
    (folder / "a.csv").write_text("姓名,学院,入学年份,手机号\n文件甲,CS,2011,13955550001\n文件乙,EM,2012,13955550002\n",
                                  encoding="utf-8")
    (folder / "b.csv").write_bytes("Name,College\n文件丙,FL\n".encode("gb18030"))
    (folder / "c.csv").write_bytes(b"\x00\x01binary")
    client = await as_user("hq")
    source_id = await create_source(client, name="投递目录", kind="csv_folder", folder="school")
    log = await run(client, source_id)
    assert log["status"] == "done" and log["created"] == 3 and log["failed"] == 0
    assert "c.csv" in log["message"]
    assert sorted(p.name for p in (folder / "done").iterdir()) == ["a.csv", "b.csv"]
    assert [p.name for p in (folder / "failed").iterdir()] == ["c.csv"]
    assert not list(folder.glob("*.csv"))
    assert await db.fetchval("SELECT count(*) FROM rec_person WHERE name LIKE '文件%'") == 3


async def test_schedule_runs_due_sources(as_user, db, tmp_path, monkeypatch):
    monkeypatch.setenv("TC_SYNC_DIR", str(tmp_path))
    (tmp_path / "drop").mkdir()
    client = await as_user("hq")
    source_id = await create_source(client, name="定时", kind="csv_folder", folder="drop")
    await jobs.enqueue("rec.sync_due", {})
    await jobs.drain()
    assert await db.fetchval("SELECT count(*) FROM rec_sync_log WHERE source = $1", source_id) == 1
    await jobs.enqueue("rec.sync_due", {}, dedupe_key="again")
    await jobs.drain()  # ran a moment ago: not due yet
    assert await db.fetchval("SELECT count(*) FROM rec_sync_log WHERE source = $1", source_id) == 1
    await db.execute("UPDATE rec_source SET last_run_at = now() - interval '2 hours' WHERE id = $1", source_id)
    await jobs.enqueue("rec.sync_due", {}, dedupe_key="later")
    await jobs.drain()
    assert await db.fetchval("SELECT count(*) FROM rec_sync_log WHERE source = $1", source_id) == 2


async def test_sources_need_the_permission(as_user):
    client = await as_user("cs_admin")
    assert (await client.get("/admin/records/sources")).status_code == 403


@pytest.mark.req("REC-09")
async def test_csv_folder_with_the_sources_own_column_names(as_user, db, tmp_path, monkeypatch):
    monkeypatch.setenv("TC_SYNC_DIR", str(tmp_path))
    folder = tmp_path / "jwc"
    folder.mkdir()
    (folder / "x.csv").write_text("XM,XY,RXNF,SJH\n映射甲,CS,2011,13955551111\n", encoding="utf-8")
    client = await as_user("hq")
    page = await client.get("/admin/records/sources/new")
    bad = await client.post("/admin/records/sources", data={
        "_csrf_token": csrf_from(page.text), "name": "教务处", "kind": "csv_folder", "folder": "jwc",
        "every_minutes": "60", "on_duplicate": "skip", "column_map": "XM = name\nSJH = shoe size"})
    assert bad.status_code == 422 and "shoe size is not a field of the alumni import" in bad.text
    assert "XM = name" in bad.text  # nothing typed is lost
    source_id = await create_source(client, name="教务处", kind="csv_folder", folder="jwc",
                                    column_map="XM = name\nXY = 院系\nRXNF = entry_year\nSJH = Mobile phone")
    log = await run(client, source_id)
    assert log["status"] == "done" and log["created"] == 1, log
    row = await db.fetchrow("SELECT p.phone, e.entry_year FROM rec_person p JOIN rec_education e ON e.person = p.id"
                            " WHERE p.name = '映射甲'")
    assert row == {"phone": "13955551111", "entry_year": 2011}
    edit = await client.get(f"/admin/records/sources/{source_id}")
    assert "RXNF = entry_year" in edit.text
