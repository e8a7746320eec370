"""Routes: mailbox (to be built)."""
ROUTES: list = []
