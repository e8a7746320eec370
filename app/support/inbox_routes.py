"""Routes: inbox (to be built)."""
ROUTES: list = []
