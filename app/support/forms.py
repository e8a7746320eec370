"""Input forms of the support module (labels are msgids, translated when shown)."""
from app.core.forms import Field, Form
from app.core.i18n import lazy as L
from app.core.permissions import SCOPES

USER_KINDS = [("visitor", L("Visitor")), ("registered", L("Registered user")), ("alumni", L("Alumnus")),
              ("admin", L("Administrator"))]


def login_form(data=None) -> Form:
    return Form([Field("username", L("Username or email"), required=True, max_length=254),
                 Field("password", L("Password"), "password", required=True, max_length=200)], data or {})


def register_form(data=None) -> Form:
    return Form([Field("username", L("Username"), required=True, min_length=3, max_length=64),
                 Field("name", L("Real name"), required=True, max_length=64),
                 Field("email", L("Email"), "email", required=True, max_length=254),
                 Field("password", L("Password"), "password", required=True, min_length=8, max_length=200,
                       help=L("At least 8 characters, letters and digits."))], data or {})


def forgot_form(data=None) -> Form:
    return Form([Field("email", L("Email"), "email", required=True, max_length=254)], data or {})


def reset_form(data=None) -> Form:
    return Form([Field("password", L("New password"), "password", required=True, min_length=8, max_length=200),
                 Field("password2", L("Repeat new password"), "password", required=True, max_length=200)], data or {})


def password_form(data=None) -> Form:
    return Form([Field("current", L("Current password"), "password", required=True, max_length=200),
                 Field("password", L("New password"), "password", required=True, min_length=8, max_length=200),
                 Field("password2", L("Repeat new password"), "password", required=True, max_length=200)], data or {})


def profile_form(data=None) -> Form:
    from app.core.i18n import LOCALES

    return Form([Field("name", L("Real name"), max_length=64),
                 Field("email", L("Email"), "email", max_length=254),
                 Field("phone", L("Mobile phone"), "phone", max_length=32),
                 Field("lang", L("Language"), "select", choices=list(LOCALES.items())),
                 Field("avatar", L("Profile photo"), "file", help=L("JPG, PNG or GIF."))], data or {})


def org_form(data=None, kinds=()) -> Form:
    return Form([Field("name", L("Name"), required=True, max_length=100),
                 Field("code", L("Code"), max_length=50, help=L("Optional, unique, e.g. a college code.")),
                 Field("kind", L("Kind"), "select", required=True, choices=list(kinds)),
                 Field("parent", L("Parent node"), "int"),
                 Field("sort", L("Sort order"), "int", min_value=0, max_value=100000),
                 Field("enabled", L("Enabled"), "checkbox")], data or {})


def user_form(data=None, roles=(), creating=True) -> Form:
    fields = [Field("username", L("Username"), required=creating, min_length=3, max_length=64),
              Field("name", L("Real name"), required=True, max_length=64),
              Field("email", L("Email"), "email", max_length=254),
              Field("phone", L("Mobile phone"), "phone", max_length=32),
              Field("org", L("Org"), "int"),
              Field("kind", L("User kind"), "select", required=True, choices=USER_KINDS),
              Field("roles", L("Roles"), "multiselect", choices=list(roles)),
              Field("is_active", L("Active"), "checkbox")]
    if creating:
        fields.append(Field("password", L("Initial password"), "password", min_length=8, max_length=200,
                            help=L("Leave empty to let the user set one through a reset link.")))
    return Form(fields, data or {})


def role_form(data=None, permission_codes=()) -> Form:
    return Form([Field("code", L("Code"), required=True, max_length=64),
                 Field("name", L("Name"), required=True, max_length=64),
                 Field("description", L("Description"), "textarea", max_length=500),
                 Field("permissions", L("Permissions"), "multiselect",
                       choices=[(c, c) for c in permission_codes]),
                 Field("data_scope", L("Data scope"), "select", required=True, choices=list(SCOPES.items())),
                 Field("scope_org", L("Scope org (optional)"), "int",
                       help=L("Empty: relative to each user's own org."))], data or {})
