"""`python -m app up | serve | worker | migrate | seed | createadmin | backup | restore | smtp-sink | pg | smsc |
idp`."""
from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import subprocess
import sys
from pathlib import Path

from app.config import ROOT, get_settings


def ensure_database() -> str:
    """DATABASE_URL if set, else the embedded server (started if needed)."""
    if not os.environ.get("DATABASE_URL"):
        from app.core import pg_embedded

        os.environ["DATABASE_URL"] = pg_embedded.start()
    os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
    return os.environ["DATABASE_URL"]


async def _with_pool(coro_fn, *args):
    from app.core import db

    await db.start_pool(min_size=1, max_size=5)
    try:
        return await coro_fn(*args)
    finally:
        await db.close_pool()


def cmd_migrate(_args=None) -> None:
    ensure_database()
    from app.core import db

    asyncio.run(db.migrate())
    print("migrations applied")


def cmd_seed(args) -> None:
    ensure_database()
    from app import modules
    from app.support import seed

    modules.load()
    result = asyncio.run(_with_pool(seed.seed_all, getattr(args, "users", 0)))
    print(result)


def cmd_createadmin(args) -> None:
    ensure_database()
    from app.support import users

    password = args.password or os.environ.get("ADMIN_PASSWORD") or getpass.getpass("Password: ")
    asyncio.run(_with_pool(users.create_superuser, args.username, password, args.email))
    print(f"superuser {args.username} ready")


def _serve(with_worker: bool, with_sink: bool, with_idp: bool = False) -> None:
    settings = get_settings()
    children = []
    if with_idp and settings.dev:
        # the built-in school IdP (CAS, OIDC) and WeChat / real-name simulators on TC_IDP_URL
        children.append(subprocess.Popen([sys.executable, "-m", "app", "idp"]))
    if with_sink and settings.dev:
        children.append(subprocess.Popen([sys.executable, "-m", "app", "smtp-sink"]))
        # the demo SMS channel points at this local SMSC simulator (app/sms/demo.py)
        children.append(subprocess.Popen([sys.executable, "-m", "app", "smsc", "--port", "2775",
                                          "--receipt-delay-ms", "500"]))
    if with_worker:
        children.append(subprocess.Popen([sys.executable, "-m", "app", "worker"]))
        children.append(subprocess.Popen([sys.executable, "-m", "app", "sms-dispatcher"]))
    from granian import Granian
    from granian.constants import Interfaces

    try:
        Granian("app.main:create_app", factory=True, interface=Interfaces.ASGI, address=settings.host,
                port=settings.port, workers=settings.workers, log_access=False, backlog=settings.backlog,
                backpressure=settings.max_concurrency).serve()
    finally:
        for child in children:
            child.terminate()


def cmd_up(args) -> None:
    """Everything a newcomer needs: database, migrations, demo data, mail sink, worker, web."""
    ensure_database()
    cmd_migrate()
    from app import modules
    from app.support import seed

    modules.load()
    asyncio.run(_with_pool(seed.seed_all, 0))
    password = seed.DEMO_ADMIN_PASSWORD
    url = get_settings().public_url()
    print(f"\n  同窗 Tongchuang is running: {url}/admin\n  demo admin login: admin / {password}\n"
          f"  dev mailbox: {url}/admin/dev/mailbox\n"
          f"  school IdP / WeChat / real-name simulator: {get_settings().idp_url} (password idp-pass)\n", flush=True)
    _serve(with_worker=True, with_sink=True, with_idp=True)


def cmd_serve(args) -> None:
    ensure_database()
    if args.migrate:
        cmd_migrate()
    _serve(with_worker=args.with_worker, with_sink=args.with_sink)


def cmd_worker(_args) -> None:
    ensure_database()
    from app import modules
    from app.core import jobs

    modules.load()
    asyncio.run(_with_pool(jobs.worker_loop))


def cmd_sms_dispatcher(_args) -> None:
    """SMS outbox → channels (SMS-10); one active at a time, a second one waits as a standby."""
    ensure_database()
    import logging

    from app.adapters.sms_channels.smsc_cli import run_fast
    from app.sms import dispatcher

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_fast(_with_pool(dispatcher.run))  # uvloop when installed


def cmd_smtp_sink(args) -> None:
    ensure_database()
    from app.core import mail_sink

    asyncio.run(mail_sink.run_forever(args.port or get_settings().smtp_port))


def cmd_backup(args) -> None:
    url = ensure_database()
    from app.core import backup

    print(backup.backup(url, Path(args.file) if args.file else None))


def cmd_restore(args) -> None:
    url = ensure_database()
    from app.core import backup

    backup.restore(url, Path(args.file))
    print("restored")


def cmd_idp(args) -> None:
    """The built-in school IdP (CAS, OIDC) and WeChat / real-name simulators: app/adapters/school_idp."""
    from urllib.parse import urlsplit

    from app.adapters.school_idp import config, server

    port = args.port or config.default_port()
    if urlsplit(get_settings().idp_url).port != port:  # the issuer is the URL it is reached at
        os.environ["TC_IDP_URL"] = f"http://127.0.0.1:{port}"
        get_settings.cache_clear()
    print(f"school IdP simulator: {get_settings().idp_url}", flush=True)
    server.run(port)


def cmd_pg(args) -> None:
    from app.core import pg_embedded

    if args.action == "start":
        print(pg_embedded.start())
    elif args.action == "stop":
        pg_embedded.stop()
    else:
        print(pg_embedded.url())


def cmd_i18n(args) -> None:
    from app.core import i18n_catalogs

    sys.exit(i18n_catalogs.main(args.apply, args.dump_missing))


def main(argv: list[str] | None = None) -> None:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(prog="app", description="Tongchuang alumni platform")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="set up and run everything (dev/demo)").set_defaults(fn=cmd_up)
    p = sub.add_parser("serve", help="web server")
    p.add_argument("--migrate", action="store_true")
    p.add_argument("--with-worker", action="store_true")
    p.add_argument("--with-sink", action="store_true")
    p.set_defaults(fn=cmd_serve)
    sub.add_parser("worker", help="background job worker").set_defaults(fn=cmd_worker)
    sub.add_parser("sms-dispatcher", help="SMS outbox dispatcher").set_defaults(fn=cmd_sms_dispatcher)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(fn=cmd_migrate)
    p = sub.add_parser("seed", help="load demo data (idempotent)")
    p.add_argument("--users", type=int, default=0, help="extra generated users (for benchmarks)")
    p.set_defaults(fn=cmd_seed)
    p = sub.add_parser("createadmin", help="create or reset a superuser")
    p.add_argument("username")
    p.add_argument("--email")
    p.add_argument("--password")
    p.set_defaults(fn=cmd_createadmin)
    p = sub.add_parser("backup", help="pg_dump the database to a file")
    p.add_argument("file", nargs="?")
    p.set_defaults(fn=cmd_backup)
    p = sub.add_parser("restore", help="pg_restore a backup file (replaces current data)")
    p.add_argument("file")
    p.set_defaults(fn=cmd_restore)
    p = sub.add_parser("smtp-sink", help="local SMTP sink (dev/tests)")
    p.add_argument("--port", type=int)
    p.set_defaults(fn=cmd_smtp_sink)
    p = sub.add_parser("idp", help="built-in school IdP (CAS, OIDC) + WeChat / real-name simulators (dev/tests)")
    p.add_argument("--port", type=int, help="default: TC_IDP_PORT, else the port of TC_IDP_URL")
    p.set_defaults(fn=cmd_idp)
    p = sub.add_parser("pg", help="embedded PostgreSQL")
    p.add_argument("action", choices=["start", "stop", "url"])
    p.set_defaults(fn=cmd_pg)
    p = sub.add_parser("i18n", help="extract strings and update locale catalogs")
    p.add_argument("--apply", help="JSON file {msgid: zh_CN translation} to fill in")
    p.add_argument("--dump-missing", help="write untranslated zh_CN msgids to this JSON file")
    p.set_defaults(fn=cmd_i18n)
    from app.adapters.sms_channels import smsc_cli  # `smsc`: local SMSC simulator (SMS-11)

    smsc_cli.add_parser(sub)
    args = parser.parse_args(argv)
    args.fn(args)


if __name__ == "__main__":
    main()
