"""Placeholder: routes filled in by the routes/admin/invitations work."""
ROUTES: list = []
