"""Routes: security (to be built)."""
ROUTES: list = []
