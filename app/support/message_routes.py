"""Routes: message (to be built)."""
ROUTES: list = []
