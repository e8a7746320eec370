"""Placeholder: routes filled in by the routes/admin/tags work."""
ROUTES: list = []
