import os

from piccolo.conf.apps import AppConfig, table_finder

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="experts",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=table_finder(modules=["app.experts.tables", "app.experts.invite_tables", "app.experts.search_tables",
                                                "app.experts.group_tables"], exclude_imported=True),
    migration_dependencies=["app.core.piccolo_app"],
    commands=[],
)
