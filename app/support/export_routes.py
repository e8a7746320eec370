"""Routes: export (to be built)."""
ROUTES: list = []
