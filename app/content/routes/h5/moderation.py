"""The moderation queue on a phone (ORG-09, CLS-04): the same queue and decisions as the desktop's, in the H5
shell (layouts/h5.html)."""
from __future__ import annotations

from app.content.routes import moderation_routes
from app.core.i18n import lazy as L

BASE = "/h5/content/moderation"

ROUTES = moderation_routes(BASE, "content/h5/moderation.html", "content/h5/reject.html", share_title=L("Moderation"))
