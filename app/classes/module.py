"""Class spaces (CLS-01 … CLS-07): classes generated from the records' class field (and applied for by
alumni), liaisons, rosters auto-joined from the records with join and leave requests, contacts shown to
classmates who completed their own profile, stories, posts and albums through the content platform, the
class events hook, and the cohesion ranking from weighted rules.
This file is its table of contents: everything it registers with the app."""
from app.core.i18n import N_
from app.core.menus import MenuEntry
from app.core.modules import H5Link, Module, PermissionGroup, Schedule

GENERATE_KIND = "cls.generate"
COHESION_KIND = "cls.cohesion"
DAY = 86400


def _setup() -> None:
    from app.classes import generation, space  # late: reading the descriptor loads none of the services
    from app.core import events

    space.register_owner()  # stories, posts and albums of a class live in the content platform
    events.subscribe("user.logged_in", generation.join_user)  # a just-verified alumnus finds their class


MODULE = Module(
    name="classes",
    package="app.classes",
    permissions=(
        PermissionGroup("classes", (
            ("classes.view", N_("View class spaces"), "page"),
            ("classes.manage", N_("Manage class spaces: liaisons, members, requests, moderation"), "button"),
            ("classes.generate", N_("Generate classes from the records"), "button"),
            ("classes.rules.edit", N_("Edit the cohesion rules"), "page"),
        )),
    ),
    menus=(
        MenuEntry("classes", N_("Class spaces"), "", "users", "", 220),
        MenuEntry("classes.list", N_("Classes"), "/admin/classes", "list", "classes.view", 1, "classes"),
        MenuEntry("classes.applications", N_("Class applications"), "/admin/classes/applications", "check",
                  "classes.manage", 2, "classes"),
        MenuEntry("classes.cohesion", N_("Cohesion ranking"), "/admin/classes/cohesion", "chart", "classes.view", 3,
                  "classes"),
        MenuEntry("classes.rules", N_("Cohesion rules"), "/admin/classes/cohesion/rules", "settings",
                  "classes.rules.edit", 4, "classes"),
    ),
    h5_links=(H5Link(N_("My classes"), "/h5/classes", 5),),
    routes=(
        "routes.admin.applications",
        "routes.admin.classes",
        "routes.admin.cohesion",
        "routes.h5.classes",
        "routes.h5.content",
        "routes.h5.manage",
        "routes.h5.ranking",
        "routes.h5.roster",
    ),
    jobs=("jobs",),
    schedules=(
        # classes created and renamed from the records, members auto-joined (generation.run)
        Schedule("cls.generate", GENERATE_KIND, DAY),
        # every class's cohesion score and breakdown recomputed (cohesion.compute)
        Schedule("cls.cohesion", COHESION_KIND, DAY),
    ),
    audit_views=("audit_view",),
    demo="demo",
    setup=_setup,
)
