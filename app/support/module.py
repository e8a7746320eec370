"""Support platform (SUP): org tree, users, roles, menus, dictionary, settings, login security,
audit, todos, messages, jobs, imports. This file is its table of contents: everything it registers with the app."""
from app.core.i18n import N_
from app.core.menus import MenuEntry
from app.core.modules import Module, PermissionGroup

MODULE = Module(
    name="support",
    package="app.support",
    permissions=(
        PermissionGroup("sup.org", (
            ("sup.org.view", N_("View org tree"), "page"),
            ("sup.org.create", N_("Create org nodes"), "button"),
            ("sup.org.edit", N_("Rename, move and disable org nodes"), "button"),
        )),
        PermissionGroup("sup.user", (
            ("sup.user.view", N_("View users"), "page"),
            ("sup.user.create", N_("Create users"), "button"),
            ("sup.user.edit", N_("Edit users and their roles"), "button"),
            ("sup.user.import", N_("Import users"), "button"),
            ("sup.user.export", N_("Export users"), "button"),
        )),
        PermissionGroup("sup.role", (
            ("sup.role.view", N_("View roles"), "page"),
            ("sup.role.edit", N_("Create and edit roles"), "button"),
            ("sup.menu.edit", N_("Edit menus"), "page"),
        )),
        PermissionGroup("sup.data", (
            ("sup.dict.view", N_("View data dictionary"), "page"),
            ("sup.dict.edit", N_("Edit data dictionary"), "button"),
            ("sup.settings.edit", N_("Edit site settings"), "page"),
        )),
        PermissionGroup("sup.security", (
            ("sup.security.view", N_("View login log and blocks"), "page"),
            ("sup.security.unblock", N_("Lift login blocks"), "button"),
            ("sup.audit.view", N_("View audit log"), "page"),
            ("sup.audit.export", N_("Export audit log"), "button"),
            ("sup.field.unmask", N_("Reveal masked personal data (audited)"), "button"),
            ("sup.field.clear.name", N_("See names unmasked"), "button"),
            ("sup.field.clear.phone", N_("See phone numbers unmasked"), "button"),
            ("sup.field.clear.email", N_("See email addresses unmasked"), "button"),
            ("sup.field.clear.id_number", N_("See ID numbers unmasked"), "button"),
        )),
        PermissionGroup("sup.ops", (
            ("sup.admin", N_("Use the admin console"), "menu"),
            ("sup.todo.view", N_("View todo inbox"), "page"),
            ("sup.job.view", N_("View background jobs"), "page"),
            ("sup.template.edit", N_("Edit message templates"), "page"),
            ("sup.delivery.view", N_("View message delivery log"), "page"),
        )),
    ),
    menus=(
        MenuEntry("workbench", N_("Workbench"), "/admin", "home", "sup.admin", 0),
        MenuEntry("system", N_("System"), "", "settings", "", 900),
        MenuEntry("system.orgs", N_("Org structure"), "/admin/orgs", "tree", "sup.org.view", 1, "system"),
        MenuEntry("system.users", N_("Users"), "/admin/users", "user", "sup.user.view", 2, "system"),
        MenuEntry("system.roles", N_("Roles"), "/admin/roles", "shield", "sup.role.view", 3, "system"),
        MenuEntry("system.menus", N_("Menus"), "/admin/menus", "menu", "sup.menu.edit", 4, "system"),
        MenuEntry("system.dict", N_("Data dictionary"), "/admin/dictionary", "book", "sup.dict.view", 5, "system"),
        MenuEntry("system.settings", N_("Site settings"), "/admin/settings", "gear", "sup.settings.edit", 6, "system"),
        MenuEntry("system.templates", N_("Message templates"), "/admin/messages/templates", "mail", "sup.template.edit", 7, "system"),
        MenuEntry("system.jobs", N_("Background jobs"), "/admin/jobs", "clock", "sup.job.view", 8, "system"),
        MenuEntry("security", N_("Security"), "", "lock", "", 950),
        MenuEntry("security.logins", N_("Login log"), "/admin/security/logins", "key", "sup.security.view", 1, "security"),
        MenuEntry("security.audit", N_("Audit log"), "/admin/audit", "eye", "sup.audit.view", 2, "security"),
        MenuEntry("security.deliveries", N_("Message delivery log"), "/admin/messages/deliveries", "send", "sup.delivery.view", 3, "security"),
    ),
    routes=("routes.account", "routes.admin.audit", "routes.admin.dictionary", "routes.admin.user_export", "routes.files", "routes.h5.me", "routes.health", "import_routes", "routes.admin.inbox", "routes.admin.jobs", "routes.admin.mailbox", "routes.admin.menus", "routes.admin.messages", "routes.admin.orgs", "routes.admin.printing", "routes.admin.roles", "routes.admin.security", "routes.admin.settings", "routes.admin.users", "routes.admin.workbench", ),
    import_specs=("user_import", ),
    audit_views=("audit_log", ),
)
