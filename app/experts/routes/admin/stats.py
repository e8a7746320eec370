"""Placeholder: routes filled in by the routes/admin/stats work."""
ROUTES: list = []
