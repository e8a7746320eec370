"""SUP-17: /healthz (the process answers) and /readyz (database and job queue reachable)."""
from litestar import Response, get

from app.core import db


@get("/healthz", sync_to_thread=False)
def healthz() -> Response:
    return Response({"status": "ok"}, status_code=200)


@get("/readyz")
async def readyz() -> Response:
    checks = {}
    try:
        checks["database"] = await db.ping()
        stuck = await db.fetchval("SELECT count(*) FROM job WHERE status = 'queued' "
                                  "AND run_at < now() - interval '10 minutes'")
        checks["queue"] = True
        checks["queue_backlog_over_10min"] = stuck
    except Exception as exc:
        checks["database"] = False
        checks["error"] = type(exc).__name__
    ok = bool(checks.get("database") and checks.get("queue"))
    return Response({"status": "ok" if ok else "unavailable", **checks}, status_code=200 if ok else 503)


ROUTES = [healthz, readyz]
