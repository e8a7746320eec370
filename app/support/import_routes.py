"""Routes: import (to be built)."""
ROUTES: list = []
