"""Alumni data centre (REC): person records, custom fields, query, tags, import/sync, export,
duplicates and merge, batch update, change log and rollback, statistics, birthday greetings.
This file is its table of contents: everything it registers with the app."""
from app.core.i18n import N_
from app.core.menus import MenuEntry
from app.core.modules import Module, PermissionGroup, Schedule


def _setup() -> None:
    # Importing the tree registers its start-up warm-up (tree.warm_root_counts). The worker imports no route
    # file, so without this it would never warm up there. Late: reading the descriptor loads no service.
    from app.records import tree  # noqa: F401 - registering is the import's effect


MODULE = Module(
    name="records",
    package="app.records",
    permissions=(
        PermissionGroup("rec.person", (
            ("rec.person.view", N_("View alumni records"), "page"),
            ("rec.person.create", N_("Add alumni records"), "button"),
            ("rec.person.edit", N_("Edit alumni records and their sections"), "button"),
            ("rec.contact.edit", N_("Add contact log entries"), "button"),
            ("rec.export", N_("Export alumni records"), "button"),
            ("rec.import", N_("Import alumni records"), "page"),
        )),
        PermissionGroup("rec.clearance", (
            ("rec.key.view", N_("See key alumni details"), "page"),
            ("rec.secrecy.1", N_("See records up to secrecy level Internal"), "button"),
            ("rec.secrecy.2", N_("See records up to secrecy level Confidential"), "button"),
            ("rec.secrecy.3", N_("See records up to secrecy level Secret"), "button"),
        )),
        PermissionGroup("rec.manage", (
            ("rec.field.edit", N_("Define custom fields"), "page"),
            ("rec.tag.edit", N_("Manage tags and tag alumni"), "page"),
            ("rec.dedupe", N_("Find and merge duplicate records"), "page"),
            ("rec.batch_update", N_("Batch update records"), "page"),
            ("rec.changes.view", N_("View the update log of all records"), "page"),
            ("rec.changes.rollback", N_("Roll back record changes"), "button"),
            ("rec.stats.view", N_("View alumni statistics"), "page"),
            ("rec.rules.edit", N_("Edit duplicate and auto-update rules"), "page"),
            ("rec.sync.edit", N_("Configure data source sync"), "page"),
            ("rec.birthday.edit", N_("Configure birthday greetings"), "page"),
        )),
    ),
    menus=(
        MenuEntry("records", N_("Alumni records"), "", "users", "", 100),
        MenuEntry("records.people", N_("Alumni list"), "/admin/records", "users", "rec.person.view", 1, "records"),
        MenuEntry("records.query", N_("Combined query"), "/admin/records/query", "search", "rec.person.view",
                  2, "records"),
        MenuEntry("records.tags", N_("Tags"), "/admin/records/tags", "tag", "rec.tag.edit", 3, "records"),
        MenuEntry("records.imports", N_("Import alumni"), "/admin/imports/alumni", "upload", "rec.import",
                  4, "records"),
        MenuEntry("records.duplicates", N_("Duplicates and merge"), "/admin/records/duplicates", "copy", "rec.dedupe",
                  5, "records"),
        MenuEntry("records.batch", N_("Batch update"), "/admin/records/batch-update", "edit", "rec.batch_update",
                  6, "records"),
        MenuEntry("records.changes", N_("Update log"), "/admin/records/changes", "history", "rec.changes.view",
                  7, "records"),
        MenuEntry("records.stats", N_("Statistics"), "/admin/records/stats", "chart", "rec.stats.view", 8, "records"),
        MenuEntry("records.fields", N_("Custom fields"), "/admin/records/fields", "list", "rec.field.edit",
                  9, "records"),
        MenuEntry("records.sources", N_("Data sources"), "/admin/records/sources", "database", "rec.sync.edit",
                  10, "records"),
        MenuEntry("records.rules", N_("Record rules"), "/admin/records/rules", "settings", "rec.rules.edit",
                  11, "records"),
        MenuEntry("records.birthday", N_("Birthday greetings"), "/admin/records/birthday", "gift", "rec.birthday.edit",
                  12, "records"),
    ),
    routes=(
        "routes.admin.batch_update",
        "routes.admin.birthday",
        "routes.admin.changes",
        "routes.admin.duplicates",
        "routes.admin.export",
        "routes.admin.fields",
        "routes.admin.people",
        "routes.admin.proposals",
        "routes.admin.query",
        "routes.admin.rules",
        "routes.admin.sources",
        "routes.admin.stats",
        "routes.admin.tags",
        "routes.admin.work",
        "routes.h5.people",
    ),
    jobs=("jobs",),
    schedules=(
        # data sources whose interval has passed get a rec.sync job each (sync.queue_due)
        Schedule("rec.sync_due", "rec.sync_due", 60),
        # smart tag membership recomputed for every smart tag (tags.recompute_all)
        Schedule("rec.smart_tags", "rec.smart_tags", 86400),
        # hourly so the configured send hour is honoured; a no-op before it and after the day's run (birthday.run)
        Schedule("rec.birthday", "rec.birthday", 3600),
    ),
    import_specs=("import_spec",),
    audit_views=("audit_view",),
    demo="demo",
    setup=_setup,
)
