"""Migrations that are plain SQL (indexes Piccolo cannot express, seed rows, raw tables): a module
declares ID, DESCRIPTION and STATEMENTS and gets its `forwards` from here."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder


def sql_forwards(migration_id: str, app_name: str, description: str, statements: list[str]):
    async def forwards() -> MigrationManager:
        manager = MigrationManager(migration_id=migration_id, app_name=app_name, description=description)

        async def run() -> None:
            engine = engine_finder()
            for statement in statements:
                await engine.run_ddl(statement, in_pool=False)

        manager.add_raw(run)
        return manager

    return forwards
