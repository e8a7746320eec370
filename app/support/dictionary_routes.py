"""Routes: dictionary (to be built)."""
ROUTES: list = []
