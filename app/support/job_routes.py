"""Routes: job (to be built)."""
ROUTES: list = []
