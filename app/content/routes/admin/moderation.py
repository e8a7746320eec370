"""The moderation queue on the desktop (CLS-04, ORG-06): every pending article, post, album, photo and comment
of the owners the user moderates (the owners' hooks; content.moderate: all of them)."""
from __future__ import annotations

from app.content.routes import moderation_routes

BASE = "/admin/content/moderation"

ROUTES = moderation_routes(BASE, "content/admin/moderation.html", "content/admin/reject.html", block="results")
