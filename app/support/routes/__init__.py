"""Route files of the support platform. Top level: the pages of both audiences (account: login, registration,
password reset, profile), /files and the health probes; admin/: the admin console; h5/: the alumni phone pages.

Where a user lands is shared by account (after login), admin/workbench (an alumnus typing /admin) and
h5/me, so it lives here rather than in one of them."""

H5_HOME = "/h5"


def is_alumnus(user) -> bool:
    """Alumni, registered users and visitors without admin rights live on the H5 pages; a staff account
    (kind admin) lacking a permission still gets the 403 page."""
    return not user.can("sup.admin") and user.kind != "admin"


def landing(user) -> str:
    """Where a user lands with no other destination: the workbench for staff, the H5 home for alumni."""
    return H5_HOME if is_alumnus(user) else "/admin"
