"""Routes: print (to be built)."""
ROUTES: list = []
