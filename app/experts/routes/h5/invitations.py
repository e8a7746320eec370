"""Placeholder: routes filled in by the routes/h5/invitations work."""
ROUTES: list = []
