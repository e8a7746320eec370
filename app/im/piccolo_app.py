import os

from piccolo.conf.apps import AppConfig, table_finder

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="im",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=table_finder(modules=["app.im.tables", "app.im.contact_tables", "app.im.account_tables"],
                               exclude_imported=True),
    migration_dependencies=["app.core.piccolo_app"],
    commands=[],
)
