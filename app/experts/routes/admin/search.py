"""Placeholder: routes filled in by the routes/admin/search work."""
ROUTES: list = []
