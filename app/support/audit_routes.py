"""Routes: audit (to be built)."""
ROUTES: list = []
