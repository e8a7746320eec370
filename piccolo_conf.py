"""Piccolo configuration: the engine reads DATABASE_URL (set by the CLI for the embedded server)."""
import os

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

DB = PostgresEngine(config={"dsn": os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:54329/tongchuang")},
                    log_queries=False)

APP_REGISTRY = AppRegistry(apps=["app.core.piccolo_app", "app.records.piccolo_app", "app.points.piccolo_app",
                                   "app.sms.piccolo_app", "app.mall.piccolo_app",
                                   "app.identity.piccolo_app", "app.content.piccolo_app",
                                   "app.orgs.piccolo_app", "app.classes.piccolo_app",
                                   "app.experts.piccolo_app", "app.ops.piccolo_app", "app.im.piccolo_app"])
