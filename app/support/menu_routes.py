"""Routes: menu (to be built)."""
ROUTES: list = []
