"""Placeholder: routes filled in by the routes/h5/fees work."""
ROUTES: list = []
