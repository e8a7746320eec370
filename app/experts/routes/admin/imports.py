"""Placeholder: routes filled in by the routes/admin/imports work."""
ROUTES: list = []
