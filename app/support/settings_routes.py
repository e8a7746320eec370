"""Routes: settings (to be built)."""
ROUTES: list = []
